"""Printed columns fit a phone.

On a 390 px phone the book prints output at 12 px (book.css): about 45 characters a line. Long
prose-like lines (log lines, error messages) wrap and stay readable, but a line whose columns are
lined up with runs of spaces turns into a jumble when it wraps. Such lines stay within 45 characters;
wider tables belong in an HTML table (``lambdalab.table.Table`` or a DataFrame), which the theme
scrolls or shrinks.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PHONE_CHARACTERS = 45
ALIGNED = re.compile(r"\S {2,}\S")  # a gap of two or more spaces between words: lined-up columns


def printed_lines(path: Path) -> list[tuple[int, str]]:
    nb = nbformat.read(path, as_version=4)
    lines = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                text = output.text
            elif "text/plain" in output.get("data", {}) and "text/html" not in output.data:
                text = output.data["text/plain"]
            else:
                continue
            lines += [(index, line) for line in text.splitlines()]
    return lines


def aligned_lines_too_wide(lines: list[tuple[int, str]]) -> list[str]:
    return [f"cell {i}: {line!r}" for i, line in lines if len(line) > PHONE_CHARACTERS and ALIGNED.search(line)]


def test_the_rule_finds_a_wide_table_and_spares_prose() -> None:
    table = [(3, "memory    duration    cost per million requests"), (3, "a log line that is long " * 3)]
    assert aligned_lines_too_wide(table) == [f"cell 3: {table[0][1]!r}"]


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.stem)
def test_aligned_output_fits_a_phone(path: Path) -> None:
    wide = aligned_lines_too_wide(printed_lines(path))
    assert not wide, f"{path.name}: lined-up output wider than {PHONE_CHARACTERS} characters:\n" + "\n".join(wide)
