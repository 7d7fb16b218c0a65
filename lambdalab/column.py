"""One column of a :class:`lambdalab.table.Table`: values, masks, statistics as pandas computes them.

>>> durations = Column([0.1, 0.3, None, 0.25], "duration")
>>> durations.mean(), durations.max(), durations.quantile(0.9), durations.count()
(0.21666666666666667, 0.3, 0.29, 3)
>>> (durations > 0.2).tolist()
[False, True, False, True]
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import statistics
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

MAX_ROWS = 20
"""Rows a display shows before "… N more rows"."""


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _nan(value: Any) -> Any:
    return math.nan if value is None else value


class Positions:
    """``.iloc[...]`` (by position) and ``.loc[...]`` (by label)."""

    def __init__(self, get: Callable[[Any], Any]) -> None:
        self.get = get

    def __getitem__(self, key: Any) -> Any:
        return self.get(key)


class Column:
    """One column's values (``t.duration`` or ``t["duration"]``); a groupby's result is labelled by its keys."""

    __slots__ = ("_labels", "_values", "name")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, values: Iterable[Any], name: str | None = None, labels: Iterable[Any] | None = None) -> None:
        self._values, self.name = tuple(values), name
        self._labels = None if labels is None else tuple(labels)

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __bool__(self) -> bool:
        raise ValueError("the truth value of a column is ambiguous: use .any() or .all()")

    def __getitem__(self, key: Any) -> Any:
        """A mask or slice: a column; else a value by label if labelled (as pandas), by position if not."""
        if isinstance(key, slice):
            return self._pick(range(len(self))[key])
        if isinstance(key, (Column, list)):
            return self._pick(i for i, keep in enumerate(key) if keep)
        return self._values[self._labels.index(key) if self._labels is not None else key]

    def _pick(self, positions: Iterable[int]) -> Column:
        keep = list(positions)
        labels = None if self._labels is None else [self._labels[i] for i in keep]
        return Column([self._values[i] for i in keep], self.name, labels)

    @property
    def iloc(self) -> Positions:
        rows = range(len(self))
        return Positions(lambda key: self._pick(rows[key]) if isinstance(key, slice) else self._values[key])

    @property
    def index(self) -> Column:
        return Column(range(len(self)) if self._labels is None else self._labels)

    @property
    def empty(self) -> bool:
        return not self._values

    def _with(self, values: Iterable[Any]) -> Column:
        return Column(values, self.name, self._labels)

    def _pairs(self, other: Any) -> Iterator[tuple[Any, Any]]:
        others = other._values if isinstance(other, Column) else itertools.repeat(other, len(self))
        return zip(self._values, others, strict=True)

    def _compare(self, op: Callable[[Any, Any], Any], other: Any) -> Column:
        def test(a: Any, b: Any) -> bool:
            try:
                return bool(op(_nan(a), _nan(b)))
            except TypeError:  # a missing value ordered against a string: False, as in pandas
                return False

        return self._with(test(a, b) for a, b in self._pairs(other))

    def _arith(self, op: Callable[[Any, Any], Any], other: Any, swap: bool = False) -> Column:
        return self._with(op(_nan(b), _nan(a)) if swap else op(_nan(a), _nan(b)) for a, b in self._pairs(other))

    __eq__ = functools.partialmethod(_compare, operator.eq)
    __ne__ = functools.partialmethod(_compare, operator.ne)
    __lt__ = functools.partialmethod(_compare, operator.lt)
    __le__ = functools.partialmethod(_compare, operator.le)
    __gt__ = functools.partialmethod(_compare, operator.gt)
    __ge__ = functools.partialmethod(_compare, operator.ge)
    __and__ = functools.partialmethod(_arith, lambda a, b: bool(a) and bool(b))
    __or__ = functools.partialmethod(_arith, lambda a, b: bool(a) or bool(b))
    __add__ = functools.partialmethod(_arith, operator.add)
    __sub__ = functools.partialmethod(_arith, operator.sub)
    __mul__ = functools.partialmethod(_arith, operator.mul)
    __truediv__ = functools.partialmethod(_arith, operator.truediv)
    __floordiv__ = functools.partialmethod(_arith, operator.floordiv)
    __radd__ = functools.partialmethod(_arith, operator.add, swap=True)
    __rsub__ = functools.partialmethod(_arith, operator.sub, swap=True)
    __rmul__ = functools.partialmethod(_arith, operator.mul, swap=True)
    __rtruediv__ = functools.partialmethod(_arith, operator.truediv, swap=True)

    def __invert__(self) -> Column:
        return self._with(not v if isinstance(v, bool) else ~v for v in self._values)

    def map(self, function: Callable[[Any], Any] | Mapping[Any, Any]) -> Column:
        """Each value through a function, or looked up in a mapping (None if absent)."""
        return self._with(map(function.get if isinstance(function, Mapping) else function, self._values))

    def isin(self, values: Iterable[Any]) -> Column:
        allowed = list(values)
        return self._with(v in allowed for v in self._values)

    def isna(self) -> Column:
        return self._with(map(missing, self._values))

    def dropna(self) -> Column:
        return self._pick(i for i, value in enumerate(self._values) if not missing(value))

    def diff(self) -> Column:
        """Each value minus the one before (the first: NaN)."""
        values = [_nan(v) for v in self._values]
        return self._with([math.nan, *(b - a for a, b in itertools.pairwise(values))][: len(values)])

    def tolist(self) -> list[Any]:
        return list(self._values)

    def items(self) -> Iterator[tuple[Any, Any]]:
        return zip(self.index, self._values, strict=True)

    def _present(self) -> list[Any]:
        return [v for v in self._values if not missing(v)]

    def count(self) -> int:
        return len(self._present())

    def sum(self) -> Any:
        """Missing values skipped; ints added exactly, floats exactly rounded (``math.fsum``: pandas' sum may
        differ from it in the last bit)."""
        values = self._present()
        return sum(values) if all(isinstance(v, int) for v in values) else math.fsum(values)

    def mean(self) -> float:
        count = self.count()
        return float(self.sum()) / count if count else math.nan

    def max(self) -> Any:
        return max(self._present(), default=math.nan)

    def min(self) -> Any:
        return min(self._present(), default=math.nan)

    def std(self) -> float:
        """The sample standard deviation (pandas' ``ddof=1``)."""
        return statistics.stdev(self._present()) if self.count() > 1 else math.nan

    def quantile(self, q: float = 0.5) -> float:
        """pandas' (numpy's) default linear interpolation, to the last bit."""
        if not 0 <= q <= 1:
            raise ValueError(f"q must be between 0 and 1, not {q!r}")
        values = sorted(self._present())
        at = (len(values) - 1) * q
        if not values or at >= len(values) - 1:
            return float(values[-1]) if values else math.nan
        low = math.floor(at)
        a, b, t = values[low], values[low + 1], at - low
        return float(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)

    def median(self) -> float:
        return self.quantile(0.5)

    def all(self) -> bool:
        return all(self._values)

    def any(self) -> bool:
        return any(self._values)

    def unique(self) -> list[Any]:
        return list(dict.fromkeys(self._values))

    def nunique(self) -> int:
        return len(set(self._present()))

    @property
    def is_unique(self) -> bool:
        return len(set(self._values)) == len(self)

    def value_counts(self) -> Column:
        """How often each value occurs, most frequent first."""
        counts: dict[Any, int] = {}
        for value in self._present():
            counts[value] = counts.get(value, 0) + 1
        ordered = sorted(counts, key=lambda value: -counts[value])
        return Column([counts[value] for value in ordered], "count", ordered)

    def to_pandas(self) -> Any:
        """The Series pandas would have given (needs pandas)."""
        import pandas

        return pandas.Series(list(self._values), index=self._labels, name=self.name)

    def __repr__(self) -> str:
        """As pandas prints a Series: labels, then values right-aligned; 20 at most."""
        labels, values = cells(self.index._values[:MAX_ROWS]), cells(self._values[:MAX_ROWS])
        label_width, width = max(map(len, labels), default=0), max(map(len, values), default=0)
        lines = [
            f"{label.ljust(label_width)}    {value.rjust(width)}" for label, value in zip(labels, values, strict=True)
        ]
        if len(self) > MAX_ROWS:
            lines.append(f"… {len(self) - MAX_ROWS:,} more ({len(self):,} in all)")
        return "\n".join([*lines, f"Name: {self.name}, Length: {len(self)}"])


def cells(values: Iterable[Any]) -> list[str]:
    """Display strings: floats with the column's decimals (at most 6), long strings cut."""
    values = list(values)
    floats = [v for v in values if isinstance(v, float) and math.isfinite(v)]
    scientific = any(v and not 1e-4 <= abs(v) < 1e15 for v in floats)
    decimals = max([1, *(len(f"{v:.6f}".rstrip("0").partition(".")[2]) for v in floats)])

    def cell(value: Any) -> str:
        if isinstance(value, float) and math.isfinite(value):
            return f"{value:.6e}" if scientific else f"{value:.{decimals}f}"
        text = "NaN" if missing(value) and value is not None else str(value)
        return text if len(text) <= 50 else text[:49] + "…"

    return [cell(value) for value in values]
