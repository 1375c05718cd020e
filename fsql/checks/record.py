"""The golden directory's record of what produced each file: ``<out>/.fsql-golden.json``,
written by ``fsql golden update`` and committed with the files, so that a check on a fresh
CI machine compiles only the files whose inputs changed.

For every file it holds two digests: of the file's key (everything its text is a function of,
:class:`~fsql.checks.outputs.Prepared`, with fsql's source, its dialect files and sqlglot's
version: :func:`~fsql.checks.cache.code_fingerprint`) and of the text that key produced. A
check trusts a committed file without compiling it only when both still hold: its key is the
recorded one and its text has the recorded digest. A changed definition, setting, file schema,
fsql or sqlglot changes the key; a hand-edited file changes the text digest; either way the
file is compiled and compared. Paths inside the repository enter the key relative to its root,
so a record written on one machine holds on another checkout.

One line per file, sorted, so that a change of one view changes the lines of its files only
(a merge conflict in it is resolved by running ``fsql golden update`` again).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from fsql.checks.cache import code_fingerprint
from fsql.errors import CheckError

NAME = ".fsql-golden.json"
FORMAT = "fsql golden record 1"


def key_digest(key: str, root: Path) -> str:
    """The recorded digest of a file's ``key`` for a repository at ``root``: paths under the
    root count relative to it, and fsql's code fingerprint is part of it."""
    portable = key.replace(str(root.resolve()), "<repo>")
    return hashlib.sha256(f"{code_fingerprint()}\0{portable}".encode()).hexdigest()[:32]


def text_digest(text: str) -> str:
    """The recorded digest of a file's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class Record:
    """Relative path -> (key digest, text digest) of a golden directory's files."""

    path: Path
    files: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, out: Path) -> Record:
        """The record of the golden directory ``out`` (empty when there is none yet)."""
        path = out / NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as err:
            raise CheckError(f"{path}: not a golden record ({err}); delete it and run fsql "
                             "golden update to write it again") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or \
                not isinstance(data.get("files"), dict):
            raise CheckError(f"{path}: not a golden record of this fsql (format "
                             f"{FORMAT!r}); delete it and run fsql golden update")
        files: dict[str, tuple[str, str]] = {}
        for name, entry in data["files"].items():
            parts = entry.split(" ") if isinstance(entry, str) else []
            if len(parts) != 2:
                raise CheckError(f"{path}: the entry of {name!r} is not '<key> <text>' "
                                 "digests; delete the file and run fsql golden update")
            files[name] = (parts[0], parts[1])
        return cls(path, files)

    def holds(self, name: str, key: str, text: str) -> bool:
        """Whether ``text`` (committed as ``name``) is what the key digest ``key`` produced."""
        return self.files.get(name) == (key, text_digest(text))

    def save(self) -> None:
        """Write the record (atomically; nothing when it holds no file and none existed)."""
        if not self.files and not self.path.exists():
            return
        lines = ",\n".join(f"  {json.dumps(name)}: \"{key} {text}\""
                           for name, (key, text) in sorted(self.files.items()))
        body = f'{{\n "format": "{FORMAT}",\n "files": {{\n{lines}\n }}\n}}\n'
        if self.path.exists() and self.path.read_text(encoding="utf-8") == body:
            return
        write_file(self.path, body)


def write_file(path: Path, text: str) -> None:
    """Write ``text`` atomically (a reader never sees half a file): the golden files and the
    record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".fsql-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
