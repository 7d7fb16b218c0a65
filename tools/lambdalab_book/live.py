"""The "Run" buttons: a chapter's code cells run in the reader's browser, offline, with no server.

At build time, for each notebook page:

- ``runnable.plan_cells`` decides which code cells can run live (imports, IPython syntax, names
  taken from cells that cannot run);
- each rendered code cell gets a bar under its code: "Run", "Run all above" (every live cell
  above it, hidden ones included, then it), "Edit" and a status line for a live cell; for the
  others, the plain reason and a link to download the notebook. The bar is in the HTML, so the
  reasons show without JavaScript and nothing moves when the script starts;
- each cell's container gets the id ``ll-cell-INDEX`` (its index in the notebook), and one JSON
  block (``<script type="application/json" id="ll-live-data">``) gives every code cell's index,
  source, verdict and the wheels it imports, plus the bytes a first run transfers;
- ``run.js`` (deferred, a few KB) is added only to pages with a live cell. It loads nothing else
  until the reader presses a button; then a module worker (``worker.mjs``) starts Pyodide from
  ``_static/lambdalab/live/pyodide/``. The page budgets hold for readers who never press Run.

At build start ``vendor.prepare`` fetches what is missing from the cache (Pyodide, the wheels);
at the end ``vendor.write`` copies it into ``_static/lambdalab/live/`` with the site's lock file,
next to IPython's pretty printer (``pretty.py``, for ``text/plain`` as Jupyter shows it) and the
full plotly.js (for a figure of a trace type the cartesian bundle lacks). Set
``LAMBDALAB_LIVE=off`` to build without Run buttons (no download).
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from . import launch, vendor
from .plotly_mime import SITE_CONFIG
from .runnable import Plan, plan_cells, pyodide_stdlib

LOGGER = logging.getLogger(__name__)
RUN_JS = "lambdalab/live/run.js"
DATA_ID = "ll-live-data"
ENV = "LAMBDALAB_LIVE"
PLAY = "\u25b6\ufe0e"  # a text triangle, not an emoji


@dataclass
class _State:
    vendored: vendor.Vendored
    stdlib: frozenset[str]
    sizes: dict[str, int]
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)


def _state(app: Sphinx) -> _State | None:
    state: _State | None = getattr(app, "_lambdalab_live", None)
    return state


def _prepare(app: Sphinx) -> None:
    """Fetch Pyodide and the wheels (or take them from the cache) before any page is written."""
    if app.builder.format != "html" or os.environ.get(ENV, "").lower() == "off":
        return
    try:
        vendored = vendor.prepare()
    except vendor.VendorError as error:
        LOGGER.warning(f"[lambdalab] no Run buttons: {error} (set {ENV}=off to build without them)")
        return
    sizes = vendored.transfer_sizes()
    with tempfile.TemporaryDirectory() as tmp:  # the wheel the build writes later, for its size
        try:
            sizes["lambdalab"] = launch.build_wheel(Path(app.srcdir), Path(tmp)).stat().st_size
        except (OSError, KeyError):  # a book without the package (the tests' small books)
            sizes["lambdalab"] = 0
    app._lambdalab_live = _State(vendored, pyodide_stdlib(vendored.stdlib), sizes)  # type: ignore[attr-defined]
    LOGGER.info(f"[lambdalab] Run buttons: Pyodide {vendor.PYODIDE_VERSION} from {vendor.cache_dir()}")


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _download_href(app: Sphinx, docname: str) -> str | None:
    if not app.config.html_copy_source:
        return None
    up = "../" * docname.count("/")
    return f"{up}_sources/{docname}.ipynb"


def _has_binder(app: Sphinx) -> bool:
    options = app.config.html_theme_options or {}
    return bool(options.get("repository_url") and (options.get("launch_buttons") or {}).get("binderhub_url"))


def bar_html(plan: Plan, number: int, live_above: bool, download: str | None, binder: bool) -> str:
    """The controls under a live cell's code, or the reason a cell cannot run here."""
    if not plan.live:
        if download:
            link = f'<a class="ll-download-notebook" href="{html.escape(download)}" download>Download the notebook</a>'
            action = f"{link} to run it in Jupyter"
        else:
            action = "Open the notebook in Jupyter to run it"
        binder_text = ", or open it on Binder (the rocket button at the top of the page)" if binder else ""
        return (
            f'<div class="ll-live ll-live-off" data-cell="{plan.index}"><p class="ll-live-reason">'
            f'<span class="ll-live-tag">Runs in Jupyter only.</span> This cell {html.escape(plan.reason)}. '
            f"{action}{binder_text}.</p></div>"
        )
    cell = f"code cell {number}"
    buttons = [
        f'<button type="button" class="ll-live-button ll-live-run" aria-label="Run {cell}">'
        f'<span aria-hidden="true">{PLAY}</span> Run</button>'
    ]
    if live_above:
        buttons.append(
            f'<button type="button" class="ll-live-button ll-live-above" aria-label="Run all above, then {cell}">'
            "Run all above</button>"
        )
    buttons += [
        f'<button type="button" class="ll-live-button ll-live-edit" aria-label="Edit {cell}">Edit</button>',
        '<button type="button" class="ll-live-button ll-live-stop" aria-label="Stop Python" hidden>Stop</button>',
    ]
    return (
        f'<div class="ll-live" data-cell="{plan.index}" data-number="{number}"><div class="ll-live-bar">'
        + "".join(buttons)
        + '<span class="ll-live-status" role="status"></span></div></div>'
    )


