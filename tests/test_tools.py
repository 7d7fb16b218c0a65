"""The book's tooling: notebook cleaning, the plotly renderer, and the README's promises."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from lambdalab_book import execute, plotly_mime

ROOT = Path(__file__).resolve().parents[1]
A, B = "a" * 32, "b" * 32


def notebook_with_widget() -> nbformat.NotebookNode:
    view = {
        execute.WIDGET_VIEW: {"model_id": A, "version_major": 2, "version_minor": 0},
        "text/plain": "VBox()",
    }
    cell = new_code_cell("w", execution_count=1, outputs=[new_output("execute_result", view, execution_count=1)])
    cell.id = "cell-1"
    cell.metadata["execution"] = {"iopub.execute_input": "2026-11-30T02:00:00Z"}
    nb = new_notebook(cells=[cell])
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    state = {A: {"state": {"children": [f"IPY_MODEL_{B}"]}}, B: {"state": {}}}
    nb.metadata["widgets"] = {execute.WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    return nb


def test_clean_removes_noise_and_renames_widget_ids_stably() -> None:
    nb = execute.clean(notebook_with_widget(), "labs/x.ipynb")
    assert "execution" not in nb.cells[0].metadata
    assert nb.metadata.language_info == {"name": "python"}
    assert nb.metadata.kernelspec == execute.KERNELSPEC
    text = nbformat.writes(nb)
    assert A not in text and B not in text
    new_view = nb.cells[0].outputs[0].data[execute.WIDGET_VIEW]["model_id"]
    state = nb.metadata.widgets[execute.WIDGET_STATE]["state"]
    assert new_view in state
    assert state[new_view]["state"]["children"][0][len("IPY_MODEL_") :] in state
    # The same notebook executed again (new random ids) is stored identically.
    again = notebook_with_widget()
    text_again = nbformat.writes(again).replace(A, "c" * 32).replace(B, "d" * 32)
    assert nbformat.writes(execute.clean(nbformat.reads(text_again, 4), "labs/x.ipynb")) == text
    assert execute.clean(nb, "labs/x.ipynb") == nb  # idempotent


def test_figure_html_is_deterministic_responsive_and_offline() -> None:
    figure = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {}, "config": {}}
    html = plotly_mime.figure_html(figure)
    assert html == plotly_mime.figure_html(figure)
    assert 'class="plotly-graph-div"' in html and "100%" in html
    assert "<script src" not in html and "cdn" not in html.lower()
    assert '"responsive": true' in html.replace(":true", ": true")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^```(?:sh|bash|console)?\n(.*?)^```", readme, re.M | re.S)
    test_command = "python3 dev.py test"
    assert any(block.strip() == test_command for block in commands), "README must show the test command"
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(rf"^{re.escape(test_command)}\s*$", ci, re.M), ".ci/run must call the README's test command"


def test_binder_installs_the_pinned_stack_and_the_package() -> None:
    lines = (ROOT / "binder" / "requirements.txt").read_text().split("\n")
    assert "-r ../requirements.txt" in lines and "-e ." in lines
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert all("==" in line for line in pins), "every requirement is pinned exactly"
    names = {line.split("==")[0].lower() for line in pins}
    assert {
        "jupyter-book",
        "myst-nb",
        "sphinx-book-theme",
        "ipywidgets",
        "plotly",
        "nbval",
        "pytest",
    } <= names
