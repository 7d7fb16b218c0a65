"""Every notebook is stored executed, clean and reviewable; strict nbval then re-runs it.

nbval skips cells that were never executed, so a notebook stored without
outputs would pass silently: these checks make it fail instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from lambdalab_book import execute

NOTEBOOKS = execute.notebooks()
PLOTLY = "application/vnd.plotly.v1+json"


def ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(execute.ROOT).as_posix() for p in paths]


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks found under chapters/ or labs/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_stored_executed_in_order(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert code, "a notebook of the book has code"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"cells must be stored executed top to bottom in one run (python3 dev.py execute {path.name}); "
        f"got execution counts {counts}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_no_noise_in_metadata(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec == execute.KERNELSPEC
    assert "version" not in nb.metadata.get("language_info", {})
    for cell in nb.cells:
        assert "execution" not in cell.metadata, "timestamps: re-run with python3 dev.py execute"
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error" or "raises-exception" in cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_widgets_have_saved_state_and_stable_ids(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    views = [
        o.data[execute.WIDGET_VIEW]["model_id"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if execute.WIDGET_VIEW in o.get("data", {})
    ]
    if not views:
        return
    state = nb.metadata["widgets"][execute.WIDGET_STATE]["state"]
    assert set(views) <= set(state), "a displayed widget has no saved state: the site would show nothing"
    assert execute.clean(nb, path.relative_to(execute.ROOT).as_posix()) == nb, "ids not renamed: re-execute"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_plotly_outputs_are_mime_only(path: Path) -> None:
    """Figures are stored as plotly's JSON mime type: no inlined plotly.js, no CDN, no random div ids."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PLOTLY in data:
                assert "text/html" not in data
                assert len(json.dumps(data[PLOTLY])) < 500_000
            assert "cdn.plot.ly" not in json.dumps(data)
