"""SQS queues and the SQS event source mapping."""

from __future__ import annotations

import itertools
import json

import pytest

import lambdalab as ll
from lambdalab.estimate import sqs_concurrency

CONSUMER = """
import json
def lambda_handler(event, context):
    failed = []
    for record in event["Records"]:
        order = json.loads(record["body"])
        if order.get("poison"):
            if order.get("partial"):
                failed.append({"itemIdentifier": record["messageId"]})
            else:
                raise ValueError("cannot parse order " + str(order["id"]))
    return {"batchItemFailures": failed}
"""


def setup(
    visibility: float = 30.0, max_receive: int = 3, **mapping: object
) -> tuple[ll.Lambda, ll.sqs.SQSQueue, ll.sqs.SQSQueue]:
    aws = ll.Lambda(ll.Simulation(seed=3))
    dlq = aws.create_queue("orders-dlq")
    queue = aws.create_queue(
        "orders", visibility_timeout=visibility, dead_letter_queue=dlq, max_receive_count=max_receive
    )
    aws.create_function("consumer", ll.Code.from_source(CONSUMER), timeout=5)
    aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="consumer", **mapping)
    return aws, queue, dlq


def test_queue_visibility_timeout_and_receive_count() -> None:
    aws = ll.Lambda(ll.Simulation())
    queue = aws.create_queue("q", visibility_timeout=10)
    queue.send_message(MessageBody="hello")
    first = queue.receive(10)
    stale = first[0].receipt
    assert len(first) == 1 and queue.receive(10) == []  # invisible while in flight
    aws.sim.run(until=9.9)
    assert queue.receive(10) == []
    aws.sim.run(until=10.0)
    again = queue.receive(10)
    assert again[0].body == "hello" and again[0].received == 2
    queue.delete(stale)  # a receipt from an earlier receive deletes nothing
    assert len(queue) == 1
    queue.delete(again[0])
    assert len(queue) == 0 and aws.ledger.counts()["processed"] == 1


def test_lambda_sqs_event_has_aws_fields() -> None:
    aws, _, _ = setup()
    seen: list[dict] = []
    aws.create_function("spy", lambda event, context: seen.append(event), timeout=5)
    queue2 = aws.create_queue("q2")
    aws.create_event_source_mapping(EventSourceArn=queue2.arn, FunctionName="spy")
    queue2.send_message(MessageBody='{"a": 1}', MessageAttributes={"kind": "test"})
    aws.sim.run()
    record = seen[0]["Records"][0]
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == queue2.arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["md5OfBody"] == "d8b2c3bdf8a4b2c0ad53e6a8ac1d3ab8" or len(record["md5OfBody"]) == 32


def test_a_failed_batch_returns_after_the_visibility_timeout() -> None:
    aws, queue, dlq = setup(visibility=30, max_receive=5, BatchSize=10)
    queue.send_message(MessageBody=json.dumps({"id": 1, "poison": True}))
    aws.sim.run()
    invoked = aws.requests().sort_values("arrival").arrival.tolist()
    assert len(invoked) == 5  # received 5 times, then moved to the DLQ on the 6th receive
    assert [round(b - a, 6) for a, b in itertools.pairwise(invoked)] == [30.0] * 4
    assert len(dlq) == 1 and aws.ledger.counts()["dead_lettered"] == 1


def test_whole_batch_returns_without_partial_response() -> None:
    """S1.7.5: one bad message sends its healthy batch-mates back too, here all the way to the DLQ."""
    aws, queue, dlq = setup(max_receive=2, BatchSize=10, MaximumBatchingWindowInSeconds=1)
    for i in range(5):
        queue.send_message(MessageBody=json.dumps({"id": i, "poison": i == 2}))
    aws.sim.run()
    assert aws.requests().outcome.tolist() == ["error", "error"]
    assert aws.ledger.counts()["dead_lettered"] == 5 and len(dlq) == 5


