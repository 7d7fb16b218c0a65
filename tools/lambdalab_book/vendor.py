"""Python for the reader's browser: Pyodide and the wheels it installs, fetched once, checked, cached.

The "Run" buttons (``live``) run cells with Pyodide, from the site's own files. Those files are
about 15 MB, so they are not in git: each book build takes them from a cache outside the
repository (``~/.cache/lambdalab-book``, or ``$LAMBDALAB_CACHE``), downloading what is missing
with the registries' ordinary clients, and copies them into ``_static/lambdalab/live/``:

- the npm package ``pyodide`` (``PYODIDE_VERSION``), checked against its npm ``integrity``
  (sha512), downloaded from the npm registry with ``urllib``; only the files a browser fetches
  to start are kept (``PYODIDE_FILES``): its 119 KB lock file lists 357 packages this site does
  not serve, so the site gets a lock file of its own (``lock_file``) that lists just the wheels;
- the pure-Python wheels of ``BROWSER_WHEELS`` (plotly and what it needs) at the versions pinned in
  ``requirements.txt`` (the one place where Python versions are set), fetched with ``pip download``
  and checked against ``WHEEL_SHA256``. plotly's wheel is trimmed of what a browser kernel never
  uses (``PLOTLY_TRIM``: its own copy of plotly.js, the Jupyter extension, sample data sets),
  10 MB down to about 3.5 MB, and rebuilt as a valid wheel (RECORD rewritten);
- ``lambdalab``'s wheel is the one ``launch`` builds from the working tree for every build.

A second build needs no network. Every file taken from the cache is checked again, so a damaged
cache is refetched rather than served. Bump a version together with its hash; the build says
which hash is missing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PINS = ROOT / "requirements.txt"

PYODIDE_VERSION = "314.0.8"
PYODIDE_URL = f"https://registry.npmjs.org/pyodide/-/pyodide-{PYODIDE_VERSION}.tgz"
PYODIDE_INTEGRITY = "sha512-74Wq1kXOC+CCEzAfxuRAO701nAcCMLjf8NrwvWpu8S41dVMXwXmLQ05dYB+F4e46AdnGo0oq7YHSVUpHsoarLQ=="
#: What ``pyodide.mjs`` fetches to start, relative to its own folder (plus the lock file).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
PYODIDE_LICENCE = "MPL-2.0"

#: The wheels the browser installs besides lambdalab: plotly and its two dependencies.
BROWSER_WHEELS = ("plotly", "narwhals", "packaging")
#: sha256 of each wheel as PyPI serves it; the versions come from requirements.txt.
WHEEL_SHA256 = {
    "plotly-7.1.0-py3-none-any.whl": "dbb7fa18afce40d0a8e80d1bf162eceb3faa0ce5a77fe741ad09a74cf78f53f3",
    "narwhals-2.29.0-py3-none-any.whl": "1c69b3dc30240f6e848c5a673cafc86affa44184ecce721e25b7194663ad10dc",
    "packaging-26.4-py3-none-any.whl": "81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2",
}
#: Files of plotly's wheel a browser kernel never needs (prefixes): plotly.js itself (the page has
#: its own), the JupyterLab extension (in the package and again in the wheel's ``.data`` folder),
#: the anywidget bundle and the sample data sets. Templates, validators and ``graph_objs`` stay.
PLOTLY_TRIM = (
    "plotly/package_data/plotly.min.js",
    "plotly/package_data/widgetbundle.js",
    "plotly/package_data/datasets/",
    "plotly/labextension/",
    "plotly-{version}.data/",
)
TRIM_VERSION = "2"  # bump when PLOTLY_TRIM changes: the cached trimmed wheel is rebuilt
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

#: Where the site serves them, under ``_static``.
LIVE = "lambdalab/live"
PYODIDE_DIR = f"{LIVE}/pyodide"
WHEELS_DIR = f"{LIVE}/wheels"


class VendorError(RuntimeError):
    """A vendored file could not be fetched or did not match its pinned hash."""


def cache_dir() -> Path:
    """``$LAMBDALAB_CACHE``, else ``$XDG_CACHE_HOME/lambdalab-book``, else ``~/.cache/lambdalab-book``."""
    if os.environ.get("LAMBDALAB_CACHE"):
        return Path(os.environ["LAMBDALAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lambdalab-book"


def sri(data: bytes, algorithm: str = "sha512") -> str:
    """A subresource-integrity string, as npm's ``integrity`` field writes it."""
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pinned_version(name: str, pins: Path = PINS) -> str:
    """The version of ``name`` in requirements.txt."""
    for line in pins.read_text().splitlines():
        key, _, version = line.split("#")[0].strip().partition("==")
        if version and re.sub(r"[-_.]+", "-", key).lower() == name:
            return version.strip()
    raise VendorError(f"{name} is not pinned in {pins}")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, path)