def _mark_cells(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Plan the page's cells, id their containers, put the bars under the code, keep the page's data."""
    state = _state(app)
    path = Path(app.env.doc2path(docname))
    if state is None or path.suffix != ".ipynb":
        return
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [(i, c) for i, c in enumerate(notebook.get("cells", [])) if c.get("cell_type") == "code"]
    if not code:
        return
    plans = plan_cells([(i, _source(c)) for i, c in code], state.stdlib)
    containers = {
        node["cell_index"]: node
        for node in doctree.findall(nodes.container)
        if node.get("nb_element") == "cell_code" and "cell_index" in node
    }
    download, binder = _download_href(app, docname), _has_binder(app)
    cells, number, live_so_far = [], 0, False
    for plan, (index, cell) in zip(plans, code, strict=True):
        container = containers.get(index)
        source_node = None
        if container is not None:
            container["ids"].append(f"ll-cell-{index}")
            source_node = next(
                (n for n in container.findall(nodes.container) if n.get("nb_element") == "cell_code_source"), None
            )
        shown = None
        if source_node is not None:
            number += 1
            shown = number
            bar = bar_html(plan, number, live_so_far, download, binder)
            source_node.parent.insert(source_node.parent.index(source_node) + 1, nodes.raw("", bar, format="html"))
        tags = (cell.get("metadata") or {}).get("tags") or []
        entry: dict[str, Any] = {"index": index, "number": shown, "live": plan.live, "rendered": container is not None}
        if plan.live:
            entry.update(source=_source(cell), packages=list(plan.packages), raises="raises-exception" in tags)
        else:
            entry["reason"] = plan.reason
        cells.append(entry)
        live_so_far = live_so_far or plan.live
    state.pages[docname] = {"cells": cells, "sizes": state.sizes, "figure": {"config": SITE_CONFIG}}


def page_data_html(data: dict[str, Any]) -> str:
    """The page's JSON block (safe inside ``<script>``)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="{DATA_ID}">{text}</script>'


def _page(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    state = _state(app)
    data = state.pages.get(pagename) if state else None
    if data is None or "body" not in context:
        return
    context["body"] += page_data_html(data)
    if any(cell["live"] for cell in data["cells"]):
        app.add_js_file(RUN_JS, defer="defer")


def _install(app: Sphinx, exception: Exception | None) -> None:
    """Copy Pyodide, the wheels and the lock file into the build; IPython's pretty printer; full plotly.js."""
    state = _state(app)
    if exception is not None or state is None:
        return
    import IPython
    import plotly

    static = Path(app.outdir) / "_static"
    wheels = static / launch.WHEELS.removeprefix("_static/")
    wheel = next(iter(sorted(wheels.glob("*.whl"))), None)
    if wheel is None:  # no lambdalab in this book: no page can run
        return
    vendor.write(state.vendored, static, wheel)
    live = static / vendor.LIVE
    ipython = Path(IPython.__file__).parent
    shutil.copyfile(ipython / "lib" / "pretty.py", live / "pretty.py")
    licence = next(ipython.parent.glob("ipython-*.dist-info/licenses/LICENSE"), None)
    if licence is not None:
        shutil.copyfile(licence, live / "pretty.LICENSE")
    full = static / "lambdalab" / "plotly" / "plotly.min.js"
    if not full.exists():
        shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", full)


def setup(app: Sphinx) -> dict[str, Any]:
    """A Sphinx extension of its own, set up by ``lambdalab_book`` (``app.setup_extension``)."""
    app.connect("builder-inited", _prepare)
    app.connect("doctree-resolved", _mark_cells)
    app.connect("html-page-context", _page)
    app.connect("build-finished", _install, priority=600)  # after launch writes lambdalab's wheel
    return {"parallel_read_safe": True, "parallel_write_safe": False}
