"""Sphinx extension for the Lambda Lab book: everything served from this site, little of it blocking.

- plotly figures: ``plotly_mime`` renders each figure as a div plus its JSON; plotly.js
  (the vendored cartesian partial bundle, 0.5 MB gzipped instead of 1.5 MB, when the page's
  trace types allow; else the full bundle from the installed ``plotly``) and ``figures.js``
  load deferred, only on pages with a figure;
- ipywidgets: the saved state is rendered as a static snapshot (``widgets``), so no widget
  manager, no widget state and no script is shipped;
- math: MathJax 3 (``tex-svg.js``) is served locally, deferred, only on pages with math, and
  kept out of the tab order;
- icons: the theme's 1.5 MB ``fontawesome.js`` is replaced by ``icons.css`` with just the icons
  the book uses (``icons``);
- small fixes to the HTML the stack emits: sphinx-thebe's unused scripts (one with a CDN URL),
  the ids sphinx-exercise repeats, an empty general index, the missing favicon.

Nothing here is put in the book's own ``_static/``: Jupyter Book adds every
JavaScript and CSS file found there to every page.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from . import icons

__version__ = "0.2.0"

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
PLOTLY_PARTIAL_JS = "lambdalab/plotly/plotly-cartesian.min.js"
PLOTLY_FULL_JS = "lambdalab/plotly/plotly.min.js"
FIGURES_JS = "lambdalab/figures.js"
BOOK_CSS = "lambdalab/book.css"
ICONS_CSS = "lambdalab/icons.css"
MATHJAX_JS = "lambdalab/mathjax/tex-svg.js"
FAVICON = STATIC / "lambdalab" / "favicon.svg"
# The trace types in plotly.js's cartesian partial bundle (its package README).
CARTESIAN_TRACES = {
    "bar",
    "box",
    "contour",
    "heatmap",
    "histogram",
    "histogram2d",
    "histogram2dcontour",
    "image",
    "pie",
    "scatter",
    "scatterternary",
    "violin",
}
FIGURE_JSON = re.compile(r'<script type="application/json" class="ll-figure-data">(.*?)</script>', re.S)
MATHJAX_CONFIG = {
    "options": {
        "processHtmlClass": "tex2jax_process|mathjax_process|math|output_area",
        # MathJax 3 makes every formula a tab stop for its menu; keyboard users would tab
        # through each symbol of a paragraph. The menu stays on right-click.
        "menuOptions": {"settings": {"inTabOrder": False}},
    }
}


def _configure(app: Sphinx, config: Config) -> None:
    _without_thebe(app)
    config.nb_ipywidgets_js = {}
    config.mathjax_path = MATHJAX_JS
    config.mathjax3_config = MATHJAX_CONFIG
    config.html_use_index = False
    if not config.html_favicon:
        config.html_favicon = str(FAVICON)


# Sphinx's search scripts load in <head> on every page; the search index grows with the book.
SEARCH_TAG = re.compile(r'<script src="([^"]*(?:searchtools|language_data|searchindex)\.js[^"]*)"></script>')
FONTAWESOME_TAG = re.compile(r'[ \t]*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?')


def _without_thebe(app: Sphinx) -> None:
    """Unhook sphinx-thebe's per-page config block: the book launches no live kernel.

    Jupyter Book always loads sphinx-thebe, which appends to every page a ``text/x-thebe-config``
    script naming a Binder example repository, whatever the launch settings say. Its scripts
    (one naming a CDN) are dropped in ``_prune_assets``.
    """
    for listener in list(app.events.listeners.get("doctree-resolved", [])):
        if getattr(listener.handler, "__module__", "") == "sphinx_thebe":
            app.disconnect(listener.id)


def _finish(app: Sphinx, exception: Exception | None) -> None:
    """Copy the vendored files (and full plotly.js if a page needs it); swap fontawesome.js for icons.css.

    The theme writes the ``fontawesome.js`` tag and the search scripts from templates, outside
    Sphinx's list of scripts, so the written pages are edited here: no ``fontawesome.js``, and the
    search scripts deferred (they run in order, before the search page's own start-up).
    """
    if exception is not None or app.builder.format != "html":
        return
    import plotly

    outdir = Path(app.outdir)
    target = outdir / "_static"
    shutil.copytree(STATIC, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    missing = icons.write_icons_css(outdir, target / ICONS_CSS)
    if missing:
        logger.warning(f"icons used by the pages but not found in fontawesome.js: {sorted(missing)}")
    full_needed = False
    for page in outdir.rglob("*.html"):
        if "_static" in page.relative_to(outdir).parts:
            continue
        text = page.read_text()
        full_needed = full_needed or PLOTLY_FULL_JS in text
        pruned = SEARCH_TAG.sub(r'<script defer src="\1"></script>', FONTAWESOME_TAG.sub("", text))
        if pruned != text:
            page.write_text(pruned)
    # sphinx-external-toc's redirect page has no icon link: the browser would ask for /favicon.ico.
    index = outdir / "index.html"
    if index.exists() and "<head>" not in index.read_text() and 'http-equiv="Refresh"' in index.read_text():
        icon = "_static/" + Path(app.config.html_favicon or "").name
        index.write_text(f'<link rel="icon" href="{icon}"/>\n' + index.read_text())
    if full_needed:
        shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", target / PLOTLY_FULL_JS)


def _trace_types(body: str) -> set[str]:
    types: set[str] = set()
    for match in FIGURE_JSON.finditer(body):
        spec = json.loads(match.group(1).replace("<\\/", "</"))
        types.update(str(trace.get("type", "scatter")) for trace in spec.get("data", []))
    return types


def _page_assets(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    body = context.get("body", "")
    app.add_css_file(ICONS_CSS, priority=900)
    app.add_css_file(BOOK_CSS, priority=900)
    if "plotly-graph-div" in body:
        types = _trace_types(body)
        bundle = PLOTLY_PARTIAL_JS if types <= CARTESIAN_TRACES else PLOTLY_FULL_JS
        # Before MathJax (priority 500) in the deferred queue: figures are drawn first.
        # fetchpriority: fetched ahead of MathJax and the fonts, which share the reader's bandwidth.
        app.add_js_file(bundle, defer="defer", fetchpriority="high", priority=450)
        app.add_js_file(FIGURES_JS, defer="defer", fetchpriority="high", priority=451)


def _is(script: Any, path: str) -> bool:
    """Whether a Sphinx script entry links ``_static/<path>``."""
    return str(getattr(script, "filename", script) or "").split("?")[0].endswith(path)


def _prune_assets(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Run after the other handlers: drop what this page does not use or that breaks it.

    - MathJax (2 MB) and its configuration where there is no math (myst-nb links it everywhere);
    - the widget state (rendered statically instead) and repeated scripts (sphinx-thebe 0.3.1
      adds its inline script twice, a SyntaxError);
    - sphinx-thebe itself: the book launches no live kernel (its script names a CDN);
    - the theme's ``fontawesome.js``: ``icons.css`` draws the icons.
    ``script_files`` / ``css_files`` are the builder's lists, restored after each page.
    """
    body = context.get("body", "")
    math = 'class="math' in body
    seen: set[str] = set()
    kept = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        inline = attributes.get("body", "")
        if not math and (_is(script, MATHJAX_JS) or inline.startswith("window.MathJax")):
            continue
        if attributes.get("type") == "application/vnd.jupyter.widget-state+json":
            continue
        if _is(script, "sphinx-thebe.js") or "THEBE_JS_URL" in inline:
            continue
        key = repr((getattr(script, "filename", script) or "", sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"][:] = kept
    css = context.get("css_files", [])
    css[:] = [c for c in css if not _is(c, "sphinx-thebe.css")]


_DUPLICATE_ID = re.compile(r'\bid="(exercise-content|solution-content)"')
_DISPLAY_MATH = re.compile(r'<div class="math notranslate nohighlight">')


def _fix_body(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Number the ids sphinx-exercise repeats; make display math a scrollable, focusable region."""
    counts: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        counts[name] = counts.get(name, 0) + 1
        return f'id="{name}-{counts[name]}"'

    if "body" in context:
        body = _DUPLICATE_ID.sub(number, context["body"])
        # A display formula wider than a phone scrolls sideways: keyboards must reach it.
        context["body"] = _DISPLAY_MATH.sub(
            '<div class="math notranslate nohighlight" tabindex="0" role="group" aria-label="formula">', body
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _configure, priority=900)
    app.connect("html-page-context", _fix_body, priority=400)
    app.connect("html-page-context", _page_assets)
    app.connect("html-page-context", _prune_assets, priority=999)
    app.connect("build-finished", _finish)
    app.setup_extension("lambdalab_book.launch")
    app.setup_extension("lambdalab_book.live")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
