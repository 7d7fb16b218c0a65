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
    mapping.setdefault("StartingPosition", "LATEST")
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
    aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="spy", StartingPosition="LATEST")
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
        StartingPosition="LATEST",
        BatchSize=10,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": failures.arn}},
    )
    put(stream, 0, "k")
    aws.sim.run(until=5)
    for n in (1, 2):
        put(stream, n, "k", poison=n == 1)
    aws.sim.run()
    # Record 0 is read alone and succeeds; the batch [1, 2] is tried once and retried twice.
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
        EventSourceArn=stream.arn, FunctionName="slow", StartingPosition="LATEST", BatchSize=1, ParallelizationFactor=3
    )
    for n in range(300):
        stream.put_record(b"x", partition_key=f"k{n}")
    aws.sim.run(until=5)
    assert aws.concurrency.total_busy == stream_concurrency(2, 3) == 6


SDK_2019 = (
    "EventSourceArn, FunctionName, Enabled, BatchSize, MaximumBatchingWindowInSeconds, StartingPosition, "
    "StartingPositionTimestamp"
)


def test_2019_streams_only_retry_until_expiry() -> None:
    """The stream error-handling settings came on 25 November 2019 (botocore 1.13.26): the SDK of 2019 refused
    them client-side, before sending anything, with botocore's ParamValidationError."""
    aws = ll.Lambda(ll.Simulation(), era="2019")
    stream = aws.create_stream("s")
    aws.create_function("f", duration="const:1")
    with pytest.raises(ll.ParamValidationError) as caught:
        aws.create_event_source_mapping(
            EventSourceArn=stream.arn, FunctionName="f", StartingPosition="LATEST", MaximumRetryAttempts=3
        )
    assert str(caught.value) == (
        f'Parameter validation failed:\nUnknown parameter in input: "MaximumRetryAttempts", must be one of: {SDK_2019}'
    )
    assert caught.value.hint is not None and "25 November 2019" in caught.value.hint
    assert not aws.mappings


def test_2019_sdk_lists_every_unknown_parameter_on_its_own_line() -> None:
    """botocore reports every problem, one line each (``ValidationErrors.generate_report``)."""
    aws = ll.Lambda(ll.Simulation(), era="2019")
    stream = aws.create_stream("s")
    aws.create_function("f", duration="const:1")
    with pytest.raises(ll.ParamValidationError) as caught:
        aws.create_event_source_mapping(
            EventSourceArn=stream.arn,
            FunctionName="f",
            StartingPosition="LATEST",
            ParallelizationFactor=2,
            TumblingWindowInSeconds=60,
        )
    lines = str(caught.value).splitlines()
    assert lines[0] == "Parameter validation failed:"
    assert [line.split('"')[1] for line in lines[1:]] == ["ParallelizationFactor", "TumblingWindowInSeconds"]
    assert "December 2020" in (caught.value.hint or "")


def test_today_sdk_refuses_a_misspelt_parameter() -> None:
    aws = ll.Lambda(ll.Simulation())
    stream = aws.create_stream("s")
    aws.create_function("f", duration="const:1")
    with pytest.raises(ll.ParamValidationError, match='Unknown parameter in input: "BatchSzie", must be one of: '):
        aws.create_event_source_mapping(
            EventSourceArn=stream.arn, FunctionName="f", StartingPosition="LATEST", BatchSzie=10
        )
    with pytest.raises(ll.InvalidParameterValueException, match="Unsupported TumblingWindowInSeconds"):
        aws.create_event_source_mapping(
            EventSourceArn=aws.create_queue("q").arn, FunctionName="f", TumblingWindowInSeconds=5
        )


def test_dynamodb_stream_records() -> None:
    aws = ll.Lambda(ll.Simulation())
    stream = aws.create_stream("orders", kind="dynamodb")
    seen: list[dict] = []
    aws.create_function("f", lambda event, context: seen.extend(event["Records"]))
    aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="f", StartingPosition="LATEST")
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
        with pytest.raises(ll.InvalidParameterValueException, match=next(iter(bad))):
            aws.create_event_source_mapping(
                EventSourceArn=stream.arn, FunctionName="f", StartingPosition="LATEST", **bad
            )
    topic = aws.create_topic("t")
    with pytest.raises(ll.InvalidParameterValueException, match="not a poll-based source"):
        aws.create_event_source_mapping(EventSourceArn=topic.arn, FunctionName="f")


# -- partial batch responses (ReportBatchItemFailures) ---------------------------------------------------

