"""Asynchronous invocation: retries, event age, dead-letter queues, destinations, the ledger."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdalab as ll


def fresh(era: str = "today", seed: int = 1) -> ll.Lambda:
    return ll.Lambda(ll.Simulation(seed=seed), era=era)


def test_event_is_accepted_with_202_then_run() -> None:
    aws = fresh()
    aws.create_function("f", lambda event, context: event["n"] * 2)
    response = aws.invoke(FunctionName="f", Payload=b'{"n": 21}', InvocationType="Event")
    assert response["StatusCode"] == 202 and response["Payload"].read() == b""
    assert aws.requests().empty  # nothing has run yet: the event waits in the queue
    aws.sim.run()
    assert aws.events().place.tolist() == ["processed"]
    assert aws.requests().outcome.tolist() == ["success"]


def test_function_errors_are_retried_twice_a_minute_then_two_minutes_apart() -> None:
    aws = fresh()
    dlq = aws.create_queue("dlq")
    aws.create_function("f", duration="const:0.5", error_rate=1.0)
    aws.update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": dlq.arn})
    aws.invoke(FunctionName="f", Payload=b'{"order": 7}', InvocationType="Event")
    aws.sim.run()
    attempts = aws.requests().sort_values("start")
    assert attempts.attempt.tolist() == [1, 2, 3]
    starts = attempts.start.tolist()
    assert starts[1] - attempts.end.iloc[0] == pytest.approx(60.0)
    assert starts[2] - attempts.end.iloc[1] == pytest.approx(120.0)
    assert aws.events().place.tolist() == ["dead_lettered"] and len(dlq) == 1
    message = dlq.visible[0]
    assert json.loads(message.body) == {"order": 7}  # the DLQ gets the event itself
    assert set(message.attributes) == {"RequestID", "ErrorCode", "ErrorMessage"}
    assert message.attributes["RequestID"] == attempts.request_id.iloc[0]


@pytest.mark.parametrize("retries", [0, 1, 2])
def test_maximum_retry_attempts(retries: int) -> None:
    aws = fresh()
    aws.create_function("f", duration="const:0.1", error_rate=1.0)
    aws.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=retries)
    aws.invoke(FunctionName="f", InvocationType="Event")
    aws.sim.run()
    assert len(aws.requests()) == retries + 1
    assert aws.events().reason.tolist() == ["RetriesExhausted"] and aws.events().place.tolist() == ["dropped"]


def test_event_age_limit_stops_retries() -> None:
    aws = fresh()
    aws.create_function("f", duration="const:0.1", error_rate=1.0)
    aws.put_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=90)
    aws.invoke(FunctionName="f", InvocationType="Event")
    aws.sim.run()
    assert len(aws.requests()) == 2  # the second retry would start at ~180 s, past the 90 s limit
    assert aws.events().reason.tolist() == ["EventAgeExceeded"]
    assert aws.events().settled.tolist() == [90.0]  # kept in the queue until it is 90 s old, then discarded


def test_throttled_events_wait_and_retry_with_backoff_up_to_six_hours() -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html: throttles are retried
    for up to 6 hours, 1 second after the first attempt, doubling to at most 5 minutes. In 2019 that held
    for reserved concurrency 0 too."""
    aws = fresh("2019")
    aws.create_function("f", duration="const:0.1", reserved_concurrency=0)
    aws.invoke(FunctionName="f", InvocationType="Event")
    aws.sim.run()
    records = aws.requests()
    assert set(records.outcome) == {"throttled"}
    gaps = records.arrival.diff().dropna().tolist()
    assert gaps[:4] == [1.0, 2.0, 4.0, 8.0] and max(gaps) == 300.0
    assert records.arrival.max() <= 6 * 3600
    assert aws.events().reason.tolist() == ["EventAgeExceeded"]


def test_throttled_events_retry_until_concurrency_frees() -> None:
    aws = fresh()
    aws.create_function("f", duration="const:100", timeout=900, reserved_concurrency=1)
    aws.submit("f")  # holds the one environment for 100 s
    aws.invoke(FunctionName="f", InvocationType="Event")
    aws.sim.run()
    attempts = aws.requests().query("invocation_type == 'Event'")
    assert attempts.outcome.tolist() == ["throttled"] * 7 + ["success"]  # at 0, 1, 3, 7, 15, 31, 63, 127 s
    assert attempts.arrival.diff().dropna().tolist()[:6] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert aws.events().place.tolist() == ["processed"]


def hogged(hog_until: float, max_age: int, destination: bool = True) -> tuple[ll.Lambda, Any]:
    """A function whose one environment (reserved concurrency 1) runs back-to-back 10-minute requests until
    ``hog_until``, and one Event invocation that is throttled until then."""
    aws = fresh()
    failures = aws.create_queue("failures")
    aws.create_function("f", duration="const:600", timeout=900, reserved_concurrency=1)

    def hog(_: object = None) -> None:
        if aws.sim.now < hog_until:
            aws.submit("f", callback=hog)

    hog()
    config = {"DestinationConfig": {"OnFailure": {"Destination": failures.arn}}} if destination else {}
    aws.put_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=max_age, **config)
    aws.invoke(FunctionName="f", Payload=b'{"order": 9}', InvocationType="Event")
    aws.sim.run()
    return aws, failures