def test_partial_batch_response_returns_only_the_failed_messages() -> None:
    aws, queue, dlq = setup(
        max_receive=2, BatchSize=10, MaximumBatchingWindowInSeconds=1, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    for i in range(5):
        queue.send_message(MessageBody=json.dumps({"id": i, "poison": i == 2, "partial": True}))
    aws.sim.run()
    events = aws.events()
    assert (events.place == "processed").sum() == 4
    assert (events.place == "dead_lettered").sum() == 1 and len(dlq) == 1
    assert len(aws.requests()) == 2  # the poison message alone came back once


def test_pollers_start_at_5_and_throttling_can_dead_letter_healthy_messages() -> None:
    aws = ll.Lambda(ll.Simulation(seed=1))
    dlq = aws.create_queue("dlq")
    queue = aws.create_queue("q", visibility_timeout=30, dead_letter_queue=dlq, max_receive_count=1)
    aws.create_function("slow", duration="const:20", timeout=25, reserved_concurrency=2)
    mapping = aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="slow", BatchSize=1)
    for i in range(10):
        queue.send_message(MessageBody=str(i))
    aws.sim.run(until=0.5)
    assert aws.concurrency.total_busy == 2 and mapping.throttled_batches == 3  # 5 pollers, 2 may run
    aws.sim.run()
    assert aws.ledger.counts()["dead_lettered"] > 0  # never failed in the function, yet in the DLQ


def test_visibility_timeout_shorter_than_function_timeout_is_refused() -> None:
    aws = ll.Lambda(ll.Simulation())
    queue = aws.create_queue("q", visibility_timeout=10)
    aws.create_function("f", duration="const:1", timeout=60)
    with pytest.raises(ll.InvalidParameterValueException, match="less than Function timeout"):
        aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f")


def test_pollers_scale_with_the_backlog() -> None:
    aws = ll.Lambda(ll.Simulation(), account_concurrency=5000)
    queue = aws.create_queue("q", visibility_timeout=900)
    aws.create_function("f", duration="const:30", timeout=60)
    mapping = aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f", BatchSize=1)
    for _ in range(3000):
        queue.send_message(MessageBody="x")
    aws.sim.run(until=59)
    assert mapping.busy == 5
    aws.sim.run(until=61)
    assert mapping.busy == 305  # +300 a minute today
    assert sqs_concurrency(1) == 305


# -- polling from creation, Enabled ------------------------------------------------------------------------