def _cached(path: Path, ok: Callable[[bytes], bool]) -> bytes | None:
    """The cached file's bytes if it exists and passes the check ``ok``."""
    if path.is_file():
        data = path.read_bytes()
        if ok(data):
            return data
    return None


def pyodide_tarball(cache: Path | None = None) -> bytes:
    """The npm tarball of Pyodide, from the cache or the npm registry, checked against its integrity."""
    path = (cache or cache_dir()) / f"pyodide-{PYODIDE_VERSION}.tgz"
    data = _cached(path, lambda d: sri(d) == PYODIDE_INTEGRITY)
    if data is not None:
        return data
    try:
        with urllib.request.urlopen(PYODIDE_URL, timeout=120) as response:
            data = response.read()
    except OSError as error:
        raise VendorError(f"cannot download {PYODIDE_URL}: {error}") from error
    if sri(data) != PYODIDE_INTEGRITY:
        raise VendorError(f"{PYODIDE_URL} does not match its pinned integrity {PYODIDE_INTEGRITY}")
    _atomic_write(path, data)
    return data


def pyodide_files(tarball: bytes) -> dict[str, bytes]:
    """``PYODIDE_FILES`` and the original lock file (for its ``info``), read from the npm tarball."""
    wanted = {f"package/{name}" for name in (*PYODIDE_FILES, "pyodide-lock.json")}
    files = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for member in archive.getmembers():
            if member.name in wanted and member.isfile():
                extracted = archive.extractfile(member)
                assert extracted is not None
                files[member.name.removeprefix("package/")] = extracted.read()
    missing = wanted - {f"package/{name}" for name in files}
    if missing:
        raise VendorError(f"the pyodide {PYODIDE_VERSION} tarball lacks {sorted(missing)}")
    return files


def wheel_name(name: str, pins: Path = PINS) -> str:
    return f"{name}-{pinned_version(name, pins)}-py3-none-any.whl"


