"""Loading a repository as users lay them out: tests, scripts and virtual environments are not
definitions; mistakes in the DSL and in services name the fix; `fsql --version` answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import fsql
from fsql import Entity, FeatureService, FeatureView, Field, Repo, Source
from fsql.cli import main
from fsql.errors import DefinitionError

DEFINITIONS = '''
from fsql import Entity, FeatureService, FeatureView, Field, Source
user = Entity("user", join_keys=["user_id"])
src = Source("src", table="t", timestamp_field="ts")
stats = FeatureView("user_stats", entities=[user], source=src, features=[Field("a", "int64")])
'''
BROKEN = "raise RuntimeError('this file must not be imported')\n"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_default_exclusions(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "features.py": DEFINITIONS,
        "tests/test_features.py": BROKEN, "test_more.py": BROKEN, "conftest.py": BROKEN,
        ".venv/lib/site.py": BROKEN, "venv/x.py": BROKEN, "data/gen.py": BROKEN,
        "build/x.py": BROKEN, "pkg/sub/test_x.py": BROKEN,
    })
    assert set(Repo.load(root).views) == {"user_stats"}


def test_project_exclude_and_fsqlignore(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "features.py": DEFINITIONS,
        "scripts/backfill.py": BROKEN, "generate_data.py": BROKEN, "tools/deep/x.py": BROKEN,
        "fsql.toml": '[project]\nname = "x"\nexclude = ["scripts", "generate_*.py"]\n',
        ".fsqlignore": "# helper code\ntools/\n",
    })
    assert set(Repo.load(root).views) == {"user_stats"}
    (root / "fsql.toml").write_text('[project]\nexclude = "scripts"\n')
    with pytest.raises(DefinitionError, match=r"exclude must be a list of globs"):
        Repo.load(root)


def test_unknown_toml_table(tmp_path: Path) -> None:
    root = _write(tmp_path, {"features.py": DEFINITIONS,
                             "fsql.toml": '[project]\nname = "x"\n[enviroments.dev]\n'})
    with pytest.raises(DefinitionError, match=r"unknown table 'enviroments'"):
        Repo.load(root)


def test_unknown_dsl_argument_suggests_the_right_one() -> None:
    user = Entity("user", join_keys=["user_id"])
    src = Source("src", table="t", timestamp_field="ts")
    with pytest.raises(DefinitionError, match=r"FeatureView\('v'\) \(.*test_repository_hygiene"
                                              r"\.py:\d+\): unknown argument 'tll'\. Did you "
                                              r"mean 'ttl'\?"):
        FeatureView("v", entities=[user], source=src, features=[Field("a", "int64")],
                    tll="7d")  # type: ignore[call-arg]
    with pytest.raises(DefinitionError, match=r"Source\('s'\).*unknown argument "
                                              r"'timestamp_column'\. Did you mean "
                                              r"'timestamp_field'\?"):
        Source("s", table="t", timestamp_column="ts")  # type: ignore[call-arg]
    with pytest.raises(DefinitionError, match=r"Entity\('u'\).*missing a required argument: "
                                              r"'join_keys'"):
        Entity("u")  # type: ignore[call-arg]
    with pytest.raises(DefinitionError, match=r"unknown argument 'windw'\. Did you mean "
                                              r"'window'\?"):
        fsql.Aggregate("a", "sum", windw="1d")  # type: ignore[call-arg]


def test_misspelled_view_in_a_service(tmp_path: Path) -> None:
    root = _write(tmp_path, {"features.py": DEFINITIONS + (
        'svc = FeatureService("svc", features=["user_stat"])\n'
        'whole = FeatureService("whole", features=["user_stats"])\n')})
    repo = Repo.load(root)
    with pytest.raises(DefinitionError, match=r"FeatureService 'svc' .*Unknown feature view "
                                              r"'user_stat'\. Did you mean 'user_stats'\?"):
        repo.plan("svc", "spine")
    assert [p.feature_names for p in repo.resolve("whole")] == [("a",)]


def test_service_declarations_are_checked() -> None:
    with pytest.raises(DefinitionError, match=r"cut='strict'; use 'inclusive' or 'exclusive'"):
        FeatureService("svc", features=["v"], cut="strict")
    with pytest.raises(DefinitionError, match=r"request_schema\['amount'\].*unknown dtype "
                                              r"'float'\. Did you mean 'float64'\?"):
        FeatureService("svc", features=["v"], request_schema={"amount": "float"})


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"fsql {fsql.__version__}"
    installed = subprocess.run([sys.executable, "-m", "fsql.cli", "--version"],
                               capture_output=True, text=True, check=True)
    assert installed.stdout.strip() == f"fsql {fsql.__version__}"
