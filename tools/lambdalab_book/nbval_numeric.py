"""pytest plugin: nbval compares a cell's outputs with ``lambdalab_book.compare``, not ``==``.

Loaded with ``-p lambdalab_book.nbval_numeric`` (``addopts`` in ``pyproject.toml``), so that
stored outputs pass on any CPU while the check stays strict (see ``compare``'s docstring).

Only ``IPyNbCell.compare_outputs`` of nbval 0.11 is wrapped, per collected cell: nbval still
runs the cell, applies ``--nbval-sanitize-with``, honours ``nbval-ignore-output``, ``nbval-skip``
and ``raises-exception``, and reports missing, unexpected or extra outputs itself. When its
byte-exact check fails, the outputs are paired as nbval pairs them (per key or mime type, in
order) and compared again; a real difference is reported with its path, such as
``mismatch 'application/vnd.plotly.v1+json' at data[0].x[17]: 123.4 != 123.5``.
"""

from __future__ import annotations

import types
from collections import defaultdict
from typing import Any

import pytest
from nbval.plugin import IPyNbCell, transform_streams_for_comparison  # type: ignore[import-untyped]

from lambdalab_book.compare import first_difference


def _by_key(cell: Any, outputs: list[Any], skip: tuple[str, ...]) -> dict[str, list[Any]]:
    """Sanitized output values by key (``data`` flattened to its mime types), as nbval groups them."""
    flat: dict[str, list[Any]] = defaultdict(list)
    for output in transform_streams_for_comparison(outputs):
        for key, value in output.items():
            if key in skip:
                continue
            if key == "data":
                for mime, data in value.items():
                    if mime not in skip:
                        flat[mime].append(cell.sanitize(data))
            else:
                flat[key].append(cell.sanitize(value))
    return flat


def compare_outputs(cell: Any, test: list[Any], ref: list[Any], skip_compare: tuple[str, ...] | None = None) -> bool:
    """nbval's comparison, with floats compared numerically (bound to each notebook cell)."""
    if IPyNbCell.compare_outputs(cell, test, ref, skip_compare):
        return True
    skip = skip_compare or cell.parent.skip_compare
    tested, reference = _by_key(cell, test, skip), _by_key(cell, ref, skip)
    if tested.keys() != reference.keys() or any(len(tested[k]) != len(v) for k, v in reference.items()):
        return False  # nbval's traceback already says which outputs are missing or extra
    for key, values in reference.items():
        for ref_value, test_value in zip(values, tested[key], strict=True):
            difference = first_difference(ref_value, test_value)
            if difference is not None:
                cc = cell.colors
                cell.comparison_traceback = [f"{cc.OKBLUE} mismatch '{key}' at {difference}{cc.ENDC}"]
                if isinstance(ref_value, str) and isinstance(test_value, str):
                    cell.format_output_compare(key, ref_value, test_value)  # nbval's diff of the text
                return False
    cell.comparison_traceback = []
    return True


@pytest.hookimpl
def pytest_itemcollected(item: pytest.Item) -> None:
    if isinstance(item, IPyNbCell):
        item.compare_outputs = types.MethodType(compare_outputs, item)
