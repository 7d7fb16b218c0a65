"""Byte budgets for every page of the built book (the issue "The chapter page is slow").

Targets, on every page: at most 2 MB gzipped in all, and at most 150 KB gzipped of what
blocks the first paint (scripts in ``<head>`` without ``defer``, ``async`` or
``type="module"``, plus stylesheets).

- Statically: each page's HTML is parsed; every script, stylesheet (and its ``@import``),
  preload, icon, image and frame it references, and the fonts and images its CSS
  references with ``url(...)`` (for a ``@font-face``, the first source: the one a browser
  takes), are resolved to files in the build and sized as the server sends them
  (``lambdalab_book.serve``: gzip level 6 for text, raw bytes for images and woff2).
- In the browser: the bytes transferred for one page load (CDP ``Network.loadingFinished``
  ``encodedDataLength``, headers included) from the gzip-serving ``site``, which also
  counts what scripts load later (the widget manager's fonts, for example).

Timings (first paint, figures drawn, under a throttled network and CPU) are not tested
here; they are measured by ``benchmarks/page_speed.py``.
"""

from __future__ import annotations

import functools
import gzip
import html.parser
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from browser_support import Visit
from conftest import BuiltBook
from lambdalab_book import serve
from lambdalab_book.serve import transfer_size

TOTAL_BUDGET = 2_000_000  # bytes gzipped, everything a page loads
BLOCKING_BUDGET = 150_000  # bytes gzipped, render-blocking scripts and stylesheets
ORIGIN = "http://book.invalid/"  # stands for the site's address while resolving links
JS_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript", "application/ecmascript"}
NON_BLOCKING_MEDIA = {"print", "not all", "speech"}
SHOWN = 12  # contributors listed in a failure message


def page_paths(book: BuiltBook) -> list[str]:
    """Every page of the build: the content pages, and index.html, search.html, genindex.html."""
    extra = [name for name in ("index.html", "search.html", "genindex.html") if (book.html / name).exists()]
    return [*(p.relative_to(book.html).as_posix() for p in book.pages()), *extra]


@dataclass
class Asset:
    path: str  # relative to the build
    kind: str  # page, script, stylesheet, font, image, preload, icon, frame
    blocking: bool
    size: int  # bytes as served to a browser that accepts gzip


@dataclass
class PageBytes:
    page: str
    assets: dict[str, Asset] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # references to files not in the build
    foreign: list[str] = field(default_factory=list)  # references to other hosts

    @property
    def total(self) -> int:
        return sum(a.size for a in self.assets.values())

    def blocking(self, kind: str | None = None) -> int:
        return sum(a.size for a in self.assets.values() if a.blocking and kind in (None, a.kind))

    def biggest(self, blocking_only: bool = False) -> str:
        assets = sorted((a for a in self.assets.values() if a.blocking or not blocking_only), key=lambda a: -a.size)
        lines = [
            f"    {a.size:>10,}  {a.kind:<10} {a.path}{'  (blocks paint)' if a.blocking else ''}"
            for a in assets[:SHOWN]
        ]
        if len(assets) > SHOWN:
            rest = sum(a.size for a in assets[SHOWN:])
            lines.append(f"    {rest:>10,}  ({len(assets) - SHOWN} more)")
        return "\n".join(lines)


class _PageParser(html.parser.HTMLParser):
    """References that a browser fetches while loading a page: (url, kind, blocking)."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = url
        self.in_head = True
        self.skip = 0  # inside <noscript> or <template>: not fetched with scripting on
        self.refs: list[tuple[str, str, bool]] = []
        self.styles: list[tuple[str, str, bool]] = []  # (css text, base url, blocking)
        self._style: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "body":
            self.in_head = False
        if tag in ("noscript", "template"):
            self.skip += 1
        if self.skip:
            return
        if "style" in a:
            self.styles.append((a["style"], self.base, False))
        if tag == "base" and a.get("href"):
            self.base = urllib.parse.urljoin(self.base, a["href"])
        elif tag == "script" and a.get("src"):
            kind = a.get("type", "").strip().lower()
            if kind in JS_TYPES and "nomodule" not in a:
                deferred = "defer" in a or "async" in a or kind == "module"
                self.refs.append(
                    (a["src"], "script", "render" in a.get("blocking", "") or (not deferred and self.in_head))
                )
        elif tag == "link" and a.get("href"):
            rel = set(a.get("rel", "").lower().split())
            if "stylesheet" in rel and "alternate" not in rel and "disabled" not in a:
                media = a.get("media", "").strip().lower()
                self.refs.append((a["href"], "stylesheet", media not in NON_BLOCKING_MEDIA))
            elif rel & {"preload", "modulepreload", "prefetch"}:
                self.refs.append((a["href"], "preload", False))
            elif "icon" in rel:
                self.refs.append((a["href"], "icon", False))
        elif tag == "img" and (a.get("src") or a.get("srcset")):
            self.refs.append((a.get("src") or a["srcset"].split(",")[0].split()[0], "image", False))
        elif tag == "input" and a.get("type", "").lower() == "image" and a.get("src"):
            self.refs.append((a["src"], "image", False))
        elif tag == "video" and a.get("poster"):
            self.refs.append((a["poster"], "image", False))
        elif tag == "iframe" and a.get("src"):
            self.refs.append((a["src"], "frame", False))
        elif tag == "style":
            self._style = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("noscript", "template") and self.skip:
            self.skip -= 1
        elif tag == "head":
            self.in_head = False
        elif tag == "style" and self._style is not None:
            self.styles.append(("".join(self._style), self.base, True))
            self._style = None

    def handle_data(self, data: str) -> None:
        if self._style is not None:
            self._style.append(data)


CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)["']?\s*\)?\s*([^;]*);""", re.I)
FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}", re.I)
FONT_SRC = re.compile(r"(?:^|[;{\s])src\s*:([^;]*)", re.I)


