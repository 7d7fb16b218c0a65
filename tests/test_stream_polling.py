"""How a stream mapping reads its shards: a poll per period (1 s for Kinesis, 0.25 s for DynamoDB Streams),
at once again after a batch, and where it starts (StartingPosition).

https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html ("Lambda polls each shard in your Kinesis
stream for records at a base rate of once per second. When more records are available, Lambda keeps
processing batches until the function catches up with the stream") and
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html ("at a base rate of 4 times per second").
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import lambdalab as ll


def stream_lab(
    kind: str = "kinesis", shards: int = 1, duration: str = "const:0.1", seed: int = 1, **mapping: Any
) -> tuple[ll.Lambda, ll.streams.Stream, list[int]]:
    aws = ll.Lambda(ll.Simulation(seed=seed))
    stream = aws.create_stream("s", shard_count=shards, kind=kind)
    sizes: list[int] = []
    aws.create_function("f", duration=duration, timeout=30)
    mapping.setdefault("StartingPosition", "LATEST")
    aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="f", **mapping)
    aws.sim.run(until=0)  # the mapping's first read, at its creation
    return aws, stream, sizes


def put_at(aws: ll.Lambda, stream: ll.streams.Stream, t: float, key: str = "k") -> None:
    if stream.kind == "kinesis":
        aws.sim.at(t, lambda: stream.put_record(b"x", partition_key=key))
    else:
        aws.sim.at(t, lambda: stream.put_change("INSERT", {"id": key}, new_image={"id": key}))


def batches(aws: ll.Lambda) -> list[tuple[float, int]]:
    """(arrival, records) of each invocation: the ledger says which records each request carried."""
    runs = aws.requests()
    ledger = aws.events()
    settled = ledger.settled.tolist()
    return [
        (round(a, 6), sum(1 for s in settled if abs(s - e) < 1e-9)) for a, e in zip(runs.arrival, runs.end, strict=True)
    ]


@pytest.mark.parametrize(("kind", "period"), [("kinesis", 1.0), ("dynamodb", 0.25)])
def test_records_put_between_two_polls_arrive_in_one_batch(kind: str, period: float) -> None:
    aws, stream, _ = stream_lab(kind)
    for t in (0.05, 0.1, 0.2):
        put_at(aws, stream, t, key=f"k{t}" if kind == "dynamodb" else "k")
    aws.sim.run()
    assert batches(aws) == [(period, 3)]


@pytest.mark.parametrize(("kind", "expected"), [("kinesis", 4.0), ("dynamodb", 3.5)])
def test_an_idle_shard_is_read_at_its_next_poll_tick(kind: str, expected: float) -> None:
    aws, stream, _ = stream_lab(kind)
    put_at(aws, stream, 3.3)
    aws.sim.run()
    assert batches(aws) == [(expected, 1)]


def test_after_a_batch_the_shard_is_read_at_once_while_records_wait() -> None:
    """Catching up: no poll period between batches while the shard has records."""
    aws, stream, _ = stream_lab(BatchSize=2, duration="const:0.3")
    for _ in range(5):
        put_at(aws, stream, 0.5)
    aws.sim.run()
    runs = aws.requests()
    assert [n for _, n in batches(aws)] == [2, 2, 1]
    assert runs.arrival.iloc[0] == 1.0
    for previous_end, arrival in zip(runs.end.iloc[:-1], runs.arrival.iloc[1:], strict=True):
        assert arrival == pytest.approx(previous_end)


def test_after_catching_up_the_poll_period_starts_again_from_the_last_read() -> None:
    aws, stream, _ = stream_lab(duration="const:0.3")
    put_at(aws, stream, 0.5)  # read at 1 s; the batch ends at about 1.47 s (a cold start), then a read finds nothing
    put_at(aws, stream, 1.5)  # so these two wait for the tick one period after that read
    put_at(aws, stream, 1.9)
    aws.sim.run()
    runs = aws.requests()
    assert [n for _, n in batches(aws)] == [1, 2]
    assert 1.3 < runs.end.iloc[0] < 1.5
    assert runs.arrival.iloc[1] == pytest.approx(runs.end.iloc[0] + 1.0)


def test_a_busy_lane_reads_right_after_its_batch() -> None:
    aws, stream, _ = stream_lab(duration="const:2")
    put_at(aws, stream, 0.5)
    put_at(aws, stream, 1.5)
    aws.sim.run()
    runs = aws.requests()
    assert [n for _, n in batches(aws)] == [1, 1]
    assert runs.arrival.iloc[1] == pytest.approx(runs.end.iloc[0])  # read at once, not at the next tick


def test_each_parallelization_lane_polls() -> None:
    aws, stream, _ = stream_lab(BatchSize=10, ParallelizationFactor=2, duration="const:5")
    keys = [f"user-{n}" for n in range(20)]
    for key in keys:
        put_at(aws, stream, 0.3, key=key)
    aws.sim.run(until=1.5)
    assert aws.concurrency.total_busy == 2  # both lanes of the one shard read at 1 s
    aws.sim.run()
    assert aws.ledger.counts()["processed"] == 20


@pytest.mark.parametrize("kind", ["kinesis", "dynamodb"])
def test_the_simulation_ends_when_there_is_no_work(kind: str) -> None:
    """Poll ticks are computed when a record arrives, never kept as a timer: run() without until ends."""
    aws, stream, _ = stream_lab(kind, shards=3, ParallelizationFactor=2, MaximumBatchingWindowInSeconds=2)
    assert aws.sim.pending == 0
    aws.sim.run()  # nothing put: nothing to do
    for t in (0.1, 7.7, 30.0):
        put_at(aws, stream, t, key=f"k{t}")
    aws.sim.run()
    assert aws.sim.pending == 0 and aws.ledger.counts()["processed"] == 3
    assert max(aws.requests().end) < 40  # then only the idle environments' reaping, no poll ticks


def test_polling_is_deterministic() -> None:
    def run() -> list[tuple[float, int]]:
        aws, stream, _ = stream_lab(shards=2, duration="exp:0.4", seed=9, BatchSize=3)
        for n in range(40):
            put_at(aws, stream, n * 0.37, key=f"user-{n % 5}")
        aws.sim.run()
        return batches(aws)

    assert run() == run()


# -- StartingPosition ---------------------------------------------------------------------------------------


def mapping_error(kind: str = "kinesis", **settings: Any) -> Exception:
    aws = ll.Lambda(ll.Simulation(seed=1))
    stream = aws.create_stream("s", kind=kind)
    aws.create_function("f", duration="const:0.1")
    with pytest.raises(Exception) as caught:
        aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="f", **settings)
    return caught.value


@pytest.mark.parametrize("kind", ["kinesis", "dynamodb"])
def test_starting_position_is_required_for_a_stream(kind: str) -> None:
    """AWS's answer, as LocalStack's snapshot tests recorded it against AWS (test_create_event_source_validation)."""
    error = mapping_error(kind, BatchSize=10)
    assert isinstance(error, ll.InvalidParameterValueException)
    assert error.message == (
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
        "Member must not be null."
    )
    assert error.hint is not None and "LATEST" in error.hint


def test_an_unknown_starting_position_is_a_validation_exception() -> None:
    error = mapping_error(StartingPosition="invalid")
    assert isinstance(error, ll.ValidationException)
    assert error.message == (
        "1 validation error detected: Value 'invalid' at 'startingPosition' failed to satisfy constraint: "
        "Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]"
    )
    assert isinstance(mapping_error(StartingPosition=1), ll.ParamValidationError)


def test_dynamodb_streams_refuse_at_timestamp() -> None:
    aws = ll.Lambda(ll.Simulation(seed=1))
    table = aws.create_stream("orders", kind="dynamodb")
    aws.create_function("f", duration="const:0.1")
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        aws.create_event_source_mapping(
            EventSourceArn=table.arn,
            FunctionName="f",
            StartingPosition="AT_TIMESTAMP",
            StartingPositionTimestamp=aws.sim.epoch,
        )
    assert caught.value.message == f"Unsupported starting position for arn type: {table.arn}"
    assert not aws.mappings


def test_at_timestamp_needs_a_timestamp_of_a_known_type_not_in_the_future() -> None:
    error = mapping_error(StartingPosition="AT_TIMESTAMP")
    assert isinstance(error, ll.InvalidParameterValueException) and error.message == "Need to specify a timestamp"
    error = mapping_error(StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=[2026])
    assert isinstance(error, ll.ParamValidationError)
    assert str(error) == (
        "Parameter validation failed:\nInvalid type for parameter StartingPositionTimestamp, value: [2026], "
        "type: <class 'list'>, valid types: <class 'datetime.datetime'>, timestamp-string"
    )
    for bad in (float("nan"), "yesterday", True):
        assert isinstance(mapping_error(StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=bad), ValueError)
    future = datetime(2027, 1, 1, tzinfo=timezone.utc)
    error = mapping_error(StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=future)
    assert isinstance(error, ll.InvalidParameterValueException) and "cannot be in the future" in error.message


def test_starting_positions_read_what_they_say() -> None:
    """LATEST: records put from now on; TRIM_HORIZON: every record kept; AT_TIMESTAMP: the records put at or
    after the timestamp (a datetime, Unix seconds or an ISO string, as boto3 takes it)."""
    aws = ll.Lambda(ll.Simulation(seed=1))
    stream = aws.create_stream("s")
    for t in (0, 100, 200, 300):
        aws.sim.at(t, lambda: stream.put_record(b"old", partition_key="k"))
    aws.sim.run(until=400)
    epoch = aws.sim.epoch
    positions: dict[str, dict[str, Any]] = {
        "latest": {"StartingPosition": "LATEST"},
        "horizon": {"StartingPosition": "TRIM_HORIZON"},
        "at-dt": {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": epoch + timedelta(seconds=150)},
        "at-unix": {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": epoch.timestamp() + 200},
        "at-iso": {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": "2026-01-01T00:05:00Z"},
        "at-naive": {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": datetime(2025, 1, 1)},
    }
    for name, settings in positions.items():
        aws.create_function(name, duration="const:0.1")
        mapping = aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName=name, **settings)
        assert mapping["StartingPosition"] == settings["StartingPosition"]
        if name.startswith("at-"):
            assert isinstance(mapping["StartingPositionTimestamp"], datetime)
    stream.put_record(b"new", partition_key="k")
    aws.sim.run()
    read = aws.events().function.tolist()
    counts = {name: read.count(name) for name in positions}
    assert counts == {"latest": 1, "horizon": 5, "at-dt": 3, "at-unix": 3, "at-iso": 2, "at-naive": 5}
    assert set(aws.events().place) == {"processed"}


def test_sqs_takes_no_starting_position_timestamp() -> None:
    aws = ll.Lambda(ll.Simulation(seed=1))
    queue = aws.create_queue("q")
    aws.create_function("f", duration="const:0.1")
    with pytest.raises(ll.InvalidParameterValueException, match="Unsupported StartingPositionTimestamp parameter"):
        aws.create_event_source_mapping(
            EventSourceArn=queue.arn, FunctionName="f", StartingPositionTimestamp=aws.sim.epoch
        )
