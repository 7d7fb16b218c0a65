"""The Run buttons in Debian's chromium: every live cell of every page runs offline and gives its stored output.

- For each page with live cells: nothing of Python loads before the first press; "Run all above"
  on the page's last live cell runs every live cell in order on one interpreter (Pyodide from the
  site's own files); each cell's outputs match the notebook's as nbval compares them
  (``compare.outputs_difference``: text exact, numbers within 1e-9 or 4 ULPs); no request leaves
  127.0.0.1, none fails, nothing is logged as an error or warning. The bytes and seconds of that
  first run are printed (``pytest -s``) and held under generous ceilings.
- A reader edits a cell with the keyboard, runs it, starts a runaway loop, stops it, reads that
  the state was lost, and runs again; the book's output can be shown next to the run's.
- After a run, the page passes the axe rules of test_browser in light and dark mode and still fits
  a 390 px phone.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page
from test_browser import AXE_RULES
from test_live import page_data

from browser_support import PHONE, Visit, switch_theme
from conftest import BuiltBook
from lambdalab_book.compare import outputs_difference
from lambdalab_book.launch import SETUP_CELL_ID
from lambdalab_book.runnable import PYODIDE_BUILTINS
from lambdalab_book.serve import transfer_size

pytestmark = pytest.mark.browser

CHAPTER = "chapters/01_why_serverless.html"
PYTHON_FILES = ("/_static/lambdalab/live/", "/_static/lambdalab/wheels/")
FIRST_RUN_BYTES = 12_000_000  # Pyodide, lambdalab, plotly with its two dependencies: about 11 MB
FIRST_RUN_SECONDS = 30  # from the press until Python (and lambdalab) is ready: 3-7 s here
RUN_TIMEOUT = 600  # a page's cells, all of them
#: Pages run at once, each Python in its own worker. Starting Pyodide and running a chapter are CPU
#: bound: on a 2-core machine two at a time took longer than one after another.
PARALLEL = int(os.environ.get("LAMBDALAB_LIVE_PARALLEL", "1"))


@dataclass
class Run:
    """One page after "Run all above" on its last live cell."""

    path: str
    visit: Visit
    data: dict[str, Any]
    before: list[str]  # requests before the first press
    outputs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # LambdaLabLive.results
    last: int = 0  # the cell whose "Run all above" was pressed
    began: float = 0.0
    seconds: float = 0.0
    ready: float = 0.0
    bytes: int = 0


def live_pages(book: BuiltBook) -> list[str]:
    pages = []
    for page in book.pages():
        data = page_data(page)
        if data and any(cell["live"] for cell in data["cells"]):
            pages.append(page.relative_to(book.html).as_posix())
    return pages


def press(page: Page, index: int, button: str) -> None:
    """Press a cell's button (a cell inside a closed solution dropdown is pressed all the same)."""
    page.locator(f'.ll-live[data-cell="{index}"] .ll-live-{button}').evaluate("b => b.click()")


def wait_done(page: Page, index: int, timeout: int = 120_000) -> None:
    page.wait_for_function(
        f"window.LambdaLabLive && !LambdaLabLive.busy && LambdaLabLive.outputs[{index}] !== undefined",
        timeout=timeout,
    )


def outputs(page: Page, index: int) -> list[dict[str, Any]]:
    """A cell's outputs as Python wrote them (parsed here, so that 1.0 stays a float)."""
    return [json.loads(text) for text in page.evaluate(f"LambdaLabLive.outputs[{index}]")]


def sent_bytes(built_book: BuiltBook, site: str, urls: list[str]) -> int:
    """Bytes the server sent for these URLs' bodies (gzip for text, as ``serve`` sends them)."""
    total = 0
    for url in urls:
        path = url.removeprefix(site).split("?")[0].lstrip("/")
        total += transfer_size(built_book.html / path)
    return total


def start_run(visit: Visit, path: str, data: dict[str, Any]) -> Run:
    """Press "Run all above" on the page's last live cell that shows its code; then the live cells after it
    (their code hidden, so without a button) run as the button would run them."""
    run = Run(path, visit, data, list(visit.requests))
    live = [cell["index"] for cell in data["cells"] if cell["live"]]
    shown = [cell["index"] for cell in data["cells"] if cell["live"] and cell["number"]]
    run.last = live[-1]
    run.began = time.monotonic()
    if shown:
        above = visit.page.locator(f'[data-cell="{shown[-1]}"] .ll-live-above').count()
        press(visit.page, shown[-1], "above" if above else "run")
    rest = [index for index in live if not shown or index > shown[-1]]
    if rest:
        visit.page.evaluate(f"LambdaLabLive.run({json.dumps(rest)})")
    return run


