"""Build the book with warnings as errors, then serve it on 127.0.0.1, compressed as static hosts serve it.

Run through ``python3 dev.py book``. Notebooks are not executed here: they are
stored with their outputs (``python3 dev.py execute`` refreshes them).

The server answers ``Accept-Encoding: gzip`` with gzip-compressed text files
(``Content-Encoding: gzip``, ``Vary: Accept-Encoding``), compressed once and
kept in memory until the file changes, as GitHub Pages, Netlify or nginx with
``gzip on`` would. ``BookHandler`` and ``running()`` are shared with the tests
(``tests/conftest.py``) and ``benchmarks/page_speed.py``, so that what they
measure is what a reader's browser would download.
"""

from __future__ import annotations

import argparse
import datetime
import email.utils
import functools
import gzip
import http.server
import io
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[2]

GZIP_LEVEL = 6  # zlib's default, and nginx's usual setting
# Text (and wasm) files are sent gzipped; images and woff/woff2 fonts are compressed already.
COMPRESSIBLE = frozenset(
    {".html", ".htm", ".js", ".mjs", ".cjs", ".css", ".json", ".map", ".svg", ".txt", ".md", ".xml", ".py"}
    | {".ipynb", ".wasm", ".ttf", ".otf", ".eot", ".ico"}
)
CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".cjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".ipynb": "application/x-ipynb+json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".py": "text/x-python",  # the Run buttons' kernel, fetched by their worker
    ".wasm": "application/wasm",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}
EXTENSIONS_MAP = {**http.server.SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}


def build(root: Path = ROOT, output: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``jupyter-book build --all -W -n --keep-going``; return the finished process.

    The HTML folder is emptied first, so that no page or file of an earlier build survives.
    """
    shutil.rmtree((output or root) / "_build" / "html", ignore_errors=True)
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]
    cmd += ["build", str(root), "--all", "-W", "-n", "--keep-going"]
    if output is not None:
        cmd += ["--path-output", str(output)]
    return subprocess.run(cmd, cwd=root, text=True, capture_output=True)


def compressible(path: str | Path) -> bool:
    """Whether the server sends this file gzipped to a browser that accepts gzip."""
    return os.path.splitext(str(path))[1].lower() in COMPRESSIBLE


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzipped at level 6, with a zero timestamp (the same bytes every time)."""
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def transfer_size(path: Path) -> int:
    """Body bytes sent for ``path`` to a browser that accepts gzip: gzipped size for text, else raw size."""
    return len(gzip_bytes(path.read_bytes())) if compressible(path) else path.stat().st_size


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header value accepts gzip (``gzip``, ``x-gzip`` or ``*``, q > 0)."""
    weights: dict[str, float] = {}
    for item in (header or "").split(","):
        name, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name.strip():
            weights[name.strip().lower()] = weight
    for name in ("gzip", "x-gzip"):
        if name in weights:
            return weights[name] > 0
    return weights.get("*", 0.0) > 0


class GzipCache:
    """Gzipped bodies by file path, each compressed once and again only when the file changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bodies: dict[str, tuple[tuple[int, int], bytes]] = {}

    def body(self, path: str, file: BinaryIO) -> bytes:
        """The gzipped contents of ``file``, opened from ``path``."""
        stat = os.fstat(file.fileno())
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._bodies.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        body = gzip_bytes(file.read())
        with self._lock:
            self._bodies[path] = (key, body)
        return body

    def warm(self, directory: Path) -> int:
        """Compress every compressible file under ``directory`` now; return how many there are."""
        count = 0
        for path in sorted(directory.rglob("*")):
            if path.is_file() and compressible(path):
                with path.open("rb") as file:
                    self.body(os.fspath(path), file)
                count += 1
        return count


SHARED_CACHE = GzipCache()


class BookHandler(http.server.SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` with gzip for text files, HTTP/1.1 keep-alive and modern content types.

    Make one with ``functools.partial(BookHandler, directory=..., quiet=True)`` (or use
    ``make_server``). Files that are not compressible, directory listings and redirects
    are served as ``SimpleHTTPRequestHandler`` serves them.
    """

    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle keep-alive connection is closed after this many seconds
    extensions_map = EXTENSIONS_MAP

    def __init__(
        self, *args: Any, directory: str | None = None, cache: GzipCache | None = None, quiet: bool = False
    ) -> None:
        self.cache = SHARED_CACHE if cache is None else cache
        self.quiet = quiet
        super().__init__(*args, directory=directory)  # handles the request

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)

    def send_head(self) -> Any:
        path = self.translate_path(self.path)
        if os.path.isdir(path) and urllib.parse.urlsplit(self.path).path.endswith("/"):
            path = next(
                (os.path.join(path, i) for i in ("index.html", "index.htm") if os.path.isfile(os.path.join(path, i))),
                path,
            )
        if path.endswith("/") or not compressible(path) or not os.path.isfile(path):
            return super().send_head()
        try:
            file = open(path, "rb")  # noqa: SIM115 (returned open, closed by the caller)
        except OSError:
            return super().send_head()
        try:
            stat = os.fstat(file.fileno())
            if self._not_modified(stat.st_mtime):
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("Vary", "Accept-Encoding")
                self.end_headers()
                file.close()
                return None
            body = self.cache.body(path, file) if accepts_gzip(self.headers.get("Accept-Encoding")) else None
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-type", self.guess_type(path))
            self.send_header("Vary", "Accept-Encoding")
            self.send_header("Last-Modified", self.date_time_string(stat.st_mtime))
            if body is None:
                self.send_header("Content-Length", str(stat.st_size))
                self.end_headers()
                return file
            file.close()
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)
        except BaseException:
            file.close()
            raise

    def _not_modified(self, mtime: float) -> bool:
        """``If-Modified-Since`` as ``SimpleHTTPRequestHandler`` reads it."""
        if "If-Modified-Since" not in self.headers or "If-None-Match" in self.headers:
            return False
        try:
            since = email.utils.parsedate_to_datetime(self.headers["If-Modified-Since"])
        except (TypeError, IndexError, OverflowError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=datetime.timezone.utc)
        modified = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).replace(microsecond=0)
        return modified <= since


class BookServer(http.server.ThreadingHTTPServer):
    """A threading server that does not wait for idle keep-alive connections on close, nor report
    browsers that hang up mid-response."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 64  # a browser opens several connections at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def make_server(directory: Path, port: int = 0, *, quiet: bool = False, cache: GzipCache | None = None) -> BookServer:
    """A ``BookServer`` of ``directory`` on 127.0.0.1 (port 0: any free port); raises ``OSError``."""
    handler = functools.partial(BookHandler, directory=os.fspath(directory), cache=cache, quiet=quiet)
    return BookServer(("127.0.0.1", port), handler)


@contextmanager
def running(directory: Path, port: int = 0, *, quiet: bool = True, cache: GzipCache | None = None) -> Iterator[str]:
    """Serve ``directory`` from a background thread; yield the base URL (``http://127.0.0.1:PORT``)."""
    server = make_server(directory, port, quiet=quiet, cache=cache)
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def serve(directory: Path, port: int, quiet: bool = False) -> None:
    try:
        server = make_server(directory, port, quiet=quiet)
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
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
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
        serve(html, args.port, quiet=args.quiet)


if __name__ == "__main__":
    main()