def pypi_wheel(name: str, cache: Path | None = None, pins: Path = PINS) -> bytes:
    """The pure-Python wheel of ``name`` at its pinned version, from the cache or ``pip download``."""
    filename = wheel_name(name, pins)
    expected = WHEEL_SHA256.get(filename)
    if expected is None:
        raise VendorError(
            f"no sha256 pinned for {filename} (requirements.txt changed?): add it to WHEEL_SHA256 in {__file__}"
        )
    path = (cache or cache_dir()) / "wheels" / filename
    data = _cached(path, lambda d: sha256(d) == expected)
    if data is not None:
        return data
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet"]
        cmd += ["--no-deps", "--only-binary=:all:", f"{name}=={pinned_version(name, pins)}", "-d", tmp]
        done = subprocess.run(cmd, capture_output=True, text=True)
        got = Path(tmp) / filename
        if done.returncode != 0 or not got.is_file():
            raise VendorError(f"pip download {name} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
        data = got.read_bytes()
    if sha256(data) != expected:
        raise VendorError(f"{filename} from the package index does not match its pinned sha256 {expected}")
    _atomic_write(path, data)
    return data


def _record_digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def trim_wheel(data: bytes, drop: tuple[str, ...]) -> bytes:
    """The wheel ``data`` without the files whose paths start with one of ``drop``: a valid wheel.

    Entries keep their order; every entry is dated 1980-01-01 and compressed at level 9, so the
    same input gives the same bytes. RECORD is written anew for the files kept.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = [n for n in source.namelist() if not n.endswith("/") and not n.startswith(drop)]
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
        record = ""
        for name in names:
            if name == record_name:
                continue
            content = source.read(name)
            record += f"{name},{_record_digest(content)},{len(content)}\n"
            _write(target, name, content, source.getinfo(name).external_attr)
        _write(target, record_name, (record + f"{record_name},,\n").encode(), 0o644 << 16)
    return out.getvalue()


def _write(archive: zipfile.ZipFile, name: str, content: bytes, external_attr: int) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.create_system = 3
    info.external_attr = external_attr or (0o644 << 16)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, content, compresslevel=9)


def browser_wheel(name: str, cache: Path | None = None, pins: Path = PINS) -> tuple[str, bytes]:
    """The wheel the browser gets for ``name``: PyPI's, and for plotly the trimmed copy (cached too)."""
    data = pypi_wheel(name, cache, pins)
    filename = wheel_name(name, pins)
    if name != "plotly":
        return filename, data
    path = (cache or cache_dir()) / "browser" / f"{sha256(data)[:16]}-trim{TRIM_VERSION}" / filename
    digest = path.parent / (filename + ".sha256")  # written with it: the trimmed wheel is checked too
    expected = digest.read_text().strip() if digest.is_file() else None
    trimmed = _cached(path, lambda d: sha256(d) == expected)
    if trimmed is None:
        trimmed = trim_wheel(data, tuple(p.format(version=pinned_version(name, pins)) for p in PLOTLY_TRIM))
        _atomic_write(path, trimmed)
        _atomic_write(digest, sha256(trimmed).encode())
    return filename, trimmed


def wheel_imports(data: bytes) -> list[str]:
    """The top-level modules a wheel installs (what ``import`` names load it)."""
    tops = set()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            first, _, rest = name.partition("/")
            if first.endswith((".dist-info", ".data")):
                continue
            if rest and (rest == "__init__.py" or name.endswith(".py")):
                tops.add(first)
            elif not rest and first.endswith(".py"):
                tops.add(first.removesuffix(".py"))
    return sorted(t for t in tops if t.isidentifier())


def _requires(data: bytes) -> list[str]:
    """The wheel's unconditional requirements (no extras, no markers), as normalised names."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode()
    names = []
    for line in text.split("\n\n")[0].splitlines():
        if line.startswith("Requires-Dist:") and ";" not in line:
            requirement = line.split(":", 1)[1].strip()
            names.append(re.split(r"[ <>=!~\[(]", requirement, maxsplit=1)[0].lower())
    return names


@dataclass(frozen=True)
class Wheel:
    """A wheel the site serves to Pyodide: its package name, URL relative to the lock file, bytes."""

    name: str
    version: str
    file_name: str
    data: bytes


def lock_file(info: dict[str, object], wheels: list[Wheel]) -> str:
    """A ``pyodide-lock.json`` listing only ``wheels`` (file names relative to the lock file).

    Pyodide checks each download against its sha256 and installs the dependencies listed here, so
    ``loadPackagesFromImports`` installs plotly with narwhals and packaging on a cell's first
    ``import plotly``. ``info`` is the original lock file's (Pyodide checks its ABI version).
    """
    known = {w.name for w in wheels}
    packages = {}
    for wheel in sorted(wheels, key=lambda w: w.name):
        packages[wheel.name] = {
            "name": wheel.name,
            "version": wheel.version,
            "file_name": wheel.file_name,
            "install_dir": "site",
            "sha256": sha256(wheel.data),
            "package_type": "package",
            "imports": wheel_imports(wheel.data),
            "depends": sorted(d for d in _requires(wheel.data) if d in known),
            "unvendored_tests": False,
        }
    return json.dumps({"info": info, "packages": packages}, indent=1, sort_keys=True) + "\n"


def stdlib_modules(stdlib_zip: bytes) -> frozenset[str]:
    """Top-level modules in Pyodide's ``python_stdlib.zip`` (its pure-Python standard library)."""
    with zipfile.ZipFile(io.BytesIO(stdlib_zip)) as archive:
        names = {n.split("/")[0].split(".")[0] for n in archive.namelist()}
    return frozenset(n for n in names if n.isidentifier())


@dataclass(frozen=True)
class Vendored:
    """Pyodide's files and the browser's wheels, fetched and checked (``prepare``), ready to ``write``."""

    pyodide: dict[str, bytes]  # PYODIDE_FILES, and the original lock file
    wheels: tuple[Wheel, ...]  # BROWSER_WHEELS, file names relative to the lock file

    @property
    def stdlib(self) -> frozenset[str]:
        return stdlib_modules(self.pyodide["python_stdlib.zip"])

    def transfer_sizes(self) -> dict[str, int]:
        """Bytes a first use transfers, as ``serve`` sends them: ``python`` (Pyodide), then per wheel."""
        from .serve import compressible, gzip_bytes

        python = sum(
            len(gzip_bytes(self.pyodide[n])) if compressible(n) else len(self.pyodide[n]) for n in PYODIDE_FILES
        )
        return {"python": python, **{w.name: len(w.data) for w in self.wheels}}


def prepare(cache: Path | None = None, pins: Path = PINS) -> Vendored:
    """Fetch (or take from the cache) and check Pyodide and the wheels; raises ``VendorError``."""
    files = pyodide_files(pyodide_tarball(cache))
    wheels = []
    for name in BROWSER_WHEELS:
        filename, data = browser_wheel(name, cache, pins)
        wheels.append(Wheel(name, pinned_version(name, pins), f"../wheels/{filename}", data))
    return Vendored(files, tuple(wheels))


def write(vendored: Vendored, static: Path, lambdalab_wheel: Path) -> None:
    """Write Pyodide, the wheels and the site's lock file into ``static`` (the build's ``_static``)."""
    pyodide = static / PYODIDE_DIR
    wheels_dir = static / WHEELS_DIR
    shutil.rmtree(pyodide, ignore_errors=True)
    shutil.rmtree(wheels_dir, ignore_errors=True)
    pyodide.mkdir(parents=True)
    wheels_dir.mkdir(parents=True)
    for name in PYODIDE_FILES:
        (pyodide / name).write_bytes(vendored.pyodide[name])
    (pyodide / "NOTICE.md").write_text(NOTICE)
    for wheel in vendored.wheels:
        (pyodide / wheel.file_name).write_bytes(wheel.data)  # ../wheels/NAME.whl
    up = os.path.relpath(lambdalab_wheel.parent, pyodide).replace(os.sep, "/")
    version = lambdalab_wheel.name.split("-")[1]
    own = Wheel("lambdalab", version, f"{up}/{lambdalab_wheel.name}", lambdalab_wheel.read_bytes())
    info = json.loads(vendored.pyodide["pyodide-lock.json"])["info"]
    (pyodide / "pyodide-lock.json").write_text(lock_file(info, [own, *vendored.wheels]))


NOTICE = f"""# Pyodide {PYODIDE_VERSION}

Unmodified files of the npm package `pyodide` {PYODIDE_VERSION} (<https://www.npmjs.com/package/pyodide>),
licensed under the Mozilla Public License 2.0 (<https://mozilla.org/MPL/2.0/>). Source code:
<https://github.com/pyodide/pyodide>. `pyodide.asm.wasm` and `python_stdlib.zip` hold CPython,
under the Python Software Foundation License (<https://docs.python.org/3/license.html>).

`pyodide-lock.json` is this site's own: it lists only the wheels served in `../wheels/` and
`../../wheels/`, each under its own licence (in its `.dist-info`).
"""
