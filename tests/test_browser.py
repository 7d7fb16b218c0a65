"""Every page of the built book in a real browser (Debian's chromium, driven by Playwright).

For each page: it loads, logs no console error and throws nothing, every plotly
figure draws an SVG, every widget renders, math is typeset, and no request
leaves 127.0.0.1. Requests to other hosts are blocked and recorded, so a CDN
link fails here even on a machine that is online.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser

from browser_support import Visit
from conftest import BuiltBook

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.browser


def page_paths(book: BuiltBook) -> list[str]:
    return [p.relative_to(book.html).as_posix() for p in book.pages()]


def test_the_book_has_pages(built_book: BuiltBook) -> None:
    assert "chapters/01_why_serverless.html" in page_paths(built_book)


def test_every_page_renders_offline(built_book: BuiltBook, site: str, browser: Browser) -> None:
    for path in [*page_paths(built_book), "index.html", "search.html"]:
        with Visit(browser, site, path) as visit:
            page = visit.page
            assert visit.response is not None and visit.response.ok, path
            html = (built_book.html / path).read_text()
            n_figures = html.count('class="plotly-graph-div"')
            n_widgets = html.count(f'type="{WIDGET_VIEW}"')
            n_math = html.count('class="math')
            if n_figures:
                page.wait_for_function(
                    f"document.querySelectorAll('.plotly-graph-div svg.main-svg').length >= {n_figures}",
                    timeout=15_000,
                )
                for figure in page.locator(".plotly-graph-div").all():
                    assert figure.locator("svg.main-svg").count() >= 1, path
                    assert figure.locator(".scatterlayer .trace").count() >= 1, f"{path}: a figure drew no data"
            if n_widgets:
                # embed.js replaces each widget-view script by the rendered view, just after it.
                page.wait_for_function(
                    "document.querySelectorAll('.jupyter-widgets.widget-container, "
                    ".jupyter-widgets.widget-inline-hbox, .jupyter-widgets.widget-html').length > 0",
                    timeout=15_000,
                )
                rendered = page.evaluate(
                    f"""() => [...document.querySelectorAll('script[type="{WIDGET_VIEW}"]')]
                        .map(s => !!(s.parentElement && s.parentElement.querySelector('.jupyter-widgets')))"""
                )
                assert rendered and all(rendered), f"{path}: widgets not rendered {rendered}"
            if n_math:
                page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=15_000)
            page.wait_for_timeout(200)
            assert not visit.foreign, f"{path} requested other hosts: {visit.foreign}"
            assert not visit.failed, f"{path}: failed requests {visit.failed}"
            assert not visit.errors, f"{path}: console errors {visit.errors}"


def test_duration_slider_changes_the_figure(site: str, browser: Browser) -> None:
    """The chapter 1 figure is interactive on the static site: its slider restyles the traces."""
    with Visit(browser, site, "chapters/01_why_serverless.html") as visit:
        page = visit.page
        page.wait_for_selector(".plotly-graph-div svg.main-svg")
        figure = page.locator(".plotly-graph-div").first
        figure.scroll_into_view_if_needed()
        read = "el => JSON.stringify([el.layout.title.text, el.data.map(t => t.y[t.y.length - 1])])"
        before = json.loads(figure.evaluate(read))
        # Click the first slider step by its position (the rail intercepts clicks on labels).
        rail = page.locator(".slider-container .slider-rail-rect").first
        box = rail.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
        page.wait_for_function(
            "el => el.layout.title.text.startsWith('Monthly cost at 10 ms')",
            arg=figure.element_handle(),
            timeout=5_000,
        )
        after = json.loads(figure.evaluate(read))
        assert after[0].startswith("Monthly cost at 10 ms") and before[0].startswith("Monthly cost at 100 ms")
        assert after[1] != before[1]
        assert not visit.errors and not visit.foreign


def test_widget_shows_its_saved_state(site: str, browser: Browser) -> None:
    with Visit(browser, site, "chapters/01_why_serverless.html") as visit:
        page = visit.page
        page.wait_for_selector(".jupyter-widgets .widget-html-content table")
        table = page.locator(".jupyter-widgets .widget-html-content table").first.inner_text()
        assert "Lambda total" in table and "150.81" in table
        assert page.locator(".jupyter-widgets .widget-slider").count() == 5