@pytest.mark.parametrize(("max_age", "last_attempt"), [(3600, 3511.0), (60, 31.0), (21600, 21511.0)])
def test_a_throttled_event_is_kept_until_its_maximum_age(max_age: int, last_attempt: float) -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html: a throttled event goes
    back to the queue and is retried (1 s, doubling to 5 min) until it is older than MaximumEventAgeInSeconds,
    "the maximum amount of time ... that Lambda keeps an event in the asynchronous event queue before discarding
    it" (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html). An attempt due after
    that age never comes: the event waits in the queue and is discarded at that age, not before (lambdalab once
    gave up at the last attempt before it: at 31 s of a 60 s maximum)."""
    aws, failures = hogged(2 * max_age, max_age)
    attempts = aws.requests().query("invocation_type == 'Event'")
    assert set(attempts.outcome) == {"throttled"} and attempts.arrival.max() == last_attempt
    assert attempts.attempt.max() == 1  # throttles are not retries of MaximumRetryAttempts
    events = aws.events()
    assert events.place.tolist() == ["destination"] and events.settled.tolist() == [float(max_age)]
    assert events.reason.tolist() == ["EventAgeExceeded"]
    record = json.loads(failures.visible[0].body)
    assert record["requestContext"]["condition"] == "EventAgeExceeded" and record["requestPayload"] == {"order": 9}
    assert record["responseContext"]["statusCode"] == 429
    assert record["timestamp"] == aws.sim.iso(float(max_age))


def test_an_event_throttled_for_twenty_minutes_runs_within_its_maximum_age() -> None:
    aws, failures = hogged(1200, 3600)
    attempts = aws.requests().query("invocation_type == 'Event'")
    assert attempts.outcome.tolist()[-1] == "success" and attempts.arrival.iloc[-1] == 1411.0  # 1,111 s + 300 s
    assert aws.events().place.tolist() == ["processed"] and len(failures) == 0


@pytest.mark.parametrize("where", ["dlq", "destination", "nowhere"])
def test_reserved_concurrency_zero_sends_events_on_without_retries(where: str) -> None:
    """Since August 2021, with reserved concurrency 0 Lambda sends each asynchronous event at once to the
    DLQ or on-failure destination, or drops it, instead of retrying it for six hours
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html,
    https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html; AWS's notice quoted at
    https://github.com/SummitRoute/aws_breaking_changes/issues/48)."""
    aws = fresh()
    queue = aws.create_queue("q")
    aws.create_function("f", duration="const:0.1", reserved_concurrency=0)
    if where == "dlq":
        aws.update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": queue.arn})
    elif where == "destination":
        aws.put_function_event_invoke_config(
            FunctionName="f", DestinationConfig={"OnFailure": {"Destination": queue.arn}}
        )
    aws.invoke(FunctionName="f", Payload=b'{"order": 1}', InvocationType="Event")
    aws.sim.run()
    assert aws.requests().outcome.tolist() == ["throttled"]  # one attempt, no retry
    events = aws.events()
    place = {"dlq": "dead_lettered", "destination": "destination", "nowhere": "dropped"}[where]
    assert events.place.tolist() == [place] and events.settled.tolist() == [0.0]
    assert events.reason.tolist() == ["ReservedFunctionConcurrentInvocationLimitExceeded"]
    if where == "dlq":
        assert json.loads(queue.visible[0].body) == {"order": 1}
        assert queue.visible[0].attributes["ErrorCode"] == "429"
    if where == "destination":
        record = json.loads(queue.visible[0].body)
        assert record["requestPayload"] == {"order": 1} and record["responseContext"]["statusCode"] == 429
    aws.delete_function_concurrency(FunctionName="f")
    aws.invoke(FunctionName="f", InvocationType="Event")
    aws.sim.run()
    assert aws.events().place.tolist()[-1] == "processed"