def _url(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g is not None)


def css_refs(text: str, blocking: bool) -> list[tuple[str, str, bool]]:
    """What a stylesheet makes the browser fetch: its imports (which block like it), the first source
    of each ``@font-face``, and every other ``url(...)`` (images, counted as if used)."""
    text = CSS_COMMENT.sub("", text)
    refs = []
    for match in CSS_IMPORT.finditer(text):
        refs.append(
            (match.group(1), "stylesheet", blocking and match.group(2).strip().lower() not in NON_BLOCKING_MEDIA)
        )
    text = CSS_IMPORT.sub("", text)
    for face in FONT_FACE.finditer(text):
        src = FONT_SRC.search(face.group(1))
        first = CSS_URL.search(src.group(1)) if src else None
        if first:
            refs.append((_url(first), "font", False))
    refs += [(_url(m), "image", False) for m in CSS_URL.finditer(FONT_FACE.sub("", text))]
    return refs


@functools.cache
def _size(path: Path) -> int:
    return transfer_size(path)


def page_bytes(root: Path, page: str) -> PageBytes:
    """Everything ``page`` (a path in the build ``root``) makes a browser download, as the server sends it."""
    result = PageBytes(page)
    result.assets[page] = Asset(page, "page", False, _size(root / page))
    parser = _PageParser(ORIGIN + page)
    parser.feed((root / page).read_text(encoding="utf-8"))
    parser.close()
    todo = [(urllib.parse.urljoin(parser.base, url), kind, blocking) for url, kind, blocking in parser.refs]
    for css, base, blocking in parser.styles:
        todo += [(urllib.parse.urljoin(base, url), kind, b) for url, kind, b in css_refs(css, blocking)]
    while todo:
        url, kind, blocking = todo.pop(0)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue  # data:, javascript:, about:
        if not url.startswith(ORIGIN):
            result.foreign.append(url)
            continue
        path = urllib.parse.unquote(parts.path)[len(urllib.parse.urlsplit(ORIGIN).path) :]
        if path == "" or path.endswith("/"):
            path += "index.html"
        file = root / path
        if not file.is_file():
            result.missing.append(f"{path} ({kind}, from {page})")
            continue
        seen = result.assets.get(path)
        if seen is not None:
            if blocking and not seen.blocking:
                seen.blocking = True
                if seen.kind == "stylesheet":  # its imports now block too
                    css = file.read_text(encoding="utf-8", errors="replace")
                    todo += [(urllib.parse.urljoin(url, u), k, b) for u, k, b in css_refs(css, True)]
            continue
        result.assets[path] = Asset(path, kind, blocking, _size(file))
        if kind == "stylesheet":
            css = file.read_text(encoding="utf-8", errors="replace")
            todo += [(urllib.parse.urljoin(url, u), k, b) for u, k, b in css_refs(css, blocking)]
    return result


@pytest.fixture(scope="module")
def measured(built_book: BuiltBook) -> list[PageBytes]:
    if built_book.returncode != 0:
        pytest.fail("the book did not build; see test_book_builds_without_warnings")
    return [page_bytes(built_book.html, page) for page in page_paths(built_book)]


def fetch(url: str, encoding: str | None = "gzip, deflate, br") -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(response.headers.items()), response.read()


