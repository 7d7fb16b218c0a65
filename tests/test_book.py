"""The book builds with warnings as errors, and its pages link nothing from other hosts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import BuiltBook
from lambdalab_book import serve

ASSET = re.compile(r"<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)


def test_book_builds_without_warnings(built_book: BuiltBook) -> None:
    assert built_book.returncode == 0, built_book.log[-5000:]
    assert "WARNING" not in built_book.log, built_book.log[-5000:]
    assert (built_book.html / "chapters" / "01_why_serverless.html").exists()


def test_no_page_loads_an_asset_from_another_host(built_book: BuiltBook) -> None:
    for page in built_book.pages():
        html = page.read_text()
        for tag in re.finditer(
            r"<(?:script|img|iframe)\b[^>]*>|<link\b[^>]*rel=\"(?:stylesheet|preload|icon)[^>]*>", html, re.I
        ):
            for url in ASSET.findall(tag.group(0) + ">"):
                assert not re.match(r"(https?:)?//", url), f"{page.name} loads {url}"


def test_heavy_scripts_only_where_needed(built_book: BuiltBook) -> None:
    """plotly.js and MathJax only on pages that use them, deferred; no widget manager, no fontawesome.js."""
    for page in [*built_book.pages(), built_book.html / "search.html"]:
        html = page.read_text()
        figures = "plotly-graph-div" in html
        assert ("lambdalab/plotly/" in html) == figures, page.name
        assert ("lambdalab/figures.js" in html) == figures, page.name
        assert ("lambdalab/mathjax/tex-svg.js" in html) == ('class="math' in html), page.name
        assert "embed.js" not in html and "widget-state+json" not in html, page.name
        assert "fontawesome.js" not in html and "lambdalab/icons.css" in html, page.name
        assert "thebe" not in html.lower(), f"{page.name}: sphinx-thebe's scripts name a CDN"
        for tag in re.findall(r"<script\b[^>]*\bsrc=\"[^\"]*(?:plotly|figures|mathjax)[^\"]*\"[^>]*>", html):
            assert "defer" in tag, f"{page.name}: {tag} blocks the first paint"
    chapter = (built_book.html / "chapters" / "01_why_serverless.html").read_text()
    assert "lambdalab/plotly/plotly-cartesian.min.js" in chapter, "the chapter's traces fit the partial bundle"
    assert "ll-widget-snapshot" in chapter and 'class="math' in chapter


def test_every_figure_has_a_numbered_caption_and_a_text_alternative(built_book: BuiltBook) -> None:
    for page in built_book.pages():
        html = page.read_text()
        for match in re.finditer(r'<div class="ll-figure" data-figure="(plotly-[0-9a-f]+)">', html):
            figure_id = match.group(1)
            start = html.rfind("<figure", 0, match.start())
            end = html.find("</figure>", match.end())
            assert start != -1 and end != -1, f"{page.name}: {figure_id} is not inside a <figure>"
            figure = html[start:end]
            caption = re.search(r"<figcaption>(.*?)</figcaption>", figure, re.S)
            assert caption and "Fig. " in caption.group(1), f"{page.name}: {figure_id} has no numbered caption"
            assert f'aria-describedby="{figure_id}-alt"' in figure
            alt = re.search(rf'<p id="{figure_id}-alt">(.*?)</p>', figure, re.S)
            assert alt and len(alt.group(1)) > 100, f"{page.name}: {figure_id} has no text alternative"


def test_no_placeholder_links(built_book: BuiltBook) -> None:
    """No page links the old placeholder repository (references that do not resolve fail the -n -W build)."""
    for page in built_book.pages():
        assert "lambda-lab/lambda-lab" not in page.read_text(), page.name


def test_favicon_and_no_empty_index(built_book: BuiltBook) -> None:
    assert (
        not (built_book.html / "genindex.html").exists()
        or "Index" not in (built_book.html / "intro.html").read_text().split("<body")[1].split("</nav>")[0]
    )
    intro = (built_book.html / "intro.html").read_text()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', intro)
    assert icon and (built_book.html / icon.group(1)).exists()


def test_a_reference_that_does_not_resolve_fails_the_build(tmp_path: Path) -> None:
    """A forward reference to a chapter or label that does not exist stops the build (-n -W)."""
    root = Path(__file__).resolve().parents[1]
    for name in ("_config.yml", "intro.md"):
        shutil.copy(root / name, tmp_path / name)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: next\n")
    (tmp_path / "next.md").write_text("# Next\n\nSee {ref}`ch-does-not-exist` and {doc}`missing_chapter`.\n")
    done = serve.build(tmp_path, output=tmp_path / "out")
    log = done.stdout + done.stderr
    assert done.returncode != 0, log[-3000:]
    assert "ch-does-not-exist" in log and "missing_chapter" in log
