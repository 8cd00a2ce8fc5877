"""build.py: reproducible wheels, hash checks, atomic dist/, offline rebuilds (CPython only)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def build(monkeypatch):
    spec = importlib.util.spec_from_file_location("build_under_test", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_under_test"] = module
    spec.loader.exec_module(module)
    return module


def test_written_wheels_are_reproducible_and_carry_a_correct_record(build, tmp_path):
    files = {"pkg/__init__.py": b"VALUE = 1\n", "pkg/data.txt": "é".encode()}
    first, second = tmp_path / "a.whl", tmp_path / "b.whl"
    build.write_wheel(first, "pkg", "1.0", files)
    build.write_wheel(second, "pkg", "1.0", files)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        record = archive.read("pkg-1.0.dist-info/RECORD").decode().splitlines()
        assert "Tag: py3-none-any" in archive.read("pkg-1.0.dist-info/WHEEL").decode()
        for line in record[:-1]:
            name, digest, size = line.split(",")
            content = archive.read(name)
            assert int(size) == len(content)
            assert digest.startswith("sha256=")


def test_engine_wheel_contains_the_package(build, tmp_path):
    wheel = build.build_engine_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "evomachine/__init__.py" in names
    assert not any("__pycache__" in n for n in names)


def test_a_cached_file_with_the_wrong_hash_is_rejected_and_removed(build, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "CACHE", tmp_path)
    (tmp_path / "wheels").mkdir()
    bogus = tmp_path / "wheels" / "thing-1.0-py3-none-any.whl"
    bogus.write_bytes(b"not the real file")
    with pytest.raises(build.BuildError, match="checksum mismatch"):
        build.fetch_pinned("thing==1.0", bogus.name, "0" * 64)
    assert not bogus.exists()


def test_a_cached_file_with_the_right_hash_needs_no_download(build, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "CACHE", tmp_path)
    (tmp_path / "wheels").mkdir()
    good = tmp_path / "wheels" / "thing-1.0-py3-none-any.whl"
    good.write_bytes(b"payload")

    def no_network(*args, **kwargs):
        raise AssertionError("a cached, verified file must not be downloaded again")

    monkeypatch.setattr(build, "run", no_network)
    digest = hashlib.sha256(b"payload").hexdigest()
    assert build.fetch_pinned("thing==1.0", good.name, digest) == good


def test_a_cached_npm_tarball_with_the_wrong_integrity_is_rejected_and_removed(
        build, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "CACHE", tmp_path)
    bogus = tmp_path / "uplot-1.6.32.tgz"
    bogus.write_bytes(b"not the real tarball")
    _, version, integrity, _, _ = build.NPM_ASSETS[0]
    with pytest.raises(build.BuildError, match=r"checksum mismatch for uplot-1\.6\.32\.tgz"):
        build.fetch_npm("uplot", version, integrity)
    assert not bogus.exists()


def test_a_verified_npm_tarball_needs_no_npm_and_a_missing_one_needs_npm(
        build, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "CACHE", tmp_path)
    good = tmp_path / "thing-1.0.0.tgz"
    good.write_bytes(b"payload")
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(b"payload").digest()).decode()

    def no_network(*args, **kwargs):
        raise AssertionError("a cached, verified tarball must not be fetched again")

    monkeypatch.setattr(build, "run", no_network)
    assert build.fetch_npm("thing", "1.0.0", integrity) == good
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    with pytest.raises(build.BuildError, match="npm is not installed, and other comes from npm"):
        build.fetch_npm("other", "1.0.0", integrity)


def test_a_second_build_runs_offline_and_a_failed_build_keeps_dist(build, tmp_path, monkeypatch):
    cached = [f"pyodide-{build.PYODIDE_VERSION}.tgz",
              *(f"{package}-{version}.tgz" for package, version, *_ in build.NPM_ASSETS),
              *(f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"
                for package, version, *_ in build.CODEMIRROR_PACKAGES)]
    if not all((build.CACHE / name).exists() for name in cached):
        pytest.skip("needs a warm artifact cache: run 'python3 build.py' once")

    def no_network(*args, **kwargs):
        raise AssertionError("the warm build tried to run a download tool")

    monkeypatch.setattr(build, "run", no_network)
    monkeypatch.setattr(build, "DIST", tmp_path / "dist")
    build.build_dist()
    manifest = (tmp_path / "dist" / "manifest.json").read_text()
    assert "evomachine-" in manifest
    vendor = tmp_path / "dist" / "web" / "vendor" / "uplot"
    assert sorted(p.name for p in vendor.iterdir()) == ["LICENSE", "uPlot.esm.js", "uPlot.min.css"]
    assert "export { uPlot as default }" in (vendor / "uPlot.esm.js").read_text()
    assert "MIT License" in (vendor / "LICENSE").read_text()
    assert json.loads(manifest)["vendor"]["uplot"] == "1.6.32"
    assert json.loads(manifest)["vendor"]["@codemirror/view"] == "6.43.15"

    def broken(*args, **kwargs):
        raise build.BuildError("simulated failure while building a wheel")

    monkeypatch.setattr(build, "build_markupsafe_wheel", broken)
    with pytest.raises(build.BuildError):
        build.build_dist()
    assert (tmp_path / "dist" / "manifest.json").read_text() == manifest
    assert not list(ROOT.glob("dist.*")), "a staging folder was left behind"


def test_the_test_command_runs_the_fast_layers_then_the_browser_on_several_workers(
        build, monkeypatch):
    calls: list[list[str]] = []
    codes = iter([3, 0])
    monkeypatch.setattr(build, "build", lambda: None)
    monkeypatch.setattr(build, "ensure_chromium", lambda: None)
    monkeypatch.setattr(build.subprocess, "call",
                        lambda cmd, cwd: calls.append(cmd[3:]) or next(codes))
    assert build.test(["-x"]) == 3  # the first failure's code, and the browser layer ran too
    assert calls == [["-x", "tests/unit", "tests/build", "tests/pyodide"],
                     ["-x", "-n", str(build.E2E_WORKERS), "--dist", "loadfile", "tests/e2e"]]
    calls.clear()
    codes = iter([0])
    assert build.test(["tests/e2e/test_lab.py", "-q"]) == 0  # what is named runs alone, as asked
    assert calls == [["tests/e2e/test_lab.py", "-q"]]
