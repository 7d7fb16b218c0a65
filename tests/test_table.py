"""lambdalab.table: the light table that holds records, metrics and the ledger where pandas is missing."""

from __future__ import annotations

import math
import os
import random
import re

import pytest

import lambdalab as ll
from lambdalab import table
from lambdalab.column import Column
from lambdalab.table import Table

RECORDS = Table(
    {
        "function": ["api", "api", "worker", "api", "worker"],
        "duration": [0.12, 0.5, None, 0.25, 1.5],
        "billed_ms": [120, 500, 0, 250, 1500],
        "cold": [True, False, False, False, True],
    }
)


def test_columns_rows_and_access() -> None:
    assert RECORDS.columns == ("function", "duration", "billed_ms", "cold")
    assert (len(RECORDS), RECORDS.shape, RECORDS.empty) == (5, (5, 4), False)
    assert RECORDS.duration.tolist() == RECORDS["duration"].tolist() == [0.12, 0.5, None, 0.25, 1.5]
    assert list(RECORDS) == list(RECORDS.columns) and "cold" in RECORDS  # column names, as pandas
    assert RECORDS.iloc[1].billed_ms == RECORDS.iloc[1]["billed_ms"] == 500
    assert RECORDS.iloc[-1].function == "worker" and len(RECORDS.iloc[1:3]) == 2
    assert [row.function for row in RECORDS.itertuples()] == RECORDS.function.tolist()
    assert RECORDS.to_dicts()[0] == {"function": "api", "duration": 0.12, "billed_ms": 120, "cold": True}
    assert RECORDS.to_dict("list")["billed_ms"] == [120, 500, 0, 250, 1500]
    assert RECORDS[["billed_ms", "function"]].columns == ("billed_ms", "function")
    assert RECORDS.head(2).billed_ms.tolist() == [120, 500] and RECORDS.tail(1).billed_ms.tolist() == [1500]
    with pytest.raises(AttributeError):
        _ = RECORDS.nope
    with pytest.raises(KeyError):
        RECORDS["nope"]
    with pytest.raises(ValueError, match="different lengths"):
        Table({"a": [1, 2], "b": [1]})


def test_masks_filter_rows() -> None:
    api = RECORDS[RECORDS.function == "api"]
    assert api.billed_ms.tolist() == [120, 500, 250]
    assert RECORDS[(RECORDS.billed_ms > 100) & ~RECORDS.cold].billed_ms.tolist() == [500, 250]
    assert RECORDS[(RECORDS.function != "api") | (RECORDS.duration >= 0.5)].billed_ms.tolist() == [500, 0, 1500]
    assert RECORDS[RECORDS.function.isin(["worker"])].billed_ms.tolist() == [0, 1500]
    assert (RECORDS.duration > 0.2).tolist() == [False, True, False, True, True]  # a missing value is not > 0.2
    assert RECORDS.duration.isna().tolist() == [False, False, True, False, False]
    assert RECORDS.billed_ms[RECORDS.cold].tolist() == [120, 1500]
    assert (RECORDS.billed_ms * 2 / 1000).tolist() == [0.24, 1.0, 0.0, 0.5, 3.0]
    with pytest.raises(ValueError, match="ambiguous"):
        bool(RECORDS.cold)
    with pytest.raises(ValueError, match="a mask of 2 values for 5 rows"):
        RECORDS[[True, False]]


def test_query_understands_a_small_safe_language() -> None:
    assert RECORDS.query("function == 'api' and billed_ms > 200").billed_ms.tolist() == [500, 250]
    assert RECORDS.query("function in ['worker'] or not cold").billed_ms.tolist() == [500, 0, 250, 1500]
    assert RECORDS.query("100 < billed_ms <= 500").billed_ms.tolist() == [120, 500, 250]
    assert RECORDS.query("billed_ms / 1000 > duration * 1.5").billed_ms.tolist() == []
    for refused in ("__import__('os').system('true')", "function.upper() == 'API'", "nope == 1", "billed_ms"):
        with pytest.raises(ValueError, match="query"):
            RECORDS.query(refused)


