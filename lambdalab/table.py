"""Records, metrics and the ledger without pandas: a small immutable column table.

In the reader's browser (Pyodide) there is no pandas. There ``aws.requests()``, ``metrics()`` and ``events()``
return a :class:`Table`: the DataFrame's columns in the same order with the same values (Python ints, floats,
bools, str, None), what chapters do with them (``t.duration``, masks, ``query``, ``groupby``, ``sort_values``,
``quantile`` as pandas computes it) and an HTML or text display. With pandas importable they are DataFrames, as
before; :func:`use_pandas` or the environment variable ``LAMBDALAB_NO_PANDAS=1`` switches that off.

>>> t = Table({"function": ["a", "b", "a"], "duration": [0.1, 0.3, 0.25]})
>>> len(t), t.columns
(3, ('function', 'duration'))
>>> t[t.function == "a"].duration.tolist(), t.duration.quantile(0.5)
([0.1, 0.25], 0.25)
>>> print(t.query("duration > 0.2"))
function  duration
       b      0.30
       a      0.25
"""

from __future__ import annotations

import ast
import functools
import html
import operator
import os
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .column import MAX_ROWS, Column, Positions, cells, missing

_wanted: bool | None = None


def use_pandas(wanted: bool | None) -> bool | None:
    """DataFrames if pandas is importable (True), never (False), or unless ``LAMBDALAB_NO_PANDAS=1`` (None, the
    default). Returns the previous setting."""
    global _wanted
    previous, _wanted = _wanted, wanted
    return previous


@functools.cache
def _import_pandas() -> Any:
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def pandas() -> Any:
    """The pandas module if results should be DataFrames, else None."""
    wanted = _wanted if _wanted is not None else os.environ.get("LAMBDALAB_NO_PANDAS", "") in ("", "0")
    return _import_pandas() if wanted else None


