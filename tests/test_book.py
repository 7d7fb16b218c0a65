"""The book builds with warnings as errors, and its pages link nothing from other hosts."""

from __future__ import annotations

import re

from conftest import BuiltBook

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
    """plotly.js (4.8 MB), the widget manager (1.9 MB) and MathJax (2 MB) only on pages that use them."""
    for page in built_book.pages():
        html = page.read_text()
        assert ("lambdalab/plotly.min.js" in html) == ("plotly-graph-div" in html), page.name
        assert ("lambdalab/embed.js" in html) == ("application/vnd.jupyter.widget-view+json" in html), page.name
        assert ("lambdalab/mathjax/tex-svg.js" in html) == ('class="math' in html), page.name
    chapter = (built_book.html / "chapters" / "01_why_serverless.html").read_text()
    assert "plotly-graph-div" in chapter and "widget-view+json" in chapter and 'class="math' in chapter
    assert (built_book.html / "_static" / "lambdalab" / "plotly.min.js").stat().st_size > 1_000_000
