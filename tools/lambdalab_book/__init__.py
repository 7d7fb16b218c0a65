"""Sphinx extension for the Lambda Lab book: everything served from this site.

- plotly figures: plotly.js is copied from the installed ``plotly`` package and
  linked only from pages that contain a figure (4.8 MB is too much for every page);
- ipywidgets: the widget manager ``embed.js`` from ``@jupyter-widgets/html-manager``
  1.0.15 is served locally instead of require.js and the manager from a CDN;
- math: MathJax 3 (``tex-svg.js``, self-contained) is served locally, and
  Sphinx links it only from pages with math.

Nothing here is put in the book's own ``_static/``: Jupyter Book adds every
JavaScript and CSS file found there to every page.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

__version__ = "0.1.0"

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = "lambdalab/plotly.min.js"
WIDGETS_JS = "lambdalab/embed.js"
MATHJAX_JS = "lambdalab/mathjax/tex-svg.js"
MATHJAX_SHIM_JS = "lambdalab/mathjax-v2-shim.js"


def _configure(app: Sphinx, config: Config) -> None:
    config.nb_ipywidgets_js = {WIDGETS_JS: {}}
    config.mathjax_path = MATHJAX_JS


def _copy_assets(app: Sphinx, exception: Exception | None) -> None:
    """Copy the vendored files and plotly.js (from the installed plotly) into ``_static/lambdalab``."""
    if exception is not None or app.builder.format != "html":
        return
    import plotly

    target = Path(app.outdir) / "_static"
    shutil.copytree(STATIC, target, dirs_exist_ok=True)
    shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", target / PLOTLY_JS)


def _page_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if "plotly-graph-div" in context.get("body", ""):
        # In <head>, not deferred: the inline Plotly.newPlot calls in the body need it.
        app.add_js_file(PLOTLY_JS, priority=200)


def _is(script: Any, path: str) -> bool:
    """Whether a Sphinx script entry links ``_static/<path>``."""
    return str(script.filename or "").endswith(path)


def _prune_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Run after the other handlers: drop MathJax where there is no math, and repeated scripts.

    myst-nb makes Sphinx link MathJax (2 MB) from every page; sphinx-thebe 0.3.1
    adds its inline ``const THEBE_JS_URL`` twice, a SyntaxError on every page.
    Where widgets meet MathJax 3, a shim gives the widget manager the MathJax 2
    call it makes.
    ``script_files`` is the builder's list, restored after each page.
    """
    scripts = context.get("script_files", [])
    math = 'class="math' in context.get("body", "")
    seen: set[str] = set()
    kept = []
    for script in scripts:
        body = script.attributes.get("body", "")
        if not math and (_is(script, MATHJAX_JS) or body.startswith("window.MathJax")):
            continue
        key = repr((script.filename or "", sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept
    if math and any(_is(s, WIDGETS_JS) for s in kept):
        app.add_js_file(MATHJAX_SHIM_JS, defer="defer", priority=999)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _configure, priority=900)
    app.connect("html-page-context", _page_scripts)
    app.connect("html-page-context", _prune_scripts, priority=999)
    app.connect("build-finished", _copy_assets)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