def finish_run(run: Run, built_book: BuiltBook, site: str) -> None:
    """Collect what the finished run showed, fetched and took."""
    page = run.visit.page
    run.seconds = time.monotonic() - run.began
    run.ready = page.evaluate("LambdaLabLive.ready")
    python = [u for u in run.visit.requests[len(run.before) :] if any(p in u for p in PYTHON_FILES)]
    run.bytes = sent_bytes(built_book, site, python)
    results = run.results = page.evaluate("LambdaLabLive.results")
    for cell in run.data["cells"]:
        if cell["live"]:
            run.outputs[cell["index"]] = outputs(page, cell["index"])
    slowest = max(results.items(), key=lambda item: item[1].get("seconds", 0))
    print(
        f"\n{run.path}: first run {run.bytes:,} bytes, Python ready in {run.ready:.1f} s, all cells in"
        f" {run.seconds:.1f} s (slowest: cell {slowest[0]}, {slowest[1].get('seconds', 0):.1f} s)"
    )


@pytest.fixture(scope="module")
def runs(built_book: BuiltBook, site: str, browser: Browser) -> Iterator[list[Run]]:
    """Every live page run once; up to ``PARALLEL`` pages at a time (each runs Python in its own worker)."""
    todo = live_pages(built_book)
    running: list[Run] = []
    done: list[Run] = []
    try:
        while todo or running:
            while todo and len(running) < PARALLEL:
                path = todo.pop(0)
                data = page_data(built_book.html / path)
                assert data is not None
                running.append(start_run(Visit(browser, site, path), path, data))
            for run in list(running):
                page = run.visit.page
                finished = page.evaluate(f"!LambdaLabLive.busy && LambdaLabLive.outputs[{run.last}] !== undefined")
                if finished:
                    finish_run(run, built_book, site)
                    running.remove(run)
                    done.append(run)
                    if run.path != CHAPTER:
                        run.visit.close()  # its Python's memory back; what it logged stays in the Visit
                elif time.monotonic() - run.began > RUN_TIMEOUT:
                    pytest.fail(f"{run.path}: the cells did not finish in {RUN_TIMEOUT} s")
            time.sleep(0.2)
        yield done
    finally:
        for run in done + running:
            if run.path == CHAPTER or run in running:
                run.visit.close()


def test_the_book_has_live_pages(built_book: BuiltBook) -> None:
    assert CHAPTER in live_pages(built_book)


def test_nothing_of_python_loads_before_the_first_run(runs: list[Run]) -> None:
    for run in runs:
        early = [u for u in run.before if any(p in u for p in PYTHON_FILES) and not u.endswith("/live/run.js")]
        assert not early, f"{run.path} loads Python before the reader presses Run: {early}"


def built_notebook(book: BuiltBook, path: str) -> dict[str, Any]:
    """The notebook the page was built from: the build's downloadable copy without its set-up cell
    (the repository's notebook may have changed since the build)."""
    notebook: dict[str, Any] = json.loads((book.html / "_sources" / Path(path).with_suffix(".ipynb")).read_text())
    first = notebook["cells"][0]
    if SETUP_CELL_ID in first.get("metadata", {}).get("tags", []):
        notebook["cells"] = notebook["cells"][1:]
    return notebook


def test_every_live_cell_gives_its_stored_output(built_book: BuiltBook, runs: list[Run]) -> None:
    """Every difference is listed (not only the first): each is a cell to look at (a Python 3.14 change?)."""
    compared, differences = 0, []
    for run in runs:
        notebook = built_notebook(built_book, run.path)
        for cell in run.data["cells"]:
            if not cell["live"]:
                continue
            stored = notebook["cells"][cell["index"]]
            tags = stored.get("metadata", {}).get("tags", [])
            result = run.results[str(cell["index"])]
            if not (result["ok"] or "raises-exception" in tags):
                errors = [o for o in run.outputs[cell["index"]] if o["output_type"] == "error"]
                differences.append(f"{run.path} cell {cell['index']} raised {errors[:1] or result}")
                continue
            if stored.get("execution_count") is None or {"nbval-skip", "nbval-ignore-output"} & set(tags):
                continue  # not compared by nbval either
            difference = outputs_difference(stored["outputs"], run.outputs[cell["index"]])
            if difference is not None:
                differences.append(f"{run.path} cell {cell['index']}: {difference}")
            compared += 1
    assert not differences, "in the browser, cells gave other outputs than stored:\n" + "\n".join(differences)
    assert compared >= 4


def test_a_run_stays_on_this_site_and_logs_nothing(runs: list[Run]) -> None:
    for run in runs:
        assert not run.visit.foreign, f"{run.path} requested other hosts: {run.visit.foreign}"
        assert not run.visit.failed, f"{run.path}: failed requests {run.visit.failed}"
        assert not run.visit.errors and not run.visit.warnings, (run.path, run.visit.errors, run.visit.warnings)
        assert 0 < run.bytes < FIRST_RUN_BYTES, f"{run.path}: the first run transferred {run.bytes:,} bytes"
        assert run.ready < FIRST_RUN_SECONDS, f"{run.path}: Python was ready after {run.ready:.0f} s"