def test_a_new_mapping_reads_the_messages_already_waiting() -> None:
    """Lambda's pollers poll the queue (long polling), from the mapping's creation, not only when a message
    is sent (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""
    aws = ll.Lambda(ll.Simulation(seed=3))
    queue = aws.create_queue("q")
    for i in range(3):
        queue.send_message(MessageBody=str(i))
    aws.sim.run(until=60)
    aws.create_function("f", lambda event, context: [r["body"] for r in event["Records"]])
    aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f")
    aws.sim.run()
    assert aws.events().place.tolist() == ["processed"] * 3 and len(queue) == 0
    assert aws.requests().arrival.tolist() == [60.0]


def test_a_disabled_mapping_polls_when_enabled_again() -> None:
    """``Enabled`` (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html): a disabled
    mapping reads nothing; ``UpdateEventSourceMapping(Enabled=True)`` starts polling again."""
    aws = ll.Lambda(ll.Simulation(seed=3))
    queue = aws.create_queue("q")
    aws.create_function("f", lambda event, context: None)
    mapping = aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f", Enabled=False)
    assert (mapping["State"], mapping["EventSourceArn"]) == ("Disabled", queue.arn)
    assert mapping["FunctionArn"] == aws.function("f").config.arn and len(mapping["UUID"]) == 36
    queue.send_message(MessageBody="a")
    aws.sim.run(until=100)
    assert aws.requests().empty and len(queue) == 1
    assert aws.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)["State"] == "Enabled"
    aws.sim.run(until=200)
    assert aws.requests().arrival.tolist() == [100.0] and len(queue) == 0
    aws.update_event_source_mapping(UUID=mapping.uuid, Enabled=False)
    queue.send_message(MessageBody="b")
    aws.sim.run(until=300)
    assert len(aws.requests()) == 1 and len(queue) == 1
    with pytest.raises(ll.ResourceNotFoundException):
        aws.update_event_source_mapping(UUID="nope", Enabled=True)


# -- parameters: per source and era, AWS's errors --------------------------------------------------------


def mapping_error(era: str = "today", **settings: object) -> ll.LambdaError | ll.ParamValidationError:
    aws = ll.Lambda(ll.Simulation(), era=era)
    queue = aws.create_queue("q")
    aws.create_function("f", duration="const:1")
    with pytest.raises((ll.LambdaError, ll.ParamValidationError)) as caught:
        aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f", **settings)
    return caught.value


def test_2019_sqs_mappings_read_1_to_10_messages_without_a_window() -> None:
    """In 2019 an SQS batch held 1-10 messages; batching windows, and batches above 10 for standard queues,
    came in November 2020 (https://aws.amazon.com/about-aws/whats-new/2020/11/aws-lambda-now-supports-batch-windows-of-up-to-5-minutes-for-functions/);
    partial batch responses in November 2021 (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
    BatchSize and MaximumBatchingWindowInSeconds were in the SDK of 2019 (the window for streams, since August
    2019): AWS refused the values. FunctionResponseTypes was not: boto3 refused it before sending anything."""
    error = mapping_error("2019", BatchSize=100, MaximumBatchingWindowInSeconds=5)
    assert isinstance(error, ll.InvalidParameterValueException)
    assert error.message == "Maximum batch size must be between 1 and 10 inclusive"
    assert error.hint is not None and "November 2020" in error.hint
    error = mapping_error("2019", MaximumBatchingWindowInSeconds=5)
    assert isinstance(error, ll.InvalidParameterValueException) and "November 2020" in str(error.hint)
    assert error.message == "Unsupported MaximumBatchingWindowInSeconds parameter for given event source mapping type"
    error = mapping_error("2019", FunctionResponseTypes=["ReportBatchItemFailures"])
    assert isinstance(error, ll.ParamValidationError) and "November 2021" in str(error.hint)
    assert error.report.startswith('Unknown parameter in input: "FunctionResponseTypes", must be one of: ')
    # Today: above 10 only with a window (AWS's message), up to 10,000.
    error = mapping_error(BatchSize=100)
    assert isinstance(error, ll.InvalidParameterValueException) and error.hint is None
    assert error.message == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    )
    assert isinstance(mapping_error(BatchSize=10_001, MaximumBatchingWindowInSeconds=1), ll.ValidationException)
    assert isinstance(mapping_error(MaximumBatchingWindowInSeconds=301), ll.ValidationException)
    assert isinstance(mapping_error(FunctionResponseTypes=["Partial"]), ll.ValidationException)
    aws = ll.Lambda(ll.Simulation(), era="2019")
    queue = aws.create_queue("q")
    aws.create_function("f", duration="const:1", runtime="python3.7")
    mapping = aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f", BatchSize=10)
    assert mapping["BatchSize"] == 10 and mapping["FunctionResponseTypes"] == []


@pytest.mark.parametrize(
    "setting",
    [
        {"ParallelizationFactor": 2},
        {"MaximumRetryAttempts": 1},
        {"MaximumRecordAgeInSeconds": 60},
        {"BisectBatchOnFunctionError": True},
        {"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:q"}}},
        {"TumblingWindowInSeconds": 60},
    ],
)
def test_stream_parameters_on_an_sqs_mapping_are_api_errors(setting: dict[str, object]) -> None:
    """CreateEventSourceMapping answers a parameter the source does not take with InvalidParameterValueException
    (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html: ParallelizationFactor,
    retries, record age, bisection and destinations are for streams), not a crash."""
    error = mapping_error(**setting)
    assert isinstance(error, ll.InvalidParameterValueException)
    (name,) = setting
    assert error.message == f"Unsupported {name} parameter for given event source mapping type"


def test_starting_position_is_not_valid_for_sqs() -> None:
    error = mapping_error(StartingPosition="LATEST")
    assert error.message == "StartingPosition is not valid for SQS event sources."


def test_sqs_parameters_on_a_stream_mapping_are_api_errors() -> None:
    aws = ll.Lambda(ll.Simulation())
    stream = aws.create_stream("s")
    aws.create_function("f", duration="const:1")
    with pytest.raises(ll.InvalidParameterValueException, match="Unsupported ScalingConfig parameter"):
        aws.create_event_source_mapping(
            EventSourceArn=stream.arn, FunctionName="f", ScalingConfig={"MaximumConcurrency": 2}
        )
    with pytest.raises(ll.ValidationException, match=r"\[LATEST, AT_TIMESTAMP, TRIM_HORIZON\]"):
        aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="f", StartingPosition="OLDEST")


@pytest.mark.parametrize(
    "response",
    ['{"batchItemFailures": [{"itemIdentifier": "no-such-id"}]}', '{"batchItemFailures": [{"id": "x"}]}', '"ok"'],
)
def test_an_invalid_partial_batch_response_fails_the_whole_batch(response: str) -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html: an identifier not in the
    batch, a bad key name or a response that is not the object fails the whole batch."""
    aws = ll.Lambda(ll.Simulation(seed=1))
    queue = aws.create_queue("q", visibility_timeout=30)
    aws.create_function("f", ll.Code.from_source(f"def lambda_handler(event, context):\n    return {response}\n"))
    aws.create_event_source_mapping(
        EventSourceArn=queue.arn, FunctionName="f", FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    queue.send_message(MessageBody="a")
    aws.sim.run(until=45)
    assert len(aws.requests()) == 2 and len(queue) == 1  # back after the visibility timeout, and again


def test_a_batch_that_fills_early_starts_a_new_window() -> None:
    """With a batching window, a batch goes when it is full or when its window ends, whichever is first
    (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html#services-sqs-batchfailurereporting):
    a full batch must not leave its window's timer to cut the next batch short."""
    aws = ll.Lambda(ll.Simulation(seed=2))
    aws.create_function("consumer", lambda event, context: None, timeout=10)
    queue = aws.create_queue("jobs", visibility_timeout=60)
    aws.create_event_source_mapping(
        EventSourceArn=queue.arn, FunctionName="consumer", BatchSize=100, MaximumBatchingWindowInSeconds=20
    )
    for i in range(1000):  # 10 messages a second: a batch fills in 10 s, before its 20 s window ends
        aws.sim.at(i / 10, lambda: queue.send_message("{}"))
    aws.sim.run(until=200)
    assert len(aws.requests()) == 10  # 100 messages each; with the stale timer it was 13


# -- ScalingConfig: maximum concurrency (January 2023) ------------------------------------------------------


def test_maximum_concurrency_caps_the_mapping_without_throttles() -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html: MaximumConcurrency (2-1000) limits
    the concurrent invocations of one SQS mapping; messages wait in the queue instead of being throttled."""
    aws = ll.Lambda(ll.Simulation(seed=3))
    queue = aws.create_queue("q", visibility_timeout=60)
    aws.create_function("f", duration="const:10", timeout=20)
    mapping = aws.create_event_source_mapping(
        EventSourceArn=queue.arn, FunctionName="f", BatchSize=1, ScalingConfig={"MaximumConcurrency": 2}
    )
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 2}
    for n in range(10):
        queue.send_message(MessageBody=str(n))
    aws.sim.run(until=5)
    assert aws.concurrency.total_busy == 2
    aws.sim.run()
    runs = aws.requests()
    assert len(runs) == 10 and set(runs.outcome) == {"success"}
    assert aws.ledger.counts()["processed"] == 10
    assert max(runs.end) == pytest.approx(50, abs=1)  # two at a time, 10 s each
    uncapped = aws.create_event_source_mapping(
        EventSourceArn=aws.create_queue("r").arn, FunctionName="f", ScalingConfig={}
    )
    assert "ScalingConfig" not in uncapped.configuration()


@pytest.mark.parametrize(
    ("config", "error", "text"),
    [
        ({"MaximumConcurrency": 1}, ll.ValidationException, "Member must have value greater than or equal to 2"),
        ({"MaximumConcurrency": 1001}, ll.ValidationException, "Member must have value less than or equal to 1000"),
        ({"MaximumConcurrency": 2.5}, ll.ParamValidationError, "Invalid type for parameter ScalingConfig.Maximum"),
        ({"Maximum": 5}, ll.ParamValidationError, 'Unknown parameter in ScalingConfig: "Maximum", must be one of: '),
        (5, ll.ParamValidationError, "Invalid type for parameter ScalingConfig, value: 5"),
    ],
)
def test_maximum_concurrency_is_checked(config: object, error: type[Exception], text: str) -> None:
    caught = mapping_error(ScalingConfig=config)
    assert isinstance(caught, error) and text in str(caught)
    if isinstance(caught, ll.ValidationException):
        assert "at 'scalingConfig.maximumConcurrency'" in caught.message


def test_2019_sdk_had_no_scaling_config() -> None:
    error = mapping_error("2019", ScalingConfig={"MaximumConcurrency": 5})
    assert isinstance(error, ll.ParamValidationError) and "January 2023" in str(error.hint)


def test_many_pollers_throttled_at_once_do_not_recurse() -> None:
    """300 pollers against a reserved concurrency of 25: each throttled batch backs off on its own,
    iteratively (a throttle used to wake the next poller from inside the last one's callback)."""
    aws = ll.Lambda(ll.Simulation(seed=1), logs=False)
    queue = aws.create_queue("q", visibility_timeout=30)
    aws.create_function("f", duration="const:1", timeout=5, reserved_concurrency=25)
    mapping = aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f", BatchSize=1)
    for _ in range(3000):
        queue.send_message(MessageBody="{}")
    aws.sim.run()
    assert len(queue) == 0
    assert aws.mappings[0].throttled_batches > 0 and mapping["State"] == "Enabled"
    assert sorted(set(aws.events().place.tolist())) == ["processed"]