def test_the_server_sends_text_gzipped_as_static_hosts_do(tmp_path: Path) -> None:
    """The budgets count gzipped text because ``dev.py book`` and the tests' ``site`` serve it so."""
    text = "console.log('lambda');\n" * 500
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>" * 50)
    (tmp_path / "a.mjs").write_text(text)
    (tmp_path / "a.wasm").write_bytes(b"\0asm\1\0\0\0" * 100)
    (tmp_path / "a.woff2").write_bytes(b"wOF2" * 100)
    with serve.running(tmp_path) as base:
        headers, body = fetch(f"{base}/a.mjs")
        assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
        assert headers["Content-type"] == "text/javascript"
        assert gzip.decompress(body).decode() == text and int(headers["Content-Length"]) == len(body)
        assert len(body) == transfer_size(tmp_path / "a.mjs") < len(text)
        headers, body = fetch(f"{base}/a.mjs", encoding=None)  # no Accept-Encoding: sent as is
        assert "Content-Encoding" not in headers and body.decode() == text and headers["Vary"] == "Accept-Encoding"
        headers, body = fetch(f"{base}/a.mjs", encoding="gzip;q=0, identity")
        assert "Content-Encoding" not in headers
        headers, body = fetch(f"{base}/a.wasm")
        assert headers["Content-type"] == "application/wasm" and headers["Content-Encoding"] == "gzip"
        headers, body = fetch(f"{base}/a.woff2")  # compressed already
        assert "Content-Encoding" not in headers and body == b"wOF2" * 100
        headers, body = fetch(f"{base}/")
        assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body).startswith(b"<!doctype html>")


def test_every_asset_a_page_references_is_in_the_build(measured: list[PageBytes]) -> None:
    """Otherwise the budgets below would not count it."""
    assert [p.page for p in measured if p.page.startswith("chapters/")], "no chapter pages found"
    for page in measured:
        assert not page.missing, f"{page.page} references files missing from the build: {page.missing}"
        assert not page.foreign, f"{page.page} references other hosts: {page.foreign}"


def test_every_page_loads_at_most_2_mb_gzipped(measured: list[PageBytes]) -> None:
    over = [
        f"{p.page}: {p.total:,} bytes gzipped > {TOTAL_BUDGET:,} ({len(p.assets)} files); biggest:\n{p.biggest()}"
        for p in measured
        if p.total > TOTAL_BUDGET
    ]
    if over:
        pytest.fail("pages over the total byte budget:\n" + "\n".join(over))


def test_what_blocks_the_first_paint_is_at_most_150_kb_gzipped(measured: list[PageBytes]) -> None:
    """Scripts in <head> without defer/async/type=module, and stylesheets (with their @imports)."""
    over = [
        f"{p.page}: {p.blocking():,} bytes gzipped block the first paint > {BLOCKING_BUDGET:,} "
        f"(scripts {p.blocking('script'):,}, stylesheets {p.blocking('stylesheet'):,}); biggest:\n"
        f"{p.biggest(blocking_only=True)}"
        for p in measured
        if p.blocking() > BLOCKING_BUDGET
    ]
    if over:
        pytest.fail("pages over the render-blocking byte budget:\n" + "\n".join(over))


def transferred(visit: Visit, url: str, figures: int) -> list[tuple[str, int]]:
    """Load ``url`` again in ``visit``'s page, uncached, recording bytes on the wire by request; wait until its
    ``figures`` plotly figures have drawn and the network is idle. Returns (url, bytes) for each finished request."""
    urls: dict[str, str] = {}
    sizes: dict[str, float] = {}
    cdp = visit.context.new_cdp_session(visit.page)
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    visit.page.goto(url, wait_until="networkidle")
    if figures:
        visit.page.wait_for_function(
            f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {figures}", timeout=30_000
        )
    visit.page.wait_for_load_state("networkidle")
    cdp.detach()
    return [(urls.get(request, request), int(size)) for request, size in sizes.items()]


@pytest.mark.browser
def test_every_page_transfers_at_most_2_mb_in_the_browser(built_book: BuiltBook, site: str, browser: Browser) -> None:
    """Bytes on the wire (headers included) for one uncached load of each page, including what scripts fetch
    later. Visit's own first load is not recorded; the page is loaded again (index.html redirects to the first
    page, and counts both)."""
    over = []
    for path in page_paths(built_book):
        figures = (built_book.html / path).read_text().count('class="plotly-graph-div"')
        with Visit(browser, site, path) as visit:
            sizes = transferred(visit, f"{site}/{path}", figures)
            assert not visit.foreign, f"{path} requested other hosts: {visit.foreign}"
        total = sum(n for _, n in sizes)
        if total > TOTAL_BUDGET:
            biggest = sorted(sizes, key=lambda item: -item[1])[:SHOWN]
            listed = "\n".join(f"    {n:>10,}  {url.removeprefix(site + '/')}" for url, n in biggest)
            over.append(f"{path}: {total:,} bytes in {len(sizes)} requests > {TOTAL_BUDGET:,}; biggest:\n{listed}")
    if over:
        pytest.fail("pages over the byte budget in the browser:\n" + "\n".join(over))