def test_destinations_receive_aws_invocation_records() -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html: an invocation record
    (version, timestamp, requestContext, requestPayload, responseContext, responsePayload); an EventBridge bus
    gets it as the ``detail`` of an event from source ``lambda`` with detail-type
    ``Lambda Function Invocation Result - Success`` or ``- Failure``."""
    aws = fresh()
    ok, failed, bus = aws.create_queue("ok"), aws.create_topic("failed"), aws.create_event_bus("results")
    aws.create_function("good", duration="const:0.1")
    aws.create_function("bad", duration="const:0.1", error_rate=1.0)
    for name in ("good", "bad"):
        aws.put_function_event_invoke_config(
            FunctionName=name,
            MaximumRetryAttempts=1,
            DestinationConfig={"OnSuccess": {"Destination": ok.arn}, "OnFailure": {"Destination": failed.arn}},
        )
        aws.invoke(FunctionName=name, Payload=json.dumps({"who": name}), InvocationType="Event")
    aws.sim.run()
    success, failure = json.loads(ok.visible[0].body), json.loads(failed.messages[0]["body"])
    for record in (success, failure):
        assert set(record) == {
            "version",
            "timestamp",
            "requestContext",
            "requestPayload",
            "responseContext",
            "responsePayload",
        }
    assert success["requestContext"]["condition"] == "Success" and success["requestPayload"] == {"who": "good"}
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert failure["requestContext"]["functionArn"].endswith("function:bad:$LATEST")
    assert aws.ledger.counts()["destination"] == 1 and aws.ledger.counts()["processed"] == 1
    for name in ("good", "bad"):
        aws.put_function_event_invoke_config(
            FunctionName=name,
            MaximumRetryAttempts=0,
            DestinationConfig={"OnSuccess": {"Destination": bus.arn}, "OnFailure": {"Destination": bus.arn}},
        )
        aws.invoke(FunctionName=name, Payload=json.dumps({"who": name}), InvocationType="Event")
    aws.sim.run()
    first, second = (json.loads(m["body"]) for m in bus.messages)
    for event, kind, name in ((first, "Success", "good"), (second, "Failure", "bad")):
        assert list(event) == [
            "version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"
        ]  # fmt: skip
        assert (event["version"], event["source"]) == ("0", "lambda")
        assert event["detail-type"] == f"Lambda Function Invocation Result - {kind}"
        assert (event["account"], event["region"]) == ("123456789012", "us-east-1")
        function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}:$LATEST"
        assert event["resources"] == [bus.arn, function_arn]
        assert event["detail"]["requestContext"]["functionArn"] == function_arn
        assert event["detail"]["requestPayload"] == {"who": name}
        assert event["time"] == event["detail"]["timestamp"][:19] + "Z"
    assert first["id"] != second["id"]


def test_a_function_can_be_a_destination() -> None:
    aws = fresh()
    seen: list[dict] = []
    aws.create_function("bad", duration="const:0.1", error_rate=1.0)
    aws.create_function("handler", lambda event, context: seen.append(event))
    aws.put_function_event_invoke_config(
        FunctionName="bad", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": "handler"}}
    )
    aws.invoke(FunctionName="bad", Payload=b'{"x": 1}', InvocationType="Event")
    aws.sim.run()
    assert seen[0]["requestPayload"] == {"x": 1}


def test_2019_has_two_fixed_retries_and_a_dlq_only() -> None:
    aws = fresh("2019")
    topic = aws.create_topic("dlq")
    aws.create_function("f", duration="const:0.1", error_rate=1.0)
    with pytest.raises(
        AttributeError, match="'Lambda' object has no attribute 'put_function_event_invoke_config'"
    ) as e:
        aws.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    assert "25 November 2019" in e.value.__notes__[0]  # botocore 1.13.20 had no such method: it came later
    aws.update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": topic.arn})
    aws.invoke(FunctionName="f", InvocationType="Event")
    aws.sim.run()
    assert len(aws.requests()) == 3 and len(topic.messages) == 1


@pytest.mark.parametrize(("error_rate", "retries"), [(0.5, 2), (0.3, 1), (0.6, 0)])
def test_dead_letter_fraction_is_p_to_the_retries_plus_one(error_rate: float, retries: int) -> None:
    """Independent failures: an event is dead-lettered only if all retries + 1 attempts fail."""
    aws = ll.Lambda(ll.Simulation(seed=5), keep_records=False, logs=False)
    dlq = aws.create_queue("dlq")
    aws.create_function("f", duration="const:0.05", error_rate=error_rate)
    aws.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=retries)
    aws.update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": dlq.arn})
    ll.poisson(aws, "f", 20, until=1500, invocation_type="Event")
    aws.sim.run()
    counts = aws.ledger.counts()
    total = sum(counts.values())
    assert counts["in_flight"] == 0 and total > 25_000
    expected = error_rate ** (retries + 1)
    assert counts["dead_lettered"] / total == pytest.approx(expected, rel=0.05)
    assert counts["processed"] + counts["dead_lettered"] == total


def test_at_least_once_delivery_can_duplicate_and_is_counted() -> None:
    aws = ll.Lambda(ll.Simulation(seed=9))
    aws.asynchronous.duplicate_probability = 0.1
    aws.create_function("f", duration="const:0.01")
    for _ in range(2000):
        aws.invoke(FunctionName="f", InvocationType="Event")
    aws.sim.run()
    events = aws.events()
    duplicates = (events.source == "async-duplicate").sum()
    assert 150 < duplicates < 250 and duplicates == aws.asynchronous.duplicates
    assert (events.place == "processed").all() and len(events) == 2000 + duplicates


def test_event_invoke_config_validation() -> None:
    aws = fresh()
    aws.create_function("f", duration="const:0.1")
    with pytest.raises(ll.ValidationException, match="between 0 and 2"):
        aws.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=3)
    with pytest.raises(ll.ValidationException, match="between 60 and 21600"):
        aws.put_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=30)
    with pytest.raises(ll.ResourceNotFoundException):
        aws.put_function_event_invoke_config(FunctionName="f", DestinationConfig={"OnFailure": {"Destination": "nope"}})
