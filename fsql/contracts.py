"""Contracts: a canonical hash of what decides each view's and service's results, recorded
in ``fsql.lock.json``, and the change between the definitions and the lock (``fsql plan``).

What is hashed (docs/contracts.md): per feature, its dtype, how it is computed (a Field's
source column; an aggregate's function, column, window, filter; a derived expression), its
default, and what its view contributes (the source's identity, timestamp and created columns,
column mapping, join keys, TTL). Descriptions, owners and tags are not hashed. Per service:
its features (by name and hash), request schema and cut.

Changes: a new view, service or feature is compatible; a removed or retyped feature, or one
whose hash changed (other semantics), is breaking and names every service that requests it.
A breaking change needs ``fsql plan --accept``, which bumps the view's version.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsql.dsl.contract_hash import canonical_hash, view_contract
from fsql.dsl.definitions import FeatureService
from fsql.errors import DefinitionError
from fsql.repo import Repo

LOCK_NAME = "fsql.lock.json"
FORMAT = 1


def service_contract(repo: Repo, service: FeatureService,
                     views: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The service's schema hash: its features (view:feature and their hashes), derived
    features, request schema and cut."""
    projections = repo.resolve(service.name)
    features = sorted(f"{p.view.name}:{f}" for p in projections for f in p.feature_names)
    derived = sorted((d.name, d.expression.text, str(d.dtype)) for d in repo.derived(service.name))
    description = {
        "features": [(f, views[f.split(":")[0]]["features"][f.split(":", 1)[1]]["hash"])
                     for f in features],
        "derived": derived, "cut": service.cut or "inclusive",
        "request_schema": sorted((k, str(v)) for k, v in service.request_schema.items()),
    }
    return {"schema_hash": canonical_hash(description), "features": features}


@dataclass(frozen=True)
class Change:
    """One difference between the definitions and the lock."""

    kind: str  # added, removed, retyped, changed
    what: str  # "view user_risk", "feature user_risk:risk_score", "service fraud"
    detail: str
    breaking: bool
    services: tuple[str, ...] = ()

    def format(self) -> str:
        """One line for the terminal."""
        tag = "BREAKING" if self.breaking else "compatible"
        used = f" (used by: {', '.join(self.services)})" if self.services else ""
        return f"{tag:10}  {self.kind:8} {self.what}: {self.detail}{used}"


def current(repo: Repo) -> dict[str, Any]:
    """The contracts of every view and service of ``repo``."""
    views = {name: view_contract(v) for name, v in sorted(repo.views.items())}
    services = {name: service_contract(repo, s, views) for name, s in sorted(repo.services.items())}
    return {"views": views, "services": services}


def read_lock(path: Path) -> dict[str, Any] | None:
    """The lock file, or None when there is none; another format is refused."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise DefinitionError(f"{path}: cannot read the lock file: {err}; fix it or delete it "
                              "and run fsql plan to write a new one") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DefinitionError(f"{path}: not an fsql lock file of format {FORMAT}; delete it "
                              "and run fsql plan to write a new one")
    return data


def changes(lock: dict[str, Any] | None, now: dict[str, Any]) -> list[Change]:
    """What changed from ``lock`` to ``now`` (everything is added when there is no lock)."""
    old_views = (lock or {}).get("views", {})
    users: dict[str, list[str]] = {}
    for name, service in (lock or {}).get("services", {}).items():
        for feature in service.get("features", []):
            users.setdefault(feature, []).append(name)
    out: list[Change] = []
    for name, view in now["views"].items():
        if name not in old_views:
            out.append(Change("added", f"view {name}", f"{len(view['features'])} features",
                              False))
            continue
        before = old_views[name]["features"]
        for feature, spec in view["features"].items():
            ref = f"{name}:{feature}"
            if feature not in before:
                out.append(Change("added", f"feature {ref}", spec["dtype"] or "dtype unknown",
                                  False))
            elif before[feature]["dtype"] != spec["dtype"]:
                out.append(Change("retyped", f"feature {ref}",
                                  f"{before[feature]['dtype']} -> {spec['dtype']}", True,
                                  tuple(sorted(users.get(ref, [])))))
            elif before[feature]["hash"] != spec["hash"]:
                out.append(Change("changed", f"feature {ref}",
                                  _difference(before[feature].get("definition", {}),
                                              spec["definition"]), True,
                                  tuple(sorted(users.get(ref, [])))))
        for feature in before:
            if feature not in view["features"]:
                ref = f"{name}:{feature}"
                out.append(Change("removed", f"feature {ref}", "no longer defined", True,
                                  tuple(sorted(users.get(ref, [])))))
    for name in old_views:
        if name not in now["views"]:
            refs = [f"{name}:{f}" for f in old_views[name]["features"]]
            out.append(Change("removed", f"view {name}", "no longer defined", True,
                              tuple(sorted({s for r in refs for s in users.get(r, [])}))))
    old_services = (lock or {}).get("services", {})
    for name in now["services"]:
        if name not in old_services:
            out.append(Change("added", f"service {name}", "new", False))
        elif old_services[name]["schema_hash"] != now["services"][name]["schema_hash"]:
            out.append(Change("changed", f"service {name}", "its features, derived features, "
                              "request schema or cut changed", False))
    for name in old_services:
        if name not in now["services"]:
            out.append(Change("removed", f"service {name}", "no longer defined", True))
    return out


def _difference(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What changed in a feature's definition, e.g. ``ttl: '7d' -> '8d'``."""
    keys = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
    return "; ".join(f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in keys) or "changed"


