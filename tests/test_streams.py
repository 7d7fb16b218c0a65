"""Kinesis and DynamoDB Streams event source mappings: order, blocking, retries, bisection."""

from __future__ import annotations

import base64
import json

import pytest

import lambdalab as ll
from lambdalab.estimate import stream_concurrency

READER = """
import base64, json
def lambda_handler(event, context):
    for record in event["Records"]:
        body = json.loads(base64.b64decode(record["kinesis"]["data"]))
        print(json.dumps({"key": record["kinesis"]["partitionKey"], "n": body["n"]}))
        if body.get("poison"):
            raise ValueError("bad record " + str(body["n"]))
"""


def setup(shards: int = 1, era: str = "today", **mapping: object) -> tuple[ll.Lambda, ll.streams.Stream]:
    aws = ll.Lambda(ll.Simulation(seed=4), era=era)
    stream = aws.create_stream("clicks", shard_count=shards)
    aws.create_function("reader", ll.Code.from_source(READER), timeout=5)
    aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="reader", **mapping)
    return aws, stream


def processed_order(aws: ll.Lambda) -> list[tuple[str, int]]:
    lines = [e.message for _, e in aws.log_group("reader").events() if e.message.startswith("{")]
    return [(d["key"], d["n"]) for d in map(json.loads, lines)]


def put(stream: ll.streams.Stream, n: int, key: str, poison: bool = False) -> None:
    stream.put_record(json.dumps({"n": n, "poison": poison}).encode(), partition_key=key)


def test_records_keep_their_order_per_shard_and_key() -> None:
    aws, stream = setup(shards=3, BatchSize=7)
    for n in range(200):
        put(stream, n, f"user-{n % 10}")
    aws.sim.run()
    seen = processed_order(aws)
    assert sorted(n for _, n in seen) == list(range(200))
    for key in {k for k, _ in seen}:
        ns = [n for k, n in seen if k == key]
        assert ns == sorted(ns)
    assert aws.ledger.counts()["processed"] == 200


def test_kinesis_event_has_aws_fields() -> None:
    aws = ll.Lambda(ll.Simulation())
    stream = aws.create_stream("clicks")
    seen: list[dict] = []
    aws.create_function("spy", lambda event, context: seen.extend(event["Records"]))
    aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="spy")
    stream.put_record(b"Hello, this is a test.", partition_key="1")
    aws.sim.run()
    record = seen[0]
    assert record["kinesis"]["data"] == "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg=="
    assert base64.b64decode(record["kinesis"]["data"]) == b"Hello, this is a test."
    assert record["eventSource"] == "aws:kinesis" and record["eventSourceARN"] == stream.arn
    assert record["eventID"].startswith("shardId-000000000000:") and record["eventName"] == "aws:kinesis:record"


def test_a_poison_record_blocks_its_shard_until_it_expires() -> None:
    """Default settings (S1.7.4): retried until the record expires, 24 h; meanwhile the iterator age grows."""
    aws, stream = setup(BatchSize=10)
    put(stream, 0, "a", poison=True)
    aws.sim.run(until=5)
    for n in range(1, 5):
        put(stream, n, "a")
    aws.sim.run()
    places = aws.events().sort_values("received")
    assert places.place.tolist() == ["dropped", "processed", "processed", "processed", "processed"]
    assert places.reason.iloc[0] == "RecordExpired"
    assert places.settled.iloc[1] >= 24 * 3600  # the healthy records waited for the poison one to expire
    mapping = aws.mappings[0]
    assert mapping.max_iterator_age_s >= 24 * 3600 - 120


def test_maximum_retry_attempts_and_on_failure_destination() -> None:
    aws = ll.Lambda(ll.Simulation(seed=4))
    failures = aws.create_queue("failures")
    stream = aws.create_stream("clicks")
    aws.create_function("reader", ll.Code.from_source(READER), timeout=5)
    aws.create_event_source_mapping(
        EventSourceArn=stream.arn,
        FunctionName="reader",
        BatchSize=10,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": failures.arn}},
    )
    for n in range(3):
        put(stream, n, "k", poison=n == 1)
    aws.sim.run()
    # Record 0 arrives alone and succeeds; the batch [1, 2] is tried once and retried twice.
    assert aws.requests().outcome.tolist() == ["success", "error", "error", "error"]
    assert aws.ledger.counts()["destination"] == 2 and aws.ledger.counts()["processed"] == 1
    record = json.loads(failures.visible[0].body)
    info = record["KinesisBatchInfo"]
    assert info["batchSize"] == 2 and info["shardId"] == "shardId-000000000000"
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_bisect_isolates_the_bad_record() -> None:
    aws, stream = setup(BatchSize=8, BisectBatchOnFunctionError=True, MaximumRetryAttempts=1)
    for n in range(8):
        put(stream, n, "k", poison=n == 5)
    aws.sim.run()
    events = aws.events().sort_values("received")
    assert events.place.tolist() == ["processed"] * 5 + ["dropped"] + ["processed"] * 2
    assert events.reason.iloc[5] == "RetryAttemptsExhausted"


def test_maximum_record_age() -> None:
    aws, stream = setup(MaximumRecordAgeInSeconds=60)
    put(stream, 0, "k", poison=True)
    aws.sim.run()
    events = aws.events()
    assert events.reason.tolist() == ["RecordAgeExceeded"] and 60 <= events.settled.iloc[0] < 200


def test_parallelization_factor_runs_batches_of_one_shard_concurrently() -> None:
    aws = ll.Lambda(ll.Simulation(seed=2))
    stream = aws.create_stream("s", shard_count=2)
    aws.create_function("slow", duration="const:10", timeout=20)
    aws.create_event_source_mapping(
        EventSourceArn=stream.arn, FunctionName="slow", BatchSize=1, ParallelizationFactor=3
    )
    for n in range(300):
        stream.put_record(b"x", partition_key=f"k{n}")
    aws.sim.run(until=5)
    assert aws.concurrency.total_busy == stream_concurrency(2, 3) == 6


def test_2019_streams_only_retry_until_expiry() -> None:
    aws = ll.Lambda(ll.Simulation(), era="2019")
    stream = aws.create_stream("s")
    aws.create_function("f", duration="const:1")
    with pytest.raises(ll.InvalidParameterValueException, match="November 2019"):
        aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="f", MaximumRetryAttempts=3)


def test_dynamodb_stream_records() -> None:
    aws = ll.Lambda(ll.Simulation())
    stream = aws.create_stream("orders", kind="dynamodb")
    seen: list[dict] = []
    aws.create_function("f", lambda event, context: seen.extend(event["Records"]))
    aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="f")
    stream.put_change("INSERT", {"id": "1"}, new_image={"id": "1", "total": 42})
    aws.sim.run()
    record = seen[0]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert record["dynamodb"]["NewImage"]["total"] == {"N": "42"}
    assert record["dynamodb"]["Keys"] == {"id": {"S": "1"}}


def test_mapping_settings_are_validated() -> None:
    aws = ll.Lambda(ll.Simulation())
    stream = aws.create_stream("s")
    aws.create_function("f", duration="const:1")
    for bad in (
        {"ParallelizationFactor": 11},
        {"BatchSize": 0},
        {"MaximumRetryAttempts": -2},
        {"MaximumRecordAgeInSeconds": 30},
    ):
        with pytest.raises(ll.InvalidParameterValueException):
            aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="f", **bad)
    topic = aws.create_topic("t")
    with pytest.raises(ll.InvalidParameterValueException, match="not a poll-based source"):
        aws.create_event_source_mapping(EventSourceArn=topic.arn, FunctionName="f")