PARTIAL = """
import base64, json
FAILED = set()
def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(base64.b64decode(record["kinesis"]["data"]))
        print(json.dumps({"key": record["kinesis"]["partitionKey"], "n": body["n"]}))
        if body.get("poison") and body["n"] not in FAILED:  # fails once
            FAILED.add(body["n"])
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
    return {"batchItemFailures": failures}
"""


def partial_setup(source: str = PARTIAL, **mapping: object) -> tuple[ll.Lambda, ll.streams.Stream]:
    aws = ll.Lambda(ll.Simulation(seed=4))
    stream = aws.create_stream("clicks")
    aws.create_function("reader", ll.Code.from_source(source), timeout=5)
    aws.create_event_source_mapping(
        EventSourceArn=stream.arn,
        FunctionName="reader",
        StartingPosition="LATEST",
        FunctionResponseTypes=["ReportBatchItemFailures"],
        Enabled=False,  # records gather, then one batch
        **mapping,
    )
    return aws, stream


def run_enabled(aws: ll.Lambda) -> None:
    aws.update_event_source_mapping(UUID=aws.mappings[0].uuid, Enabled=True)
    aws.sim.run()


def test_partial_batch_response_checkpoints_at_the_lowest_failed_sequence_number() -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html: with several
    batchItemFailures, Lambda checkpoints at the lowest sequence number and retries from it."""
    aws, stream = partial_setup()
    for n in range(8):
        put(stream, n, "k", poison=n in (5, 3))
    run_enabled(aws)
    assert [n for _, n in processed_order(aws)] == [0, 1, 2, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7]
    assert aws.requests().outcome.tolist() == ["success", "success"]
    assert aws.events().place.tolist() == ["processed"] * 8


def test_partial_failures_count_as_retries_and_end_at_the_on_failure_destination() -> None:
    source = PARTIAL.replace('and body["n"] not in FAILED', "")  # fails every time
    aws = ll.Lambda(ll.Simulation(seed=4))
    failures = aws.create_queue("failures")
    stream = aws.create_stream("clicks")
    aws.create_function("reader", ll.Code.from_source(source), timeout=5)
    aws.create_event_source_mapping(
        EventSourceArn=stream.arn,
        FunctionName="reader",
        StartingPosition="LATEST",
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=1,
        BisectBatchOnFunctionError=True,  # a reported failure splits the batch at that record, no further
        DestinationConfig={"OnFailure": {"Destination": failures.arn}},
        Enabled=False,
    )
    for n in range(6):
        put(stream, n, "k", poison=n == 2)
    run_enabled(aws)
    assert [n for _, n in processed_order(aws)] == [0, 1, 2, 3, 4, 5, 2, 3, 4, 5]
    events = aws.events().sort_values("received")
    assert events.place.tolist() == ["processed"] * 2 + ["destination"] * 4
    info = json.loads(failures.visible[0].body)["KinesisBatchInfo"]
    assert info["batchSize"] == 4 and info["startSequenceNumber"] == events.event_id.iloc[2].split(":")[1]


@pytest.mark.parametrize(
    ("response", "invocations"),
    [
        ('{"batchItemFailures": []}', 1),
        ('{"batchItemFailures": None}', 1),
        ("{}", 1),
        ("None", 1),
        ('{"batchItemFailures": [{"itemIdentifier": ""}]}', 2),
        ('{"batchItemFailures": [{"itemIdentifier": None}]}', 2),
        ('{"batchItemFailures": [{"sequenceNumber": "1"}]}', 2),
        ('{"batchItemFailures": [{"itemIdentifier": "42"}]}', 2),
    ],
)
def test_partial_batch_response_success_and_failure_conditions(response: str, invocations: int) -> None:
    """Success: an empty or null list, an empty or null response. Complete failure: an empty or null
    itemIdentifier, a bad key name, an identifier not in the batch: the whole batch is retried
    (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html)."""
    source = f"""
SEEN = []
def lambda_handler(event, context):
    SEEN.append(len(event["Records"]))
    print("batch of", len(event["Records"]))
    return {response} if len(SEEN) == 1 else None