class Row(types.SimpleNamespace):
    """One row: ``row.duration`` or ``row["duration"]``."""

    def __getitem__(self, name: str) -> Any:
        return self.__dict__[name]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Table:
    """Named columns of equal length, in order; immutable. ``index`` names a column that labels rows (``loc``)."""

    __slots__ = ("_data", "_index", "_length")

    def __init__(self, columns: Mapping[str, Iterable[Any]], index: str | None = None) -> None:
        self._data = {str(name): tuple(values) for name, values in columns.items()}
        lengths = {len(values) for values in self._data.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        if index is not None and index not in self._data:
            raise KeyError(f"no column {index!r} to index by")
        self._index, self._length = index, lengths.pop() if lengths else 0

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], columns: Iterable[str]) -> Table:
        rows = list(records)
        return cls({name: [row.get(name) for row in rows] for name in columns})

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._data)

    @property
    def shape(self) -> tuple[int, int]:
        return self._length, len(self._data)

    @property
    def empty(self) -> bool:
        return not self._length or not self._data

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)  # the column names, as pandas

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __getattr__(self, name: str) -> Column:
        if not name.startswith("_") and name in self._data:
            return Column(self._data[name], name)
        raise AttributeError(f"no column or attribute {name!r}")

    def __getitem__(self, key: Any) -> Any:
        """A column by name; a table of some columns (a list of names), of some rows (a mask or a slice)."""
        if isinstance(key, str):
            return Column(self._data[key], key)
        if isinstance(key, slice):
            return self._take(range(self._length)[key])
        if isinstance(key, list) and key and all(isinstance(name, str) for name in key):
            return Table({name: self._data[name] for name in key}, self._index if self._index in key else None)
        mask = list(key)
        if len(mask) != self._length:
            raise ValueError(f"a mask of {len(mask)} values for {self._length} rows")
        return self._take(i for i, keep in enumerate(mask) if keep)

    def _take(self, positions: Iterable[int]) -> Table:
        rows = list(positions)
        return Table({name: [values[i] for i in rows] for name, values in self._data.items()}, self._index)

    def _row(self, i: int) -> Row:
        return Row(**{name: values[i] for name, values in self._data.items()})

    @property
    def iloc(self) -> Positions:
        rows = range(self._length)
        return Positions(lambda key: self._take(rows[key]) if isinstance(key, slice) else self._row(rows[key]))

    @property
    def loc(self) -> Positions:
        """The first row whose ``index`` column holds the label."""
        labels = self._data[self._index] if self._index is not None else ()
        return Positions(lambda key: self._row(labels.index(key)) if key in labels else _raise(KeyError(key)))

    @property
    def index(self) -> Column:
        return Column(range(self._length) if self._index is None else self._data[self._index], self._index)

    def head(self, n: int = 5) -> Table:
        return self._take(range(min(n, self._length)))

    def tail(self, n: int = 5) -> Table:
        return self._take(range(max(0, self._length - n), self._length))

    def sort_values(self, by: str | list[str], ascending: bool = True) -> Table:
        """Stable; missing values last."""
        columns = [self._data[name] for name in ([by] if isinstance(by, str) else by)]

        def key(i: int) -> tuple[tuple[bool, Any], ...]:
            return tuple((missing(c[i]) == ascending, 0 if missing(c[i]) else c[i]) for c in columns)

        return self._take(sorted(range(self._length), key=key, reverse=not ascending))

    def query(self, expression: str) -> Table:
        """Rows where ``expression`` holds: columns and constants compared (``==``, ``<``, ``in [...]``, ...),
        joined by ``and``/``or``/``not`` or ``&``/``|``/``~``, with ``+ - * /``; nothing else is evaluated."""
        mask = _evaluate(ast.parse(expression.strip(), mode="eval").body, self)
        if not isinstance(mask, Column) or not all(isinstance(keep, bool) for keep in mask):
            raise ValueError(f"query: {expression!r} is not a condition on columns")
        return self[mask]  # type: ignore[no-any-return]

    def groupby(self, by: str | list[str]) -> GroupBy:
        return GroupBy(self, by)

    def itertuples(self) -> Iterator[Row]:
        return (self._row(i) for i in range(self._length))

    def to_dict(self, orient: str = "list") -> Any:
        """``"records"`` (a list of dicts, one per row) or ``"list"`` (a list per column)."""
        if orient not in ("records", "list"):
            raise ValueError(f"orient must be 'records' or 'list', not {orient!r}")
        if orient == "list":
            return {name: list(values) for name, values in self._data.items()}
        return [dict(zip(self._data, row, strict=True)) for row in zip(*self._data.values(), strict=True)]

    def to_dicts(self) -> list[dict[str, Any]]:
        return self.to_dict("records")  # type: ignore[no-any-return]

    def equals(self, other: object) -> bool:
        """Same columns with the same values (missing values equal)."""
        return (
            isinstance(other, Table)
            and self.shape == other.shape
            and self.columns == other.columns
            and all(
                a == b or (missing(a) and missing(b))
                for name in self._data
                for a, b in zip(self._data[name], other._data[name], strict=True)
            )
        )

    def to_pandas(self) -> Any:
        """The DataFrame pandas would have given (needs pandas)."""
        frame = _require_pandas().DataFrame({n: list(v) for n, v in self._data.items()}, columns=list(self._data))
        return frame if self._index is None else frame.set_index(self._index)

    def __repr__(self) -> str:
        return _text(self)

    def _repr_html_(self) -> str:
        return _html(self)


class GroupBy:
    """``t.groupby("function")``: ``.size()`` or a column's aggregate (``.duration.mean()``), labelled by key in
    sorted order, rows with a missing key left out (as in pandas); iterating gives ``(key, table)`` pairs."""

    def __init__(self, table: Table, by: str | list[str]) -> None:
        names = [by] if isinstance(by, str) else list(by)
        groups: dict[Any, list[int]] = {}
        for i, key in enumerate(zip(*(table[name] for name in names), strict=True)):
            if not any(map(missing, key)):
                groups.setdefault(key if len(names) > 1 else key[0], []).append(i)
        try:
            keys = sorted(groups)
        except TypeError:
            keys = list(groups)
        self._table, self._groups = table, {key: groups[key] for key in keys}

    def __iter__(self) -> Iterator[tuple[Any, Table]]:
        return ((key, self._table._take(rows)) for key, rows in self._groups.items())

    def size(self) -> Column:
        return Column(map(len, self._groups.values()), None, self._groups)

    def __getitem__(self, name: str) -> _Grouped:
        return _Grouped(self._table[name], self._groups)

    def __getattr__(self, name: str) -> _Grouped:
        if name.startswith("_") or name not in self._table:
            raise AttributeError(name)
        return self[name]


def _first(column: Column, last: bool = False) -> Any:
    present = column._present()
    return (present[-1] if last else present[0]) if present else None


_AGGREGATES: dict[str, Callable[..., Any]] = {
    **{name: getattr(Column, name) for name in ("sum", "mean", "max", "min", "count", "median", "quantile", "std")},
    **{"nunique": Column.nunique, "size": len, "first": _first, "last": functools.partial(_first, last=True)},
}


