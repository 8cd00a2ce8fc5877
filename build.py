#!/usr/bin/env python3
"""EvoMachine's one entry point: ``build`` (default), ``serve [--port N]``, ``test [pytest args]``.

Standard library only, so it runs on a fresh machine before anything is
installed. It makes ``.venv``, fetches pinned artifacts (Pyodide and uPlot from
npm, wheels from PyPI) into a cache checked against pinned hashes, and writes
``dist/`` in one swap, so a failed build never leaves a half-written ``dist/``.
A second build finds everything in the cache and needs no network.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
DIST = ROOT / "dist"
CACHE = Path(os.environ.get("EVOMACHINE_CACHE", Path.home() / ".cache" / "evomachine"))

PYODIDE_VERSION = "314.0.7"
PYODIDE_INTEGRITY = (
    "sha512-0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+SNvi/6V5JEsOlD2R1A=="
)
PYODIDE_FILES = (
    "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
    "pyodide-lock.json", "package.json",
)

# Browser libraries vendored from npm: (package, version, integrity, dist folder, files in
# the tarball's package/ folder). The lab's charts use uPlot.
NPM_ASSETS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("uplot", "1.6.32",
     "sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==",
     "web/vendor/uplot", ("dist/uPlot.esm.js", "dist/uPlot.min.css", "LICENSE")),
)

# (requirement, wheel file name, sha256, group). "engine" wheels ship in the page;
# "test" wheels only serve the Pyodide test layer.
EMSCRIPTEN_PLATFORM = "pyemscripten_2026_0_wasm32"
PINNED_WHEELS: tuple[tuple[str, str, str, str], ...] = (
    ("pydantic-core==2.50.5", f"pydantic_core-2.50.5-cp314-cp314-{EMSCRIPTEN_PLATFORM}.whl",
     "b2910ec0fa5aeb9bef70156f2b79f4783978fdcfaa7b2f1b5d1814458d2e79a1", "engine"),
    ("pydantic==2.14.4", "pydantic-2.14.4-py3-none-any.whl",
     "653a2ad9f6d8858529c77c72717d0ea991d6c6837fe683246b2f4b2bbfc3fadc", "engine"),
    ("typing-extensions==4.16.0", "typing_extensions-4.16.0-py3-none-any.whl",
     "481caa481374e813c1b176ada14e97f1f67a4539ce9cfeb3f350d78d6370c2e8", "engine"),
    ("annotated-types==0.8.0", "annotated_types-0.8.0-py3-none-any.whl",
     "f072f4d804ea359e4eaf198b1af7a8b0943881a87f31bb764f8bf219bb9419e0", "engine"),
    ("typing-inspection==0.4.5", "typing_inspection-0.4.5-py3-none-any.whl",
     "bc210535442b39e1bf2805e0c7a17dfd6a4ace760c84c7f7d16245d23a6b1c39", "engine"),
    ("jinja2==3.1.6", "jinja2-3.1.6-py3-none-any.whl",
     "85ece4451f492d0c13c5dd7c13a64681a86afae63a5f347908daf103ce6d2f67", "engine"),
    ("restrictedpython==9.0", "restrictedpython-9.0-py3-none-any.whl",
     "77df98181cf8f20810038b492ca4760b12712c9aa572f6fb5b8f2b02cfd5fc7e", "engine"),
    ("pytest==9.2.0", "pytest-9.2.0-py3-none-any.whl",
     "07acdcf88ec174f907dc01af70bf52d49b014bbab03faeeade31c96b18c2e588", "test"),
    ("pluggy==1.7.0", "pluggy-1.7.0-py3-none-any.whl",
     "7dd7b0d8832ba3cb632c306926ded123429211b83641b35dc5c41ad2d34f9bec", "test"),
    ("iniconfig==2.3.1", "iniconfig-2.3.1-py3-none-any.whl",
     "9121e2c1fdb355232495be3194c8dfe87ccc2d5dee45947b78e68f499790d7a7", "test"),
    ("packaging==26.4", "packaging-26.4-py3-none-any.whl",
     "81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2", "test"),
    ("pygments==2.21.0", "pygments-2.21.0-py3-none-any.whl",
     "2363c69b61c4a97c838da3b130dcd6468f4848992b21a82f2a63ec34377137d9", "test"),
    ("hypothesis==6.155.7", "hypothesis-6.155.7-py3-none-any.whl",
     "9f634bdb1f9e9b8ab6ba09431cf2deedb750c96978125a6fb3c5a0f6c6db4131", "test"),
    ("sortedcontainers==2.4.0", "sortedcontainers-2.4.0-py2.py3-none-any.whl",
     "a163dcaede0f1c021485e957a39245190e74249897e2ae4b2aa38595db237ee0", "test"),
)
MARKUPSAFE_SDIST = ("markupsafe==3.0.3", "markupsafe-3.0.3.tar.gz",
                    "722695808f4b6457b320fdc131280796bdceb04ab50fe1795cd540799ebe1698")
MARKUPSAFE_WHEEL = "markupsafe-3.0.3-py3-none-any.whl"

# Debian's Chromium for the e2e layer and the browser benchmarks, started headless with
# flags that keep it from reaching any other host (this machine's network is closed).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)

# Processes for the e2e layer (pytest-xdist): two on the two-core machine CI runs on.
E2E_WORKERS = max(2, min(4, os.cpu_count() or 2))

# Fixed zip timestamp so wheels we build are byte-for-byte reproducible.
ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """A build step failed; the message says what happened and what to do."""


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


# ---------------------------------------------------------------- helpers


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run(cmd: list[str], *, what: str, cwd: Path | None = None, quiet: bool = True) -> None:
    try:
        result = subprocess.run(cmd, cwd=cwd, capture_output=quiet, text=True)
    except FileNotFoundError as error:
        raise BuildError(f"{what}: '{cmd[0]}' is not installed ({error})") from error
    if result.returncode != 0:
        output = ((result.stdout or "") + (result.stderr or "")).strip()[-3000:]
        raise BuildError(f"{what} failed (exit {result.returncode}):\n{output}")


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


# ---------------------------------------------------------------- .venv


def ensure_venv() -> None:
    """Create .venv and install the project with its test extra, once per pyproject change."""
    if not venv_python().exists():
        log("creating .venv")
        run([sys.executable, "-m", "venv", str(VENV)], what="creating .venv")
    stamp = VENV / ".evomachine-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    log("installing the project and its test extra into .venv (needs PyPI once)")
    run([str(venv_python()), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"],
        what="pip install -e .[test]",
        )
    stamp.write_text(wanted)


# ---------------------------------------------------------------- fetching


def fetch_npm(package: str, version: str, integrity: str) -> Path:
    """An npm tarball, from the cache or ``npm pack``, checked against its integrity hash."""
    tarball = CACHE / f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"  # npm pack's name
    if not tarball.exists():
        if shutil.which("npm") is None:
            raise BuildError(
                f"npm is not installed, and {package} comes from npm. Install Node.js 20+ with "
                "npm (Debian: apt-get install nodejs npm) and run the build again."
            )
        log(f"fetching {package}@{version} from npm")
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=Path(tmp),
                what=f"npm pack {package}@{version} (is the npm registry reachable?)")
            packed = Path(tmp) / tarball.name
            if not packed.exists():
                found = ", ".join(p.name for p in Path(tmp).iterdir()) or "nothing"
                raise BuildError(f"npm pack wrote {found} for {package}@{version}, "
                                 f"expected {packed.name}")
            packed.replace(tarball)
    algorithm, expected = integrity.split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        tarball.unlink()
        raise BuildError(
            f"checksum mismatch for {tarball.name}: expected {algorithm}-{expected}, got "
            f"{algorithm}-{actual}. The file was removed from the cache; run the build again. "
            "If it fails again, the registry serves a different file: do not use it."
        )
    return tarball


def fetch_pyodide() -> Path:
    """The Pyodide npm tarball, from the cache or npm, checked against its integrity hash."""
    return fetch_npm("pyodide", PYODIDE_VERSION, PYODIDE_INTEGRITY)


def extract_npm_files(tarball: Path, names: tuple[str, ...], target: Path) -> None:
    """Copy ``names`` (paths under the tarball's ``package/``) flat into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        for name in names:
            try:
                member = archive.extractfile(f"package/{name}")
            except KeyError:
                member = None
            if member is None:
                raise BuildError(f"{tarball.name} has no {name}")
            (target / Path(name).name).write_bytes(member.read())


def fetch_pinned(requirement: str, filename: str, sha256: str, *, sdist: bool = False) -> Path:
    """A pinned PyPI file in the cache, downloaded with pip when missing, hash-checked."""
    target = CACHE / "wheels" / filename
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        log(f"fetching {filename} from PyPI")
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--disable-pip-version-check", "-d", tmp, requirement]
            if sdist:
                cmd[4:4] = ["--no-binary", ":all:"]
            elif EMSCRIPTEN_PLATFORM in filename:
                cmd[4:4] = ["--only-binary", ":all:", "--platform", EMSCRIPTEN_PLATFORM,
                            "--python-version", "3.14"]
            else:
                cmd[4:4] = ["--only-binary", ":all:", "--platform", "any",
                            "--python-version", "3.14"]
            run(cmd, what=f"downloading {requirement} from PyPI (is PyPI reachable?)")
            downloaded = Path(tmp) / filename
            if not downloaded.exists():
                found = ", ".join(p.name for p in Path(tmp).iterdir()) or "nothing"
                raise BuildError(f"pip downloaded {found} for {requirement}, expected {filename}")
            downloaded.replace(target)
    actual = sha256_of(target)
    if actual != sha256:
        target.unlink()
        raise BuildError(
            f"checksum mismatch for {filename}: expected sha256 {sha256}, got {actual}. "
            "The file was removed from the cache; run the build again."
        )
    return target


# ---------------------------------------------------------------- wheels we build


def write_wheel(path: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    """Write a pure-Python wheel holding ``files`` (archive path -> content), reproducibly."""
    dist_info = f"{name}-{version}.dist-info"
    entries = dict(sorted(files.items()))
    entries[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").encode()
    entries[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: evomachine-build\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n")
    record_lines = []
    for archive_path, content in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        record_lines.append(f"{archive_path},sha256={digest},{len(content)}")
    record_lines.append(f"{dist_info}/RECORD,,")
    entries[f"{dist_info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for archive_path, content in entries.items():
            info = zipfile.ZipInfo(archive_path, ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)


def build_markupsafe_wheel(sdist: Path, out: Path) -> None:
    """markupsafe's pure-Python wheel from its sdist (the C speedups are optional)."""
    files: dict[str, bytes] = {}
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            wanted = parts[1:3] == ["src", "markupsafe"] and not member.name.endswith(".c")
            if member.isfile() and wanted:
                handle = archive.extractfile(member)
                assert handle is not None
                files["/".join(parts[2:])] = handle.read()
    if "markupsafe/__init__.py" not in files:
        raise BuildError(f"{sdist.name} does not look like markupsafe's sdist")
    write_wheel(out, "markupsafe", "3.0.3", files)


def project_version() -> str:
    for line in (ROOT / "pyproject.toml").read_text().splitlines():
        if line.startswith("version ="):
            return line.split("=", 1)[1].strip().strip('"')
    raise BuildError("pyproject.toml has no version line")


def build_engine_wheel(out_dir: Path) -> Path:
    package = ROOT / "py_src" / "evomachine"
    files = {}
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[path.relative_to(package.parent).as_posix()] = path.read_bytes()
    version = project_version()
    wheel = out_dir / f"evomachine-{version}-py3-none-any.whl"
    write_wheel(wheel, "evomachine", version, files)
    return wheel


# ---------------------------------------------------------------- CodeMirror

# CodeMirror 6 for the DSL editor, with every module it imports, pinned: (package, version,
# npm integrity, the ES module the package exports). No bundler: each module is served as it
# ships, one file per package, and index.html's import map names them by their bare specifiers.
CODEMIRROR_DIR = "web/vendor/codemirror"
CODEMIRROR_PACKAGES: tuple[tuple[str, str, str, str], ...] = (
    ("@codemirror/state", "6.7.6",
     "sha512-kAz+AncRtKuIknedxT1bq4XwXv4UowhbkHU1myPrtVb/jZtImWuV5BXzv5vK6i3kYACsdiZiQKFQQ5Mq7elW8w==",
     "dist/index.js"),
    ("@codemirror/view", "6.43.15",
     "sha512-HHsfpqFeHyXLs983pSRe38Xajs0vFWZQ2BuX0m7Ki8w3jZ5iD8cuR3lBz2/5/X53Dhf32SBHKh6rtSTB6tKeGw==",
     "dist/index.js"),
    ("@codemirror/language", "6.13.1",
     "sha512-zfvU2r3TyylQLMj/te+5CnQ0rSqZi8B1oTCBbQkagcLW4Xc6imab6qN+pEJhsuNOLaJqiRyBXp9UhWA1DhVvDw==",
     "dist/index.js"),
    ("@codemirror/streamparser", "6.0.0",
     "sha512-JTFPF6xrfjt0mnfGPgzcLiMwYmvIyNaoizp8BYzv8FE8KrT6GBGDZ190rtt+O7Wke3gG/MFHyiY9YGNeimof4w==",
     "dist/index.js"),
    ("@codemirror/commands", "6.11.1",
     "sha512-O/4hG3SC1YwcmQ0d2UVNDs+AsaNWd1iHVxbTeEBuqH+6bExAiPK3iS/BvpY6rZGURALv4ZD3sIgcCmRvw3ehBg==",
     "dist/index.js"),
    ("@codemirror/search", "6.7.2",
     "sha512-gUYkYhT2+n/+VGZ+8EzE5WFkYZUZYm1VOKDudIsNqh42uRVQJ0a6Yss9sdKT3MeOYfuL1N6AZA57oza0Oyr0LA==",
     "dist/index.js"),
    ("@codemirror/autocomplete", "6.20.4",
     "sha512-yF8RhOf2SXlg00+qtupzLhrglcas61boqaONiNcbPIebHCpJocpqTBA6dyrtUrQO47hqyTdeob/3XnYilT7TaQ==",
     "dist/index.js"),
    ("@codemirror/lint", "6.9.8",
     "sha512-qNvtcE73xUto/D1RvtgSRI4A1Hg8ekxlvtZpjHpdpisLBnhyu82EUEJMEgaxkjuQCA8vqnrylENWKOsEDCOHcw==",
     "dist/index.js"),
    ("@lezer/common", "1.5.5",
     "sha512-Pw7PVCndruF1pb3ebCxpSVpkMHSDjwRCLcTRw+RizUKco5QbWylwq2g4lnG/RYN7yTTQDXE9F77MwtkAyphrjg==",
     "dist/index.js"),
    ("@lezer/highlight", "1.2.5",
     "sha512-O1GMVKgtf5YspFaRzpmqkVgMtIk2HG9uMAbH6wdAIdNh3TVzCsch/+cRi+6l2//UGDKe6NB9BW3cvuR5ezMQ0w==",
     "dist/index.js"),
    ("@marijn/find-cluster-break", "1.0.4",
     "sha512-Wy0V7+SGUjnF9/TkiM1hKVDPj7jKXduPNboMVtHTA8dySMURWqfg/JZ9E2Sq8JgSJmkl7k7Qe9FLeMSrSraWmQ==",
     "src/index.js"),
    ("style-mod", "4.1.5",
     "sha512-WQ2llCZa9sZSkJA+aOwpg5DkfbAXFKGh//t3MRTBeruFiSBC+GXUmbBzrw3bXyboCWAbtCW9InDfBsXrRD/rAg==",
     "src/style-mod.js"),
    ("w3c-keyname", "2.2.8",
     "sha512-dpojBhNsCNN7T82Tm7k26A6G9ML3NkhDsnw9n/eoxSRlVBB4CEtIQ/KTCLI2Fwf3ataSXRhYFkQi3SlnFwPvPQ==",
     "index.js"),
    ("crelt", "1.0.7",
     "sha512-aK6BbWfhf4U/wCcLHKPJl/xa6VkVstRaPywWtMKGwuOLc/wZTyQYuoxgvZnNsBvv7Kg3YTBQYYBCggcviQczuA==",
     "index.js"),
)
_IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)
_BARE_IMPORT = re.compile(r"""\b(?:from|import)\s*\(?\s*['"]([^'"./][^'"]*)['"]""")


def codemirror_module_path(package: str) -> str:
    """Where ``package``'s module is served, e.g. web/vendor/codemirror/codemirror-view.js."""
    return f"{CODEMIRROR_DIR}/{package.lstrip('@').replace('/', '-')}.js"


def check_import_map(html: str, served: dict[str, str]) -> None:
    """index.html's import map names exactly ``served`` (specifier -> path) and its CSP allows it.

    An inline import map is an inline script to the Content-Security-Policy, so script-src
    carries its sha256; the build refuses a page whose map and hash disagree (the map would
    be blocked) or whose map points anywhere but this origin's vendored files.
    """
    found = _IMPORT_MAP.search(html)
    if not found:
        raise BuildError('index.html has no <script type="importmap"> for CodeMirror')
    try:
        imports = json.loads(found.group(1))["imports"]
    except (ValueError, KeyError, TypeError) as error:
        raise BuildError(f"index.html's import map is not JSON with 'imports': {error}") from None
    wanted = {name: f"./{path}" for name, path in served.items()}
    if imports != wanted:
        raise BuildError("index.html's import map must be exactly:\n"
                         + json.dumps({"imports": wanted}, indent=2))
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    policy = re.search(r"script-src ([^;]*)", meta.group(1) if meta else "")
    if not policy or f"'sha256-{digest}'" not in policy.group(1).split():
        raise BuildError("index.html's CSP script-src must allow its import map: "
                         f"add 'sha256-{digest}'")


def vendor_codemirror(staging: Path) -> dict[str, str]:
    """Write CodeMirror's modules (cached, integrity-checked npm tarballs) into ``staging``.

    Each module's bare imports must be packages of the set (nothing else could resolve),
    and index.html's import map must name them all. Returns {package: version}.
    """
    served: dict[str, str] = {}
    for package, version, integrity, entry in CODEMIRROR_PACKAGES:
        tarball = fetch_npm(package, version, integrity)
        path = codemirror_module_path(package)
        with tarfile.open(tarball) as archive:
            parts = {}
            for name in (entry, "LICENSE"):
                member = archive.extractfile(f"package/{name}")
                if member is None:
                    raise BuildError(f"{tarball.name} has no {name}")
                parts[name] = member.read()
        source = parts[entry].decode("utf-8")
        unknown = {spec for spec in _BARE_IMPORT.findall(source)
                   if spec not in {p for p, *_ in CODEMIRROR_PACKAGES}}
        if unknown:
            raise BuildError(f"{package}@{version} imports {sorted(unknown)}, not vendored")
        target = staging / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(parts[entry])
        target.with_suffix(".LICENSE").write_bytes(parts["LICENSE"])
        served[package] = path
    check_import_map((staging / "index.html").read_text(encoding="utf-8"), served)
    return {package: version for package, version, *_ in CODEMIRROR_PACKAGES}


# ---------------------------------------------------------------- dist


def build_dist() -> Path:
    """Write dist/ into a temporary folder, then swap it in whole."""
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tarball = fetch_pyodide()
    vendored = [(fetch_npm(package, version, integrity), folder, files)
                for package, version, integrity, folder, files in NPM_ASSETS]
    wheels = [(fetch_pinned(req, name, sha), group) for req, name, sha, group in PINNED_WHEELS]
    sdist = fetch_pinned(*MARKUPSAFE_SDIST, sdist=True)

    staging = Path(tempfile.mkdtemp(prefix="dist.", dir=ROOT))
    staging.chmod(0o755)
    try:
        extract_npm_files(tarball, PYODIDE_FILES, staging / "pyodide")
        wheel_dir = staging / "wheels"
        wheel_dir.mkdir()
        manifest_wheels = []
        for path, group in wheels:
            shutil.copy2(path, wheel_dir / path.name)
            manifest_wheels.append((path.name, group))
        build_markupsafe_wheel(sdist, wheel_dir / MARKUPSAFE_WHEEL)
        manifest_wheels.append((MARKUPSAFE_WHEEL, "engine"))
        engine = build_engine_wheel(wheel_dir)
        manifest_wheels.append((engine.name, "engine"))

        shutil.copy2(ROOT / "index.html", staging / "index.html")
        shutil.copytree(ROOT / "web", staging / "web")
        for vendored_tarball, folder, files in vendored:
            extract_npm_files(vendored_tarball, files, staging / folder)
        codemirror = vendor_codemirror(staging)
        if (ROOT / "examples").is_dir():
            shutil.copytree(ROOT / "examples", staging / "examples",
                            ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        manifest = {
            "version": project_version(),
            "pyodide": PYODIDE_VERSION,
            "vendor": {**{package: version for package, version, *_ in NPM_ASSETS}, **codemirror},
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "wheels": [
                {"file": name, "group": group, "sha256": sha256_of(wheel_dir / name),
                 "size": (wheel_dir / name).stat().st_size}
                for name, group in manifest_wheels
            ],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

        previous = ROOT / f".dist-old-{os.getpid()}"
        if DIST.exists():
            DIST.replace(previous)
        staging.replace(DIST)
        shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log(f"dist/ written in {time.perf_counter() - started:.1f} s")
    return DIST


def build() -> None:
    ensure_venv()
    build_dist()


# ---------------------------------------------------------------- serve


# A Worker takes its Content-Security-Policy from its own script's response, not from the
# page's <meta> tag. The engine Worker gets the page's policy; the sandbox Worker, which runs
# generated code, may fetch only this origin's runtime files and reach no other host.
SANDBOX_WORKER_POLICY = ("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "
                         "connect-src 'self'; worker-src 'none'")


def page_policy() -> str:
    """The policy index.html states in its <meta> tag (one source of truth)."""
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                      (ROOT / "index.html").read_text(encoding="utf-8"))
    return found.group(1) if found else ""


def worker_policy(path: str) -> str:
    """The policy header a Worker script needs, or "" for every other file."""
    name = path.split("?", 1)[0]
    if name.endswith("/web/sandbox/worker.mjs"):
        return SANDBOX_WORKER_POLICY
    if name.endswith("/web/engine-worker.mjs"):
        return page_policy()
    return ""


class DistHandler(http.server.SimpleHTTPRequestHandler):
    """Serves dist/ with the MIME types Pyodide needs and no caching surprises."""

    extensions_map = {  # noqa: RUF012 (the base class defines it as a plain dict)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".whl": "application/zip",
        ".json": "application/json",
        ".jsonl": "application/x-ndjson",
        ".machine": "text/plain; charset=utf-8",
        ".zip": "application/zip",
    }

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        policy = worker_policy(self.path)
        if policy:
            self.send_header("Content-Security-Policy", policy)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        if os.environ.get("EVOMACHINE_HTTP_LOG"):
            super().log_message(format, *args)


def make_server(port: int, directory: Path = DIST) -> http.server.ThreadingHTTPServer:
    handler = lambda *a, **kw: DistHandler(*a, directory=str(directory), **kw)  # noqa: E731
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve(port: int) -> None:
    build()
    try:
        server = make_server(port)
    except OSError as error:
        raise BuildError(f"cannot listen on 127.0.0.1:{port} ({error}); try --port N") from error
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    log(f"serving dist/ at {url}  (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log("stopped")


# ---------------------------------------------------------------- test


def ensure_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing Debian's chromium with apt-get (for the e2e layer)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            result = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise BuildError(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")
        return
    raise BuildError(
        "the e2e tests need Chromium at /usr/bin/chromium. Install it as root with "
        "'apt-get install chromium' (Debian/Ubuntu), then run 'python3 build.py test' again."
    )


def test(pytest_args: list[str]) -> int:
    build()
    ensure_chromium()
    if shutil.which("node") is None:
        raise BuildError("node is not installed; the Pyodide test layer runs under Node.js 20+")
    pytest = [str(venv_python()), "-m", "pytest", *(pytest_args or [])]
    if any((ROOT / a.split("::")[0]).exists() for a in pytest_args):
        return run_pytest(pytest)  # the tests named, as asked
    # Fast layers first: a failure there is seen in minutes, not after the browser runs (the
    # Pyodide layer runs in Node beside the CPython one). The browser layer is then spread over
    # E2E_WORKERS processes, a whole file to each (a file's tests share a page, in order): it
    # waits on the page often enough that one process keeps two cores only 60 % busy.
    first = run_pytest([*pytest, "tests/unit", "tests/build", "tests/pyodide"])
    second = run_pytest([*pytest, "-n", str(E2E_WORKERS), "--dist", "loadfile", "tests/e2e"])
    return first or second


def run_pytest(cmd: list[str]) -> int:
    log("running " + " ".join(cmd[2:]))
    return subprocess.call(cmd, cwd=ROOT)


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("build", help="build dist/ (default)")
    serve_parser = sub.add_parser("serve", help="build, then serve dist/ on 127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    sub.add_parser("test", help="build, then run every test layer (extra arguments go to pytest)")
    argv = sys.argv[1:] if argv is None else argv
    # Everything after "test" belongs to pytest, options included.
    pytest_args = argv[1:] if argv[:1] == ["test"] else None
    args = parser.parse_args(argv[:1] if pytest_args is not None else argv)
    try:
        if args.command == "serve":
            serve(args.port)
        elif args.command == "test":
            return test(pytest_args or [])
        else:
            build()
    except BuildError as error:
        print(f"[build] error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