"""
    aws, stream = partial_setup(source)
    for n in range(3):
        put(stream, n, "k")
    run_enabled(aws)
    batches = [e.message for _, e in aws.log_group("reader").events() if e.message.startswith("batch")]
    assert batches == ["batch of 3"] * invocations  # a retry holds the whole batch again
    assert aws.events().place.tolist() == ["processed"] * 3


def test_dynamodb_partial_batch_response_uses_the_stream_sequence_number() -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html: itemIdentifier is
    ``dynamodb.SequenceNumber``."""
    aws = ll.Lambda(ll.Simulation(seed=4))
    table = aws.create_stream("orders", kind="dynamodb")
    seen: list[str] = []

    def handler(event: dict, context: object) -> dict:
        records = event["Records"]
        seen.extend(r["dynamodb"]["Keys"]["id"]["S"] for r in records)
        failed = [r for r in records if r["dynamodb"]["Keys"]["id"]["S"] == "1"][: 1 if len(seen) <= 3 else 0]
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failed]}

    aws.create_function("audit", handler)
    mapping = aws.create_event_source_mapping(
        EventSourceArn=table.arn,
        FunctionName="audit",
        StartingPosition="LATEST",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    mapping.set_enabled(False)
    for key in "012":
        table.put_change("INSERT", {"id": key}, new_image={"id": key})
    mapping.set_enabled(True)
    aws.sim.run()
    assert seen == ["0", "1", "2", "1", "2"]


def test_2019_streams_have_no_partial_batch_response() -> None:
    """FunctionResponseTypes came in December 2020 (botocore 1.19.36; custom checkpoints for Kinesis and DynamoDB
    Streams): the SDK of 2019 did not know the parameter."""
    aws = ll.Lambda(ll.Simulation(), era="2019")
    stream = aws.create_stream("s")
    aws.create_function("f", duration="const:1")
    with pytest.raises(ll.ParamValidationError, match='Unknown parameter in input: "FunctionResponseTypes"') as caught:
        aws.create_event_source_mapping(
            EventSourceArn=stream.arn,
            FunctionName="f",
            StartingPosition="LATEST",
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
    assert caught.value.hint is not None and "December 2020" in caught.value.hint


# -- batching window, starting position, Enabled ---------------------------------------------------------


def test_batching_window_gathers_records_until_full_or_the_window_passes() -> None:
    """MaximumBatchingWindowInSeconds (0-300 s; Kinesis and DynamoDB since September 2019,
    https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#services-kinesis-batchwindow)."""
    aws = ll.Lambda(ll.Simulation(seed=1), era="2019")
    stream = aws.create_stream("s")
    sizes: list[int] = []
    aws.create_function("f", lambda event, context: sizes.append(len(event["Records"])), runtime="python3.7")
    aws.create_event_source_mapping(
        EventSourceArn=stream.arn,
        FunctionName="f",
        StartingPosition="LATEST",
        BatchSize=4,
        MaximumBatchingWindowInSeconds=5,
    )
    for t in (0, 1, 2):
        aws.sim.at(t, lambda: stream.put_record(b"x", partition_key="k"))
    aws.sim.at(10, lambda: [stream.put_record(b"x", partition_key="k") for _ in range(4)])
    aws.sim.run()
    assert sizes == [3, 4]
    runs = aws.requests()
    # The read at 0 s found nothing (the mapping reads at its creation, before the first put); the read at 1 s
    # found two records and opened the 5 s window: three records at 6 s. The read right after that batch
    # found nothing, so the shard was read every second from then on: the first read after 10 s finds 4.
    assert round(runs.arrival.iloc[0], 6) == 6.0
    after = runs.end.iloc[0]
    assert round(runs.arrival.iloc[1], 6) == round(after + 4, 6) and 10 < after + 4 < 11


def test_trim_horizon_reads_the_records_the_stream_keeps() -> None:
    """StartingPosition TRIM_HORIZON starts at the oldest record kept; LATEST at records put from now on
    (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html)."""
    aws = ll.Lambda(ll.Simulation(seed=1))
    stream = aws.create_stream("s")
    for n in range(3):
        stream.put_record(str(n).encode(), partition_key="k")
    aws.sim.run(until=10)
    for name, position in (("old", "TRIM_HORIZON"), ("new", "LATEST")):
        aws.create_function(name, lambda event, context: None)
        mapping = aws.create_event_source_mapping(
            EventSourceArn=stream.arn, FunctionName=name, StartingPosition=position
        )
        assert mapping["StartingPosition"] == position
    stream.put_record(b"3", partition_key="k")
    aws.sim.run()
    events = aws.events()
    assert (events.function == "old").sum() == 4 and (events.function == "new").sum() == 1
    assert (events.place == "processed").all()


def test_statistics_only_streams_stop_keeping_records_once_read() -> None:
    aws = ll.Lambda(ll.Simulation(seed=1), keep_records=False, logs=False)
    stream = aws.create_stream("s")
    stream.put_record(b"0", partition_key="k")
    aws.create_function("f", duration="const:0.01")
    aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="f", StartingPosition="TRIM_HORIZON")
    for n in range(1000):
        stream.put_record(str(n).encode(), partition_key="k")
    aws.sim.run()
    assert len(stream.retained) == 1 and aws.ledger.counts()["processed"] == 1001
