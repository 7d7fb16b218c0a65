"""Stored outputs survive another CPU's rounding, and the check stays strict (lambdalab_book.compare).

numpy's SIMD paths (AVX2, AVX-512, NEON) may round the last bit of a float differently. These
tests play the other machine: every float of every stored output moved by one ULP must still
match; one value moved by a relative 1e-6, or one character changed, must not. The end-to-end
test runs nbval itself (with the project's configuration) over scratch copies of a chapter.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import os
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbval import plugin as nbval_plugin

from lambdalab_book import execute, nbval_numeric
from lambdalab_book.compare import (
    FLOAT_TOKEN,
    decode_typed_array,
    first_difference,
    floats_match,
    text_difference,
    ulps_apart,
)

NOTEBOOKS = execute.notebooks()
IDS = [p.relative_to(execute.ROOT).as_posix() for p in NOTEBOOKS]
PLOTLY = "application/vnd.plotly.v1+json"
# What nbval leaves out of the comparison (IPyNbFile.skip_compare).
SKIPPED = {"application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg"}

Path_ = tuple[Any, ...]  # keys and indices into an output; ("item", i) indexes a typed array


# ---- helpers: plotly typed arrays, written with numpy (independently of compare.py) ----------


def typed(values: Any, dtype: str = "f8") -> dict[str, str]:
    array = np.asarray(values, dtype="<" + dtype)
    spec = {"dtype": dtype, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = str(array.shape)[1:-1]
    return spec


def is_typed(value: Any) -> bool:
    return isinstance(value, dict) and {"dtype", "bdata"} <= value.keys()


def untyped(value: dict[str, str]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype="<" + value["dtype"]).copy()


def map_typed(value: dict[str, str], fn: Callable[[np.ndarray], np.ndarray]) -> dict[str, str]:
    array = untyped(value)
    return {**value, "bdata": base64.b64encode(fn(array).astype(array.dtype).tobytes()).decode("ascii")}


# ---- the outputs nbval compares ---------------------------------------------------------------


def stored_outputs(path: Path) -> list[tuple[str, Any]]:
    """(label, value) for every value nbval compares in a notebook: stream text and mime data."""
    found = []
    nb = nbformat.read(path, as_version=4)
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                found.append((f"Cell {n} {output.name}", output.text))
            elif output.output_type == "error":
                found.append((f"Cell {n} evalue", output.evalue))
            for mime, value in output.get("data", {}).items():
                if mime not in SKIPPED:
                    found.append((f"Cell {n} {mime}", value))
    return found


OUTPUTS = [
    (f"{name}: {label}", value)
    for path, name in zip(NOTEBOOKS, IDS, strict=True)
    for label, value in stored_outputs(path)
]


# ---- moving numbers ---------------------------------------------------------------------------


def move_all(value: Any, step: Callable[[float], float]) -> Any:
    """Every float moved by ``step``: JSON floats, float typed arrays, and float tokens of text."""
    if is_typed(value):
        if not value["dtype"].startswith("f"):
            return value
        return map_typed(value, lambda a: np.array([step(float(x)) for x in a]))
    if isinstance(value, dict):
        return {k: move_all(v, step) for k, v in value.items()}
    if isinstance(value, list):
        return [move_all(v, step) for v in value]
    if isinstance(value, float):
        return step(value)
    if isinstance(value, str):
        return FLOAT_TOKEN.sub(lambda m: _moved_token(m, step), value)
    return value


def _moved_token(match: Any, step: Callable[[float], float]) -> str:
    """A printed number moved; a token inside a word or a format spec (``%{y:.0f}``) is text no CPU
    changes, and stays."""
    text, start, end = match.string, match.start(), match.end()
    if (start and (text[start - 1].isalnum() or text[start - 1] in ":.")) or (end < len(text) and text[end].isalpha()):
        return str(match.group())
    return repr(step(float(match.group())))


def one_ulp(x: float, direction: float) -> float:
    """The next float towards ``direction``; NaN, infinities and the largest floats stay."""
    moved = math.nextafter(x, direction)
    return moved if math.isfinite(x) and math.isfinite(moved) else x


def one_ulp_up(x: float) -> float:
    return one_ulp(x, math.inf)


def one_ulp_down(x: float) -> float:
    return one_ulp(x, -math.inf)


def float_positions(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Where floats are in a JSON value: JSON floats, and first/middle/last of each float typed array."""
    if is_typed(value):
        if value["dtype"].startswith("f"):
            n = len(untyped(value))
            for i in sorted({0, n // 2, n - 1}):
                yield (*path, ("item", i))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from float_positions(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from float_positions(v, (*path, i))
    elif isinstance(value, float) and value != 0 and math.isfinite(value):
        yield path


def string_positions(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Where non-empty strings are in a JSON value (typed arrays are numbers, not strings)."""
    if is_typed(value):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from string_positions(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from string_positions(v, (*path, i))
    elif isinstance(value, str) and any(not c.isdigit() for c in value):
        yield path


def sample(items: list[Any], n: int = 40) -> list[Any]:
    """At most ``n`` items, evenly spread, always with the first and the last."""
    if len(items) <= n:
        return items
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def replace_at(value: Any, path: Path_, fn: Callable[[Any], Any]) -> Any:
    """A copy of ``value`` with the leaf at ``path`` replaced by ``fn(leaf)``."""
    result = copy.deepcopy(value)
    *parents, last = path
    holder = result
    for key in parents:
        holder = holder[key]
    if isinstance(last, tuple):  # an element of a typed array: holder[...] is the spec
        *_, i = last
        array_path, spec = parents, holder
        changed = map_typed(spec, lambda a: np.array([fn(float(x)) if j == i else x for j, x in enumerate(a)]))
        if not array_path:
            return changed
        parent = result
        for key in array_path[:-1]:
            parent = parent[key]
        parent[array_path[-1]] = changed
        return result
    holder[last] = fn(holder[last])
    return result


def printed(path: Path_) -> str:
    """A path as compare.first_difference writes it: data[0].x[17]."""
    text = ""
    for key in path:
        if isinstance(key, tuple):
            key = key[1]
        if isinstance(key, int):
            text += f"[{key}]"
        elif isinstance(key, str) and key.isidentifier():
            text += f".{key}" if text else key
        else:  # plotly's dotted keys in slider args, such as 'xaxis.range'
            text += f"[{key!r}]"
    return text


def change_character(text: str, at: int) -> str:
    old = text[at]
    new = ("y" if old == "x" else "x") if old.isalpha() else ("#" if old != "#" else "%")
    return text[:at] + new + text[at + 1 :]


def relative(x: float, rel: float = 1e-6) -> float:
    return x * (1 + rel)


# ---- the stored outputs of every notebook -----------------------------------------------------


def test_notebooks_have_outputs_with_floats() -> None:
    assert OUTPUTS, "no stored outputs found"
    moved = [label for label, value in OUTPUTS if move_all(value, one_ulp_up) != value]
    assert moved, "no stored output holds a float: the tests below would prove nothing"


@pytest.mark.parametrize("step", [one_ulp_up, one_ulp_down], ids=["up", "down"])
@pytest.mark.parametrize(("label", "value"), OUTPUTS, ids=[label for label, _ in OUTPUTS])
def test_every_float_moved_one_ulp_matches(label: str, value: Any, step: Callable[[float], float]) -> None:
    moved = move_all(value, step)
    assert first_difference(value, moved) is None
    assert first_difference(moved, value) is None


@pytest.mark.parametrize(("label", "value"), OUTPUTS, ids=[label for label, _ in OUTPUTS])
def test_one_value_moved_by_1e_6_differs(label: str, value: Any) -> None:
    if isinstance(value, str):
        tokens = list(FLOAT_TOKEN.finditer(value))
        for match in tokens:
            if float(match.group()) == 0:
                continue
            changed = value[: match.start()] + repr(relative(float(match.group()))) + value[match.end() :]
            difference = first_difference(value, changed)
            assert difference is not None, f"{match.group()!r} moved by 1e-6 was not noticed"
            assert difference.path == f"line {value.count(chr(10), 0, match.start()) + 1}"
        return
    positions = sample(list(float_positions(value)))
    for position in positions:
        changed = replace_at(value, position, relative)
        difference = first_difference(value, changed)
        assert difference is not None, f"{printed(position)} moved by 1e-6 was not noticed"
        assert difference.path == printed(position)


@pytest.mark.parametrize(("label", "value"), OUTPUTS, ids=[label for label, _ in OUTPUTS])
def test_one_character_changed_differs(label: str, value: Any) -> None:
    if isinstance(value, str):
        spots = sample([i for i, c in enumerate(value) if not c.isdigit()])
        for at in spots:
            assert first_difference(value, change_character(value, at)) is not None, f"character {at} of {label}"
        return
    for position in sample(list(string_positions(value))):
        text = value
        for key in position:
            text = text[key]
        at = next(i for i, c in enumerate(text) if not c.isdigit())
        changed = replace_at(value, position, lambda s, at=at: change_character(s, at))
        difference = first_difference(value, changed)
        assert difference is not None, f"{printed(position)}: {text!r} changed at {at} was not noticed"
        assert difference.path.startswith(printed(position))


def test_plotly_figure_as_plain_lists_matches() -> None:
    """A chapter may hand plotly lists instead of numpy arrays: the stored figure still matches."""
    figures = [value for _, value in OUTPUTS if isinstance(value, dict) and "data" in value and "layout" in value]
    if not figures:
        pytest.skip("no plotly figure stored")

    def as_lists(value: Any) -> Any:
        if is_typed(value):
            return [None if isinstance(x, float) and not math.isfinite(x) else x for x in untyped(value).tolist()]
        if isinstance(value, dict):
            return {k: as_lists(v) for k, v in value.items()}
        if isinstance(value, list):
            return [as_lists(v) for v in value]
        return value

    for figure in figures:
        assert first_difference(figure, as_lists(figure)) is None
        assert first_difference(as_lists(figure), figure) is None


# ---- the comparator ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (0.1 + 0.2, 0.3, True),
        (0.0, 5e-324, True),
        (-0.0, 0.0, True),
        (1e300, math.nextafter(1e300, math.inf), True),
        (123.4, 123.4 * (1 + 9e-10), True),
        (123.4, 123.4 * (1 + 1e-8), False),
        (123.4, 123.5, False),
        (1.0, 1.000001, False),
        (1e-310, 2e-310, False),  # subnormals: far apart in ULPs and relatively
        (math.nan, math.nan, True),
        (math.nan, 1.0, False),
        (math.inf, math.inf, True),
        (math.inf, -math.inf, False),
        (math.inf, 1.7976931348623157e308, False),
    ],
)
def test_floats_match(a: float, b: float, same: bool) -> None:
    assert floats_match(a, b) is same
    assert floats_match(b, a) is same


def test_ulps_apart() -> None:
    assert ulps_apart(0.0, 5e-324) == 1
    assert ulps_apart(-0.0, 0.0) == 0
    assert ulps_apart(-5e-324, 5e-324) == 2
    assert ulps_apart(1.0, math.nextafter(math.nextafter(1.0, 2), 2)) == 2
    one_f4_ulp = float(np.nextafter(np.float32(1), np.float32(2)))
    assert ulps_apart(1.0, one_f4_ulp, width=32) == 1


def test_decode_typed_arrays() -> None:
    assert decode_typed_array(typed([1.5, -2.0])) is not None
    assert decode_typed_array(typed([1.5, -2.0])).values == [1.5, -2.0]
    assert decode_typed_array(typed([1, -2], "i1")).values == [1, -2]
    assert decode_typed_array(typed([1, 65535], "u2")).values == [1, 65535]
    grid = decode_typed_array(typed([[1, 2, 3], [4, 5, 6]], "i4"))
    assert grid is not None
    assert grid.values == [[1, 2, 3], [4, 5, 6]]
    assert grid.width == 0
    assert decode_typed_array(typed([1.0], "f4")).width == 32
    assert decode_typed_array({"dtype": "f8", "bdata": "not base64!"}) is None
    assert decode_typed_array({"dtype": "c16", "bdata": ""}) is None
    assert decode_typed_array({**typed([1.0]), "extra": 1}) is None
    assert decode_typed_array({**typed([1.0, 2.0, 3.0]), "shape": "2, 2"}) is None
    assert decode_typed_array([1.0]) is None


def test_typed_array_and_list_match() -> None:
    assert first_difference(typed([0.5, 1e-07, 3.0]), [0.5, 1e-07, 3.0]) is None
    assert first_difference([0.5, 1e-07, 3.0], typed([0.5, 1e-07, 3.0])) is None
    assert first_difference(typed([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [3.0, 4.0]]) is None
    assert first_difference(typed([1, 2], "i1"), typed([1, 2], "i4")) is None  # plotly shrinks int64
    assert first_difference(typed([1, 2], "i4"), [1, 2]) is None
    assert str(first_difference({"x": typed([1.0, 2.0])}, {"x": [1.0, 2.0, 3.0]})) == "x: 2 items != 3 items"


def test_integers_are_exact() -> None:
    assert str(first_difference(typed([1, 2, 3], "i4"), typed([1, 2, 4], "i4"))) == "[2]: 3 != 4"
    assert first_difference(10**15, 10**15 + 1) is not None
    assert first_difference(typed([1, 2], "i4"), [1.0, 2.0]) is not None  # int vs float: another kind
    assert first_difference([True], [1]) is not None
    assert first_difference(typed([1.0, 2.0]), typed([1, 2], "i4")) is not None


def test_nested_paths_are_reported() -> None:
    reference = {"data": [{"x": typed([float(i) for i in range(20)]), "name": "a"}], "layout": {"height": 400}}
    test = copy.deepcopy(reference)
    test["data"][0]["x"] = typed([float(i) if i != 17 else 17.5 for i in range(20)])
    assert str(first_difference(reference, test)) == "data[0].x[17]: 17.0 != 17.5"
    test = copy.deepcopy(reference)
    test["layout"]["height"] = 401
    assert str(first_difference(reference, test)) == "layout.height: 400 != 401"
    test = copy.deepcopy(reference)
    test["data"][0]["marker"] = {"color": "red"}
    assert str(first_difference(reference, test)) == "data[0].marker: not in the reference output"
    del test["data"][0]["name"]
    assert str(first_difference(reference, test)) == "data[0].name: missing from the test output"
    assert str(first_difference({"a b": [1]}, {"a b": [2]})) == "['a b'][0]: 1 != 2"


def test_missing_values() -> None:
    assert first_difference([math.nan, 1.0], [math.nan, 1.0]) is None
    assert first_difference(typed([math.nan, math.inf, 1.0]), [None, None, 1.0]) is None  # plotly: NaN -> null
    assert first_difference([None], [1.0]) is not None
    assert first_difference([None], [math.nan]) is None
    assert first_difference([math.nan], [1.0]) is not None


def test_strings_inside_json_use_the_text_rule() -> None:
    assert first_difference({"name": "p = 0.3"}, {"name": "p = 0.30000000000000004"}) is None
    assert str(first_difference({"name": "abc"}, {"name": "abd"})) == "name line 1: 'abc' != 'abd'"


def test_float_tokens() -> None:
    text = (
        "0.30000000000000004 1.5e-07 -2.5 +3.25 .5 [1. 2.] 2e-3 $238.46 6.7x 1.5ms (1.5,-2.5) 79% "
        "13,140,000 x86_64 m5.large x1.5 a-1.5 v1.2.3 127.0.0.1 3e5f 12345e67-89ab 12e4ab req-3e50-ab 42"
    )
    assert FLOAT_TOKEN.findall(text) == [
        *("0.30000000000000004", "1.5e-07", "-2.5", "+3.25", ".5", "1.", "2.", "2e-3", "238.46"),
        *("6.7", "1.5", "1.5", "-2.5"),
    ]


@pytest.mark.parametrize(
    ("reference", "test", "same"),
    [
        ("x = 0.3\n", "x = 0.30000000000000004\n", True),
        ("1.5e-07 s", "1.5000000000000002e-07 s", True),
        ("[1. 2.]", "[1.0000000000000002 2.]", True),
        ("-0.00", "0.00", True),  # a tiny negative on one CPU, a tiny positive on the other
        ("1.5", "1.50", False),  # same value, other format: a change of the code, not of the CPU
        ("0.3", "0.3000001", False),
        ("100000000000", "100000000001", False),  # integers are exact
        ("13,140,000 GB-s", "13,140,001 GB-s", False),
        ("request 1234567890e1f", "request 1234567891e1f", False),  # hex ids are exact
        ("request 1234567890e1-ab", "request 1234567891e1-ab", False),
        ("id-1234567890.5", "id-1234567890.5000001", False),
        ("v1.2.3", "v1.2.4", False),
        ("a 1.5 ", "a 1.5 2.5", False),
        ("a 1.5", "a 1.5x", False),
        ("nan", "nan", True),
        ("nan", "inf", False),
    ],
)
def test_text(reference: str, test: str, same: bool) -> None:
    assert (text_difference(reference, test) is None) is same
    assert (text_difference(test, reference) is None) is same


def test_text_difference_says_where() -> None:
    difference = text_difference("total\ncost 1.5 USD\n", "total\ncost 1.6 USD\n")
    assert str(difference) == "line 2: 1.5 != 1.6 ('cost 1.5 USD' != 'cost 1.6 USD')"
    assert str(text_difference("a\nb\nabc", "a\nb\nabd")) == "line 3: 'abc' != 'abd'"
    long = "x" * 200 + " 1.5 " + "y" * 200
    shown = str(text_difference(long, long.replace("1.5", "1.6")))
    assert "1.5 != 1.6" in shown
    assert len(shown) < 320


# ---- properties -------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
steps = st.sampled_from([-math.inf, None, math.inf])


@st.composite
def arrays_and_neighbours(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    """Floats (NaN and infinities too) and the same floats each moved by at most one ULP."""
    values = draw(st.lists(st.floats(), min_size=1, max_size=40))
    moved = []
    for x in values:
        direction = draw(steps)
        moved.append(x if direction is None else one_ulp(x, direction))
    return values, moved


@given(arrays_and_neighbours())
def test_one_ulp_apart_always_matches(pair: tuple[list[float], list[float]]) -> None:
    values, moved = pair
    assert first_difference(typed(values), typed(moved)) is None
    as_list = [x if math.isfinite(x) else None for x in moved]  # how plotly writes a plain list
    assert first_difference(typed(values), as_list) is None
    assert text_difference(", ".join(map(repr, values)), ", ".join(map(repr, moved))) is None


@given(st.lists(st.floats(width=32), min_size=1, max_size=40), st.data())
def test_float32_arrays_one_ulp_apart_match(values: list[float], data: st.DataObject) -> None:
    array = np.array(values, dtype=np.float32)
    direction = np.array([data.draw(steps) or 0.0 for _ in values], dtype=np.float32)
    with np.errstate(over="ignore"):  # the largest float32 steps to infinity: kept below
        step = np.nextafter(array, direction)
    moved = np.where(np.isfinite(array) & np.isfinite(step) & (direction != 0), step, array)
    assert first_difference(typed(array, "f4"), typed(moved, "f4")) is None


@given(st.lists(finite, min_size=1, max_size=20), st.data())
def test_a_relative_change_of_1e_6_never_matches(values: list[float], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(values) - 1))
    x = values[i]
    changed = [*values]
    changed[i] = relative(x)
    if abs(x) < 1e-300 or not math.isfinite(changed[i]):
        return  # zero, subnormal or overflowing: no relative change to speak of
    assert first_difference(typed(values), typed(changed)) is not None
    assert first_difference(values, changed) is not None
    assert text_difference(", ".join(map(repr, values)), ", ".join(map(repr, changed))) is not None


@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=20), st.data())
def test_any_integer_change_differs(values: list[int], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(values) - 1))
    changed = [*values]
    changed[i] += data.draw(st.sampled_from([-1, 1]))
    if not -(2**31) <= changed[i] < 2**31:
        return
    assert str(first_difference(typed(values, "i4"), typed(changed, "i4"))).startswith(f"[{i}]")
    assert text_difference(" ".join(map(str, values)), " ".join(map(str, changed))) is not None


# ---- the nbval plugin, with a stand-in cell ----------------------------------------------------


class StandInCell:
    """What nbval_numeric.compare_outputs uses of an nbval cell, borrowing nbval's own methods."""

    def __init__(self, patterns: dict[str, str]) -> None:
        self.parent = SimpleNamespace(skip_compare=("metadata", "output_type", "name", "execution_count"))
        self.parent.sanitize_patterns = patterns
        self.colors = nbval_plugin.nocolors
        self.config = None
        self.ihook = SimpleNamespace(pytest_assertrepr_compare=lambda **_: [])
        self.comparison_traceback: list[str] = []
        self.sanitize = types.MethodType(nbval_plugin.IPyNbCell.sanitize, self)
        self.format_output_compare = types.MethodType(nbval_plugin.IPyNbCell.format_output_compare, self)


def stdout(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def figure(x: list[float]) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={PLOTLY: {"data": [{"x": typed(x)}]}, "text/plain": "Figure"})


def test_plugin_compares_numerically_after_sanitizing() -> None:
    cell = StandInCell({"id [0-9a-f]{8}": "id ID"})
    reference = [stdout("id 3e5f0a1b: 0.3\n"), figure([0.1, 0.2])]
    noisy = [stdout("id 99999999: 0.30000000000000004\n"), figure([0.1, math.nextafter(0.2, 1)])]
    assert nbval_numeric.compare_outputs(cell, noisy, reference)
    assert cell.comparison_traceback == []
    assert not nbval_numeric.compare_outputs(cell, [stdout("id 99999999: 0.31\n"), figure([0.1, 0.2])], reference)
    assert cell.comparison_traceback[0] == " mismatch 'stdout' at line 1: 0.3 != 0.31 ('id ID: 0.3' != 'id ID: 0.31')"
    assert not nbval_numeric.compare_outputs(cell, [stdout("id 99999999: 0.3\n"), figure([0.1, 0.3])], reference)
    assert cell.comparison_traceback == [f" mismatch '{PLOTLY}' at data[0].x[1]: 0.2 != 0.3"]


def test_plugin_keeps_nbval_messages_for_missing_outputs() -> None:
    cell = StandInCell({})
    reference = [stdout("0.3\n"), figure([0.1])]
    assert not nbval_numeric.compare_outputs(cell, [stdout("0.3\n")], reference)
    assert "Missing output fields" in cell.comparison_traceback[0]
    assert not nbval_numeric.compare_outputs(cell, [*reference, figure([0.1])], reference)
    assert "dissimilar number of outputs" in cell.comparison_traceback[0]


def test_plugin_is_loaded_by_the_project_configuration() -> None:
    pyproject = (execute.ROOT / "pyproject.toml").read_text()
    assert '"-p", "lambdalab_book.nbval_numeric"' in pyproject


# ---- nbval itself, end to end -----------------------------------------------------------------


def chapter_with_figure_and_printed_float() -> tuple[Path, int, int] | None:
    """A notebook with a float typed array in a figure and a float printed on stdout, and the cells."""
    for path in NOTEBOOKS:
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        figure = printed_number = None
        for n, cell in enumerate(cells):
            for output in cell.get("outputs", []):
                if figure is None and any(p for p in float_positions(output.get("data", {}).get(PLOTLY))):
                    figure = n
                if printed_number is None and output.get("name") == "stdout" and FLOAT_TOKEN.search(output.text):
                    printed_number = n
        if figure is not None and printed_number is not None and figure != printed_number:
            return path, figure, printed_number
    return None


def nbval_verdicts(tmp_path: Path, notebooks: dict[str, nbformat.NotebookNode]) -> dict[str, dict[str, str]]:
    """Run strict nbval with the project's configuration over the notebooks: name -> cell -> failure text."""
    paths = []
    for name, nb in notebooks.items():
        paths.append(tmp_path / f"{name}.ipynb")
        nbformat.write(nb, paths[-1])
    report = tmp_path / "report.xml"
    command = [sys.executable, "-m", "pytest", "-c", str(execute.ROOT / "pyproject.toml"), "--rootdir", str(tmp_path)]
    command += ["-q", "--color=no", f"--junitxml={report}", *map(str, paths)]
    subprocess.run(command, cwd=execute.ROOT, capture_output=True, text=True, timeout=900, env=dict(os.environ))
    verdicts: dict[str, dict[str, str]] = {name: {} for name in notebooks}
    for case in ET.parse(report).iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        verdicts[case.attrib["classname"].removesuffix(".ipynb")][case.attrib["name"]] = (
            "" if failure is None else failure.text or "failed"
        )
    return verdicts


def test_nbval_end_to_end(tmp_path: Path) -> None:
    """Scratch copies of a chapter under nbval: ULP noise passes; a moved number fails, saying where."""
    found = chapter_with_figure_and_printed_float()
    if found is None:
        pytest.skip("no notebook prints a float and draws a figure in other cells")
    path, figure, printed_number = found
    original = nbformat.read(path, as_version=4)
    noisy = copy.deepcopy(original)
    edited = copy.deepcopy(original)
    code = [c for c in noisy.cells if c.cell_type == "code"]
    for cell in code:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = move_all(output.text, one_ulp_up)
            for mime in [m for m in output.get("data", {}) if m not in SKIPPED]:
                output.data[mime] = move_all(output.data[mime], one_ulp_up)
    assert noisy != original
    cells = [c for c in edited.cells if c.cell_type == "code"]
    stdout = next(o for o in cells[printed_number].outputs if o.get("name") == "stdout")
    match = next(m for m in FLOAT_TOKEN.finditer(stdout.text) if float(m.group()) != 0)
    stdout.text = stdout.text[: match.start()] + repr(relative(float(match.group()))) + stdout.text[match.end() :]
    output = next(o for o in cells[figure].outputs if PLOTLY in o.get("data", {}))
    position = next(float_positions(output.data[PLOTLY]))
    output.data[PLOTLY] = json.loads(json.dumps(replace_at(output.data[PLOTLY], position, relative)))

    verdicts = nbval_verdicts(tmp_path, {"original": original, "noisy": noisy, "edited": edited})
    failing = {name: {cell for cell, text in cells.items() if text} for name, cells in verdicts.items()}
    assert len(verdicts["original"]) == len(code), "nbval did not run every cell"
    assert failing["noisy"] == failing["original"], "one ULP of noise changed nbval's verdict"
    assert failing["edited"] == failing["original"] | {f"Cell {printed_number}", f"Cell {figure}"}
    assert (
        f"mismatch 'stdout' at line {stdout.text.count(chr(10), 0, match.start()) + 1}: "
        in (verdicts["edited"][f"Cell {printed_number}"])
    )
    assert f"mismatch '{PLOTLY}' at {printed(position)}: " in verdicts["edited"][f"Cell {figure}"]
