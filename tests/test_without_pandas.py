"""lambdalab without pandas (issue 9): in the reader's browser (Pyodide) there is no pandas or numpy, and records,
metrics and the ledger come back as a :class:`lambdalab.table.Table`. Same numbers either way."""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lambdalab as ll
from lambdalab import table
from lambdalab.pricing import PROVISIONED_BILLING_S, Architecture, price_sheet, usage_cost
from lambdalab.table import Table

TESTS = Path(__file__).resolve().parent

RECORD_TESTS = [
    "test_table.py",
    "test_service.py",
    "test_versions.py",
    "test_async.py",
    "test_sqs.py",
    "test_streams.py",
    "test_accounting.py",
    "test_coldstart.py",
    "test_events.py",
    "test_concurrency.py",
    "test_code.py",
    "test_bad_input.py",
    "test_properties.py",
    "test_fuzz.py",
    "test_kernel.py",
    "test_analytic.py",
    "test_pricing.py",
    "test_docs.py",
]
"""The unit tests that read records, metrics, the ledger or the bill, and every docstring example."""


@pytest.fixture
def frames() -> Iterator[None]:
    pytest.importorskip("pandas")
    yield
    table.use_pandas(None)


def scenario(with_pandas: bool) -> tuple[Any, Any, Any, float]:
    """Synchronous and asynchronous traffic, an SQS mapping with a DLQ, and a provisioned alias with a canary."""
    table.use_pandas(with_pandas)
    aws = ll.Lambda(ll.Simulation(seed=11))
    aws.create_function("api", duration="lognormal:0.08,0.6", error_rate=0.05, memory_size=512, timeout=1)
    aws.publish_version(FunctionName="api")
    aws.update_function_configuration(FunctionName="api", MemorySize=1024)
    aws.publish_version(FunctionName="api")
    routing = {"AdditionalVersionWeights": {"2": 0.2}}
    aws.create_alias(FunctionName="api", Name="live", FunctionVersion="1", RoutingConfig=routing)
    aws.put_provisioned_concurrency_config(FunctionName="api", Qualifier="live", ProvisionedConcurrentExecutions=2)
    aws.create_function("hook", duration="exp:0.3", error_rate=0.4, architecture="arm64", reserved_concurrency=1)
    aws.create_function("worker", duration="exp:0.5", error_rate=0.3, timeout=2, memory_size=256)
    dlq = aws.create_queue("dlq")
    queue = aws.create_queue("jobs", visibility_timeout=10, dead_letter_queue=dlq, max_receive_count=2)
    aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="worker", BatchSize=4)
    aws.sim.run(until=30)  # the provisioned environments are ready
    arrivals = random.Random(5)
    at = 30.0
    while (at := at + arrivals.expovariate(8.0)) < 330.0:
        aws.sim.at(at, lambda: aws.submit("api:live"))  # the alias: ll.poisson runs an unqualified name's $LATEST
    ll.poisson(aws, "api", 0.5, 330.0)
    ll.poisson(aws, "hook", 2.0, 330.0, invocation_type="Event")
    for n in range(120):
        aws.sim.at(30.0 + 2.5 * n, lambda n=n: queue.send_message(f'{{"n": {n}}}'))
    aws.invoke(FunctionName="api", InvocationType="DryRun")
    aws.sim.run(until=400)
    assert aws.cost() == cost_with_pandas(aws) if with_pandas else True
    return aws.requests(), aws.metrics(period=60), aws.events(), aws.cost()


def cost_with_pandas(aws: ll.Lambda) -> float:
    """``Lambda.cost`` as it was written with pandas' groupby, before it did without (issue 9)."""
    prices = price_sheet(aws.era)
    total = 0.0
    for start, end, count, memory_mb, arch in aws.provisioned_spans:
        span = (aws.sim.now if end is None else end) - start
        billed_s = math.ceil(span / PROVISIONED_BILLING_S - 1e-9) * PROVISIONED_BILLING_S
        total += count * memory_mb / 1024 * billed_s * prices.provisioned[arch].usd_per_gb_second
    frame = aws.requests()
    frame = frame[frame.billed_ms > 0]
    for (name, provisioned), rows in frame.groupby(["function", "provisioned"]):
        arch = Architecture(aws.functions[str(name)].config.architecture)
        gb_seconds = float((rows.billed_ms * rows.memory_mb).sum()) / 1_024_000
        if provisioned:
            rate = prices.provisioned[arch].usd_per_gb_second_duration
            total += len(rows) * prices.usd_per_request + gb_seconds * rate
        else:
            total += usage_cost(len(rows), gb_seconds, arch, aws.era)
    return total


def same(a: Any, b: Any) -> bool:
    missing = (
        a is None or (isinstance(a, float) and math.isnan(a)),
        b is None or (isinstance(b, float) and math.isnan(b)),
    )
    return all(missing) or (a == b and type(a) is type(b))


def test_records_metrics_ledger_and_bill_are_the_same_without_pandas(frames: None) -> None:
    records, metrics, events, cost = scenario(with_pandas=True)
    light_records, light_metrics, light_events, light_cost = scenario(with_pandas=False)
    assert isinstance(light_records, Table) and not isinstance(records, Table)
    assert light_cost == cost  # exactly: the same sums in the same order
    assert len(records) > 2000 and set(records.outcome) >= {"success", "error", "throttled", "dry_run"}
    assert records.provisioned.any() and set(records.version) == {"$LATEST", "1", "2"}
    assert set(events.place) >= {"processed", "dead_lettered", "dropped"}
    metrics = metrics.reset_index()  # the DataFrame's index is the table's first column
    for frame, light in ((records, light_records), (metrics, light_metrics), (events, light_events)):
        assert list(frame.columns) == list(light.columns)
        for name in frame.columns:
            values, light_values = frame[name].tolist(), light[name].tolist()
            assert len(values) == len(light_values)
            assert all(same(a, b) for a, b in zip(values, light_values, strict=True)), name
    assert light_metrics.loc[60.0].Invocations == metrics.set_index("period").loc[60.0].Invocations
    assert light_records.duration.quantile(0.99) == records.duration.quantile(0.99)
    assert light_records.to_pandas().equals(records)
    assert light_metrics.to_pandas().equals(metrics.set_index("period"))


def test_the_unit_tests_pass_with_pandas_and_numpy_hidden() -> None:
    """The package's tests of records, metrics, the ledger and the bill, in a fresh interpreter where ``import
    pandas`` and ``import numpy`` fail (``LAMBDALAB_HIDE_PANDAS=1``: see conftest.py)."""
    environment = {**os.environ, "LAMBDALAB_HIDE_PANDAS": "1"}
    environment.pop("LAMBDALAB_NO_PANDAS", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:nbval", "-o", "addopts="]
    done = subprocess.run(
        [*command, "-x", *RECORD_TESTS], cwd=TESTS, env=environment, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " failed" not in done.stdout