def updated_lock(lock: dict[str, Any] | None, now: dict[str, Any], found: list[Change], *,
                 accept: bool, at: dt.datetime | None = None,
                 declared: dict[str, int] | None = None) -> dict[str, Any]:
    """The lock recording ``now``: entries that did not change keep their version and
    ``generated_at`` (so that a run without changes gives the same file); a view with an
    accepted breaking change gets version + 1; a view's version is never below its declared
    ``FeatureView(version=N)`` (``declared``: view -> N)."""
    declared = declared or {}
    stamp = (at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    broken = {c.what.split(" ", 1)[1].split(":")[0] for c in found if c.breaking and accept}
    out: dict[str, Any] = {"format": FORMAT, "views": {}, "services": {}}
    for kind in ("views", "services"):
        for name, entry in now[kind].items():
            old = (lock or {}).get(kind, {}).get(name)
            least = declared.get(name, 1) if kind == "views" else 1
            if old is not None and old["schema_hash"] == entry["schema_hash"] and \
                    old["version"] >= least:
                out[kind][name] = old
                continue
            version = 1 if old is None else old["version"] + (
                1 if kind == "views" and name in broken else 0)
            version = max(version, least)
            out[kind][name] = {"version": version, "generated_at": stamp, **entry}
    return out


def plan(repo: Repo, *, check: bool = False, accept: bool = False,
         lock_path: Path | None = None) -> tuple[list[Change], bool]:
    """Compare the definitions with the lock; write the lock unless ``check`` (and, with a
    breaking change, only with ``accept``). Returns the changes and whether the lock was
    written."""
    path = lock_path or repo.root / LOCK_NAME
    lock = read_lock(path)
    now = current(repo)
    found = changes(lock, now)
    breaking = any(c.breaking for c in found)
    if check or (breaking and not accept):
        return found, False
    new = updated_lock(lock, now, found, accept=accept,
                       declared={n: v.version for n, v in repo.views.items()})
    if new != lock:
        text = json.dumps(new, indent=2, sort_keys=True) + "\n"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(text)
        tmp.replace(path)
        return found, True
    return found, False


def add_commands(commands: Any) -> None:
    """``fsql plan`` (argparse subcommand with its handler)."""
    cmd = commands.add_parser("plan", help="compare definitions with fsql.lock.json")
    cmd.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    cmd.add_argument("--check", action="store_true",
                     help="only compare; exit 1 on a breaking change not in the lock")
    cmd.add_argument("--accept", action="store_true",
                     help="record breaking changes (the views' versions go up by one)")
    cmd.set_defaults(handler=_run)


def _run(repo: Repo, args: argparse.Namespace) -> int:
    if args.check and args.accept:
        raise DefinitionError("--check and --accept exclude each other")
    found, wrote = plan(repo, check=args.check, accept=args.accept)
    for change in found:
        print(change.format())
    lock = read_lock(repo.root / LOCK_NAME) or {}
    for name, view in current(repo)["views"].items():
        version = lock.get("views", {}).get(name, {}).get("version", "-")
        print(f"view {name}  version {version}  hash {view['schema_hash']}")
        if isinstance(version, int) and version > repo.views[name].version:
            print(f"  declare FeatureView({name!r}, ..., version={version}) so that it "
                  f"materializes to its own table {name}_v{version}_latest (docs/contracts.md)")
    breaking = [c for c in found if c.breaking]
    if not found:
        print("no changes")
    if breaking and not args.accept:
        print(f"{len(breaking)} breaking change(s); review them, then run fsql plan --accept "
              "to record them (the views' versions go up)")
        return 1
    if wrote:
        print(f"wrote {repo.root / LOCK_NAME}")
    elif found and args.check:
        print(f"compatible changes not yet recorded: run fsql plan to update {LOCK_NAME}")
    return 0
