#!/usr/bin/env python3
"""Lambda Lab's developer commands, each doing its own set-up.

    python3 dev.py book      build the book (-W -n --keep-going) and serve it on 127.0.0.1
    python3 dev.py test      run every test: unit, property, nbval, book build, browser
    python3 dev.py execute   re-execute every notebook in chapters/ and labs/, saving outputs
    python3 dev.py lab       open the chapters and labs in a local JupyterLab

Set-up is a virtual environment in ``.venv`` holding the pinned stack of
``requirements.txt`` plus ``lambdalab`` (editable) and the book's Sphinx
extension (``tools/``). It is created on first use and refreshed whenever
``requirements.txt`` or a ``pyproject.toml`` changes. ``test`` also installs
Debian's chromium when ``/usr/bin/chromium`` is missing.

Only the standard library is used here, so that the system Python can run it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("LAMBDALAB_VENV", ROOT / ".venv"))
CHROMIUM = Path("/usr/bin/chromium")
STAMP_INPUTS = ("requirements.txt", "pyproject.toml", "tools/pyproject.toml")


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(cmd: list[str], **kwargs: object) -> None:
    say("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> Path:
    """Create or refresh ``.venv`` so that it matches the pinned stack."""
    if sys.version_info < (3, 10):  # noqa: UP036 (dev.py may run on an older system Python)
        sys.exit("Lambda Lab needs Python 3.10 or newer (3.11+ recommended).")
    python = venv_python()
    if not python.exists():
        say(f"creating virtual environment {VENV}")
        try:
            run([sys.executable, "-m", "venv", str(VENV)])
        except subprocess.CalledProcessError:
            sys.exit(
                "Could not create a virtual environment. On Debian/Ubuntu install it with "
                "'apt-get install python3-venv', then run this command again."
            )
    digest = hashlib.sha256()
    for name in STAMP_INPUTS:
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / ".lambdalab-stamp"
    if not stamp.exists() or stamp.read_text() != digest.hexdigest():
        say("installing the pinned stack (first run: about a minute)")
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        run([*pip, "-r", str(ROOT / "requirements.txt")])
        run([*pip, "--no-deps", "-e", str(ROOT), "-e", str(ROOT / "tools")])
        stamp.write_text(digest.hexdigest())
    return python


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests if it is missing."""
    if CHROMIUM.exists():
        return
    if not shutil.which("apt-get"):
        sys.exit(f"{CHROMIUM} is missing and apt-get is not available: install Chromium there.")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    say("installing Debian's chromium for the browser tests")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run([*sudo, "apt-get", "update", "-q"], env=env)
    run([*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"], env=env)


def in_venv(python: Path, args: list[str]) -> None:
    """Replace this process by ``python -m ...`` inside the virtual environment."""
    env = dict(os.environ, PYTHONNOUSERSITE="1")
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    say("$ " + " ".join(args))
    os.chdir(ROOT)
    os.execve(str(python), [str(python), *args], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    book = sub.add_parser("book", help="build the book and serve it")
    book.add_argument("--port", type=int, default=8000)
    book.add_argument("--no-serve", action="store_true", help="build only")
    test = sub.add_parser("test", help="run the whole test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments")
    execute = sub.add_parser("execute", help="re-execute notebooks and store their outputs")
    execute.add_argument("notebooks", nargs="*", help="notebooks to execute (default: all)")
    lab = sub.add_parser("lab", help="open the chapters and labs in JupyterLab")
    lab.add_argument("--port", type=int, default=8888)
    # Everything after "test" goes to pytest, options included ("dev.py test -k pricing -x").
    args, extra = parser.parse_known_args()
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    python = ensure_venv()
    if args.command == "book":
        extra = ["--no-serve"] if args.no_serve else []
        in_venv(python, ["-m", "lambdalab_book.serve", "--port", str(args.port), *extra])
    elif args.command == "test":
        ensure_chromium()
        in_venv(python, ["-m", "pytest", *extra, *args.pytest_args])
    elif args.command == "execute":
        in_venv(python, ["-m", "lambdalab_book.execute", *args.notebooks])
    elif args.command == "lab":
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        run([*pip, "-r", str(ROOT / "tools" / "requirements-lab.txt")])
        as_root = ["--allow-root"] if os.name != "nt" and os.geteuid() == 0 else []  # JupyterLab refuses root
        lab_args = ["--ip", "127.0.0.1", "--port", str(args.port), *as_root, "--notebook-dir", str(ROOT)]
        in_venv(python, ["-m", "jupyterlab", *lab_args])


if __name__ == "__main__":
    main()
