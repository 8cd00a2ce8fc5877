"""build.py vendors CodeMirror 6 from npm and index.html's import map names it (CPython only)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import re
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = (ROOT / "index.html").read_text(encoding="utf-8")


@pytest.fixture
def build():
    spec = importlib.util.spec_from_file_location("build_under_test", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_under_test"] = module
    spec.loader.exec_module(module)
    return module


def served(build) -> dict[str, str]:
    return {package: build.codemirror_module_path(package)
            for package, *_ in build.CODEMIRROR_PACKAGES}


def tarball(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_the_page_import_map_names_every_vendored_module_and_the_csp_allows_it(build):
    build.check_import_map(HTML, served(build))
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', HTML, re.S)
                         .group(1))["imports"]
    assert all(url.startswith("./web/vendor/codemirror/") for url in imports.values())


@pytest.mark.parametrize(("change", "message"), [
    (lambda html: html.replace("./web/vendor/codemirror/crelt.js",
                               "https://esm.sh/crelt@1.0.7"), "must be exactly"),
    (lambda html: html.replace('"crelt": "./web/vendor/codemirror/crelt.js"\n',
                               '"crelt": "./web/vendor/codemirror/crelt.js" \n'), "add 'sha256-"),
    (lambda html: html.replace("'wasm-unsafe-eval' 'sha256-", "'wasm-unsafe-eval' 'x-"),
     "add 'sha256-"),
    (lambda html: html.replace('<script type="importmap">', "<script>"), "no <script"),
])
def test_a_map_pointing_elsewhere_or_not_allowed_by_its_hash_is_refused(build, change, message):
    changed = change(HTML)
    assert changed != HTML
    with pytest.raises(build.BuildError, match=re.escape(message)):
        build.check_import_map(changed, served(build))


def test_a_scoped_package_is_cached_under_the_name_npm_pack_gives_it(build, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "CACHE", tmp_path)
    data = tarball({"dist/index.js": "export const x = 1;\n", "LICENSE": "MIT"})
    (tmp_path / "scope-thing-1.0.0.tgz").write_bytes(data)
    monkeypatch.setattr(build, "run", lambda *a, **k: pytest.fail("a cached tarball was fetched"))
    assert build.fetch_npm("@scope/thing", "1.0.0", integrity(data)).name == "scope-thing-1.0.0.tgz"


def test_a_module_importing_a_package_that_is_not_vendored_is_refused(build, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "CACHE", tmp_path)
    data = tarball({"dist/index.js": "import { pad } from 'left-pad';\nexport { pad };\n",
                    "LICENSE": "MIT"})
    (tmp_path / "scope-thing-1.0.0.tgz").write_bytes(data)
    monkeypatch.setattr(build, "CODEMIRROR_PACKAGES",
                        (("@scope/thing", "1.0.0", integrity(data), "dist/index.js"),))
    with pytest.raises(build.BuildError, match=r"imports \['left-pad'\], not vendored"):
        build.vendor_codemirror(tmp_path)


def test_a_warm_cache_vendors_codemirror_offline_one_module_per_package(build, tmp_path,
                                                                        monkeypatch):
    names = [f"{p.lstrip('@').replace('/', '-')}-{v}.tgz" for p, v, *_ in build.CODEMIRROR_PACKAGES]
    if not all((build.CACHE / name).exists() for name in names):
        pytest.skip("needs a warm artifact cache: run 'python3 build.py' once")
    monkeypatch.setattr(build, "run", lambda *a, **k: pytest.fail("the warm build downloaded"))
    (tmp_path / "index.html").write_text(HTML, encoding="utf-8")
    versions = build.vendor_codemirror(tmp_path)
    assert versions["@codemirror/view"] == "6.43.15" and len(versions) == 14
    folder = tmp_path / "web" / "vendor" / "codemirror"
    modules = sorted(p.name for p in folder.glob("*.js"))
    assert len(modules) == 14 and len(list(folder.glob("*.LICENSE"))) == 14
    specifiers = set(served(build))
    for module in folder.glob("*.js"):
        imported = set(re.findall(r"""\bfrom\s*['"]([^'"./][^'"]*)['"]""", module.read_text()))
        assert imported <= specifiers, (module.name, imported - specifiers)
    assert "\nclass EditorView {" in (folder / "codemirror-view.js").read_text()
    assert "MIT" in (folder / "codemirror-view.LICENSE").read_text()