class _Grouped:
    """A column per group: ``sum mean max min count median quantile std nunique size first last``, or ``agg(f)``."""

    def __init__(self, column: Column, groups: dict[Any, list[int]]) -> None:
        self._column, self._groups = column, groups

    def agg(self, how: str | Callable[..., Any], *args: Any) -> Column:
        function = _AGGREGATES[how] if isinstance(how, str) else how
        values = [function(self._column._pick(rows), *args) for rows in self._groups.values()]
        return Column(values, self._column.name, self._groups)

    def __getattr__(self, how: str) -> Callable[..., Column]:
        if how not in _AGGREGATES:
            raise AttributeError(how)
        return functools.partial(self.agg, how)


_COMPARE: dict[type[ast.AST], Callable[[Any, Any], Any]] = dict(
    zip(
        (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE),
        (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge),
        strict=True,
    )
)
_COMPARE[ast.In], _COMPARE[ast.NotIn] = Column.isin, lambda column, values: ~column.isin(values)
_COMBINE: dict[type[ast.AST], Callable[[Any, Any], Any]] = dict(
    zip(
        (ast.And, ast.Or, ast.BitAnd, ast.BitOr, ast.Add, ast.Sub, ast.Mult, ast.Div),
        (operator.and_, operator.or_) * 2 + (operator.add, operator.sub, operator.mul, operator.truediv),
        strict=True,
    )
)


def _evaluate(node: ast.AST, table: Table) -> Any:
    """``query``'s small language; anything else is refused, never evaluated."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in table:
        return table[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_evaluate(item, table) for item in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert, ast.USub)):
        value = _evaluate(node.operand, table)
        return value * -1 if isinstance(node.op, ast.USub) else ~value
    if isinstance(node, ast.BoolOp) and type(node.op) in _COMBINE:
        return functools.reduce(_COMBINE[type(node.op)], (_evaluate(value, table) for value in node.values))
    if isinstance(node, ast.BinOp) and type(node.op) in _COMBINE:
        return _COMBINE[type(node.op)](_evaluate(node.left, table), _evaluate(node.right, table))
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left, result = _evaluate(node.left, table), None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(right_node, table)
            step = _COMPARE[type(op)](left if isinstance(left, Column) else Column([left] * len(table)), right)
            result, left = step if result is None else result & step, right
        return result
    what = f"no column {node.id!r}" if isinstance(node, ast.Name) else f"cannot evaluate {ast.unparse(node)!r}"
    raise ValueError(f"query: {what} (columns, constants, comparisons, in, and/or/not, & | ~ and + - * / only)")


def _raise(error: Exception) -> Any:
    raise error


def _require_pandas() -> Any:
    return _import_pandas() or _raise(ImportError("to_pandas() needs pandas (pip install pandas)"))


def _note(table: Table) -> str:
    if len(table) > MAX_ROWS:
        return f"… {len(table) - MAX_ROWS:,} more rows ({len(table):,} in all)"
    return "" if len(table) else "(no rows)"


def _text(table: Table) -> str:
    """Aligned plain text, as pandas prints a frame (without its row numbers)."""
    shown = table.head(MAX_ROWS)
    columns = [[name, *cells(values)] for name, values in shown._data.items()]
    widths = [max(map(len, column)) for column in columns]
    lines = ["  ".join(c[i].rjust(w) for c, w in zip(columns, widths, strict=True)) for i in range(len(shown) + 1)]
    return "\n".join([*lines, _note(table)]).rstrip("\n")


def _html(table: Table) -> str:
    """An HTML table: a header cell per column (``scope="col"``), numbers right-aligned, 20 rows at most."""
    shown, columns = table.head(MAX_ROWS), []
    for name, values in shown._data.items():
        present = [v for v in values if not missing(v)]
        numeric = bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)
        tag = ("th", ' scope="row"') if name == table._index else ("td", "")
        columns.append((name, cells(values), ' style="text-align: right"' if numeric else "", tag))
    head = "".join(f'<th scope="col"{align}>{html.escape(name)}</th>' for name, _, align, _ in columns)
    rows = "".join(
        "<tr>" + "".join(f"<{t}{s}{a}>{html.escape(texts[i])}</{t}>" for _, texts, a, (t, s) in columns) + "</tr>"
        for i in range(len(shown))
    )
    note = f"<p>{html.escape(_note(table))}</p>" if _note(table) else ""
    return (
        # A wide table scrolls sideways: the region is focusable and named, so keyboards reach it.
        f'<div style="overflow-x: auto" tabindex="0" role="region" aria-label="table">'
        f'<table class="dataframe lambdalab-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>{note}</div>"
    )