def test_statistics_skip_missing_values() -> None:
    duration = RECORDS.duration
    assert duration.count() == 4 and duration.sum() == math.fsum([0.12, 0.5, 0.25, 1.5])
    assert duration.mean() == math.fsum([0.12, 0.5, 0.25, 1.5]) / 4
    assert (duration.max(), duration.min()) == (1.5, 0.12)
    assert RECORDS.billed_ms.sum() == 2370 and isinstance(RECORDS.billed_ms.sum(), int)
    assert RECORDS.cold.mean() == 0.4 and RECORDS.cold.any() and not RECORDS.cold.all()
    assert RECORDS.function.nunique() == 2 and RECORDS.function.unique() == ["api", "worker"]
    assert not RECORDS.function.is_unique and RECORDS.billed_ms.is_unique
    assert RECORDS.function.value_counts().items() is not None
    assert list(RECORDS.function.value_counts().items()) == [("api", 3), ("worker", 2)]
    assert Column([1.0, 3.0, 6.0]).diff().dropna().tolist() == [2.0, 3.0]
    assert Column([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).std() == pytest.approx(2.138089935299395)
    empty = Column([])
    assert math.isnan(empty.mean()) and math.isnan(empty.max()) and math.isnan(empty.quantile(0.5))
    assert empty.sum() == 0 and empty.count() == 0


def test_quantile_interpolates_linearly_as_pandas_does() -> None:
    assert Column([1, 2, 3, 4]).quantile(0.25) == 1.75  # position 0.75 between 1 and 2
    assert Column([50, 10, 40, 20, 30]).quantile(0.9) == 46.0  # position 3.6 between 40 and 50
    assert Column([3.0, None, 1.0]).median() == 2.0 and Column([7]).quantile(0.99) == 7.0
    assert RECORDS.billed_ms.quantile(1) == 1500.0 and RECORDS.billed_ms.quantile(0) == 0.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        Column([1]).quantile(99)


def test_quantile_and_mean_match_pandas_on_random_data() -> None:
    pd = pytest.importorskip("pandas")
    rng = random.Random(9)
    for _ in range(300):
        values = [rng.lognormvariate(-2, 1) for _ in range(rng.randint(1, 60))]
        q = rng.choice([0.5, 0.9, 0.95, 0.99, 0.999, rng.random()])
        assert Column(values).quantile(q) == pd.Series(values).quantile(q)
        assert Column(values).mean() == pytest.approx(pd.Series(values).mean(), rel=1e-15)


def test_sort_values_is_stable_with_missing_values_last() -> None:
    assert RECORDS.sort_values("duration").billed_ms.tolist() == [120, 250, 500, 1500, 0]
    assert RECORDS.sort_values("duration", ascending=False).billed_ms.tolist() == [1500, 500, 250, 120, 0]
    assert RECORDS.sort_values(["function", "billed_ms"]).billed_ms.tolist() == [120, 250, 500, 0, 1500]
    assert RECORDS.sort_values("cold").function.tolist() == ["api", "worker", "api", "api", "worker"]


def test_groupby_sorts_its_keys() -> None:
    by = RECORDS.groupby("function")
    assert list(by.size().items()) == [("api", 3), ("worker", 2)]
    assert by.billed_ms.sum().tolist() == [870, 1500] and by.duration.max().tolist() == [0.5, 1.5]
    assert by.duration.first()["worker"] == 1.5  # labelled by key; the first value that is not missing
    assert [(key, len(rows)) for key, rows in by] == [("api", 3), ("worker", 2)]
    both = RECORDS.groupby(["cold", "function"]).billed_ms.agg("count")
    assert list(both.items()) == [
        ((False, "api"), 2),
        ((False, "worker"), 1),
        ((True, "api"), 1),
        ((True, "worker"), 1),
    ]
    assert (RECORDS.groupby("function").size() <= 3).all()


def test_an_index_column_labels_rows() -> None:
    metrics = Table({"period": [0.0, 60.0], "Invocations": [5, 1]}, index="period")
    assert metrics.index.tolist() == [0.0, 60.0] and metrics.loc[60.0].Invocations == 1
    with pytest.raises(KeyError):
        metrics.loc[30.0]
    with pytest.raises(KeyError):
        RECORDS.loc[0]


def test_text_display_is_aligned_and_cut_at_20_rows() -> None:
    assert repr(RECORDS.head(2)) == (
        "function  duration  billed_ms   cold\n"
        "     api      0.12        120   True\n"
        "     api      0.50        500  False"
    )
    assert str(RECORDS.iloc[2:3]).splitlines()[1].split() == ["worker", "None", "0", "False"]
    long = Table({"n": range(25), "x": [n / 3 for n in range(25)]})
    lines = str(long).splitlines()
    assert len(lines) == 1 + 20 + 1 and lines[-1] == "… 5 more rows (25 in all)"
    assert lines[2] == " 1  0.333333"
    assert str(Table({"a": [], "b": []})) == "a  b\n(no rows)"
    assert str(Column([1.5, float("nan")], "x")).splitlines() == ["0    1.5", "1    NaN", "Name: x, Length: 2"]
    assert str(Table({"big": [1e20, 1.0]})).splitlines()[1].strip() == "1.000000e+20"


def test_html_display_is_an_accessible_table() -> None:
    page = Table({"name": ["<b>", "ok"] * 15, "ms": [1.5, 20.25] * 15})._repr_html_()
    assert page.count("<tr>") == 21 and page.count('<th scope="col"') == 2  # the header and 20 rows
    assert '<th scope="col" style="text-align: right">ms</th>' in page and "<caption" not in page
    assert '<td style="text-align: right">20.25</td>' in page and "<td>&lt;b&gt;</td>" in page
    assert "<p>… 10 more rows (30 in all)</p>" in page
    indexed = Table({"period": [0.0], "Invocations": [3]}, index="period")._repr_html_()
    assert '<th scope="row" style="text-align: right">0.0</th>' in indexed
    empty = Table({"event_id": []})._repr_html_()
    assert '<th scope="col">event_id</th>' in empty and "<p>(no rows)</p>" in empty
    assert re.search(r"<table[^>]*>", empty)


def test_equals_and_pandas_round_trip() -> None:
    assert RECORDS.equals(Table(RECORDS.to_dict("list"))) and not RECORDS.equals(RECORDS.head(4))
    assert Table({"a": [None]}).equals(Table({"a": [float("nan")]}))
    pd = pytest.importorskip("pandas")
    frame = RECORDS.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(RECORDS.columns)
    assert frame.billed_ms.tolist() == RECORDS.billed_ms.tolist()


def test_results_are_tables_when_pandas_is_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    def run() -> ll.Lambda:
        aws = ll.Lambda(ll.Simulation(seed=1))
        aws.create_function("f", duration="const:0.1")
        aws.invoke(FunctionName="f")
        aws.invoke(FunctionName="f", InvocationType="Event")
        aws.sim.run()
        return aws

    previous = table.use_pandas(False)
    try:
        aws = run()
        records, metrics, events = aws.requests(), aws.metrics(), aws.events()
        assert isinstance(records, Table) and isinstance(metrics, Table) and isinstance(events, Table)
        assert records.outcome.tolist() == ["success", "success"] and events.place.tolist() == ["processed"]
        assert metrics.columns[0] == "period" and metrics.loc[0.0].Invocations == 2
        assert aws.cost() > 0
    finally:
        table.use_pandas(previous)
    monkeypatch.setenv("LAMBDALAB_NO_PANDAS", "1")
    assert table.pandas() is None and isinstance(run().requests(), Table)
    monkeypatch.setenv("LAMBDALAB_NO_PANDAS", "0")
    assert (table.pandas() is None) == (table._import_pandas() is None)


@pytest.mark.skipif(os.environ.get("LAMBDALAB_HIDE_PANDAS") != "1", reason="only where pandas is hidden")
def test_pandas_and_numpy_are_really_hidden() -> None:
    assert table.pandas() is None
    with pytest.raises(ModuleNotFoundError):
        import numpy  # noqa: F401
