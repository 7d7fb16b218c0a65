"""Build the book with warnings as errors, then serve it on 127.0.0.1.

Run through ``python3 dev.py book``. Notebooks are not executed here: they are
stored with their outputs (``python3 dev.py execute`` refreshes them).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build(root: Path = ROOT, output: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``jupyter-book build --all -W -n --keep-going``; return the finished process."""
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]
    cmd += ["build", str(root), "--all", "-W", "-n", "--keep-going"]
    if output is not None:
        cmd += ["--path-output", str(output)]
    return subprocess.run(cmd, cwd=root, text=True, capture_output=True)


def serve(directory: Path, port: int) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        sys.exit(f"[book] cannot serve on 127.0.0.1:{port} ({error.strerror}): try --port {port + 1}")
    with server:
        print(f"\nServing the book at http://127.0.0.1:{server.server_address[1]}/  (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-serve", action="store_true")
    args = parser.parse_args()
    print("[book] jupyter-book build . -W -n --keep-going", flush=True)
    done = build()
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        sys.exit(f"[book] the build failed (exit {done.returncode}); see the warnings above.")
    html = ROOT / "_build" / "html"
    print(f"[book] built {html}/index.html", flush=True)
    if not args.no_serve:
        serve(html, args.port)


if __name__ == "__main__":
    main()