def test_the_run_shows_outputs_and_figures_in_place(runs: list[Run]) -> None:
    run = next(r for r in runs if r.path == CHAPTER)
    page = run.visit.page
    first = next(cell for cell in run.data["cells"] if cell["live"] and cell["rendered"] and cell["number"])
    area = page.locator(f"#ll-cell-{first['index']} > .ll-live-output")
    assert "Output of your run" in area.inner_text() and "$238.46" in area.inner_text()
    stored = page.locator(f"#ll-cell-{first['index']} > .cell_output:not(.ll-live-output)")
    assert stored.is_hidden(), "the run's output replaces the stored one"
    area.get_by_role("button", name="Show the book\u2019s output").click()
    toggle = area.locator("button.ll-live-link")
    assert stored.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert stored.is_hidden() and toggle.inner_text() == "Show the book\u2019s output"
    plotly = "application/vnd.plotly.v1+json"
    figures = [
        cell
        for cell in run.data["cells"]
        if cell["live"] and cell["number"] and any(plotly in o.get("data", {}) for o in run.outputs[cell["index"]])
    ]
    assert figures, "chapter 1's figure cell draws its figure again"
    for cell in figures:
        page.wait_for_function(
            f"document.querySelector('#ll-cell-{cell['index']} .ll-live-output .plotly-graph-div[data-drawn]')",
            timeout=20_000,
        )
        drawn = page.locator(f"#ll-cell-{cell['index']} .ll-live-output")
        assert drawn.locator(".scatterlayer .trace").count() >= 1
        assert drawn.get_by_role("figure").count() == 1
    assert "Ran in" in page.locator(f'.ll-live[data-cell="{first["index"]}"] .ll-live-status').inner_text()


def test_edit_run_stop_a_runaway_loop_and_run_again(site: str, browser: Browser) -> None:
    with Visit(browser, site, CHAPTER) as visit:
        page = visit.page
        bar = page.locator(".ll-live:not(.ll-live-off)").first
        index = int(bar.get_attribute("data-cell") or 0)
        status = bar.locator(".ll-live-status")
        bar.get_by_role("button", name="Edit code cell 1").focus()
        page.keyboard.press("Enter")
        editor = page.locator(f"#ll-cell-{index} textarea.ll-live-editor")
        assert editor.evaluate("e => e === document.activeElement"), "Edit moves the focus into the code"
        assert editor.evaluate("e => getComputedStyle(e).fontFamily").lower().count("mono") >= 1
        page.keyboard.press("Control+A")
        page.keyboard.type('print("edited", 6 * 7)')
        page.keyboard.press("Shift+Enter")
        wait_done(page, index)
        assert outputs(page, index) == [{"output_type": "stream", "name": "stdout", "text": "edited 42\n"}]

        editor.fill("for i in range(3):\n    pass\nwhile True:\n    i += 1")
        editor.press("Shift+Enter")
        page.wait_for_function(
            f"(LambdaLabLive.results[{index}] || {{}}).status === 'Running\u2026'",
            timeout=30_000,
        )
        page.wait_for_timeout(500)
        assert page.evaluate("document.querySelector('h1') !== null"), "the page answers while Python loops"
        stop = bar.get_by_role("button", name="Stop Python")
        assert stop.is_visible()
        stop.click()
        assert "Python was restarted" in page.locator(f"#ll-cell-{index} .ll-live-stopped").inner_text()
        assert "everything the cells on this page defined is lost" in status.inner_text()
        assert "Run all above" in status.inner_text() and stop.is_hidden()
        assert page.evaluate("LambdaLabLive.busy") is False

        editor.fill("import sys\nprint(sorted(sys.builtin_module_names))")
        page.evaluate(f"delete LambdaLabLive.outputs[{index}]")
        bar.get_by_role("button", name="Run code cell 1").click()
        wait_done(page, index)
        printed = outputs(page, index)[0]["text"]
        assert set(eval(printed)) == PYODIDE_BUILTINS, "runnable.PYODIDE_BUILTINS is the vendored Pyodide's list"

        editor.focus()
        page.keyboard.press("End")
        page.keyboard.press("Tab")
        assert editor.input_value().endswith("    "), "Tab indents in the editor"
        page.keyboard.press("Escape")
        page.keyboard.press("Tab")
        assert not editor.evaluate("e => e === document.activeElement"), "Esc, then Tab, leaves the editor"
        bar.get_by_role("button", name="Reset code cell 1 to the book's code").click()
        assert editor.count() == 0 and page.locator(f"#ll-cell-{index} .cell_input pre").first.is_visible()
        assert not visit.errors and not visit.foreign and not visit.failed, (visit.errors, visit.foreign, visit.failed)


def test_after_a_run_the_page_passes_axe_and_fits_a_phone(runs: list[Run]) -> None:
    run = next(r for r in runs if r.path == CHAPTER)
    page = run.visit.page
    first = next(cell for cell in run.data["cells"] if cell["live"] and cell["rendered"] and cell["number"])
    page.locator(f'.ll-live[data-cell="{first["index"]}"] .ll-live-edit').click()  # an editor open too
    for scheme in ("light", "dark"):
        switch_theme(page, scheme)
        results = Axe().run(page, options={"runOnly": {"type": "rule", "values": AXE_RULES}})
        violations = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]
        assert not violations, f"{run.path} after a run ({scheme}): {violations}"
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"after a run the page scrolls sideways by {overflow} px on a phone"
    for box in [b.bounding_box() for b in page.locator(".ll-live-bar button:visible").all()]:
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
