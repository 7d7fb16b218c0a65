"""The Lambda service's API as boto3 shows it: Invoke's responses and errors, throttles, records, metrics."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest

import lambdalab as ll
from support import exact_cold_start

FIXED = exact_cold_start(0.25)

APP = """\
import time


def handler(event, context):
    action = event.get("action", "echo")
    if action == "fail":
        return event["missing"]
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "print":
        for _ in range(event["lines"]):
            print("x" * 99)
    if action == "size":
        return len(event["data"])
    return {"hi": event.get("name")}
"""


def service(era: str = "today", seed: int = 5, **kwargs: Any) -> ll.Lambda:
    return ll.Lambda(ll.Simulation(seed=seed), era=era, cold_start=FIXED, **kwargs)


def deploy(aws: ll.Lambda, name: str = "f", **settings: Any) -> ll.Lambda:
    if aws.era is ll.Era.SEMINAR_2019:
        settings.setdefault("runtime", "python3.7")
    aws.create_function(name, ll.Code.from_source(APP, "app.py"), handler="app.handler", **settings)
    return aws


def invoke(aws: ll.Lambda, event: Any = None, name: str = "f", **kwargs: Any) -> dict[str, Any]:
    return aws.invoke(FunctionName=name, Payload=json.dumps(event if event is not None else {}), **kwargs)


# -- the response of each invocation type --------------------------------------------------------------


def test_request_response_has_boto3_shape() -> None:
    aws = deploy(service())
    response = invoke(aws, {"name": "Ada"})
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert "LogResult" not in response
    meta = response["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 200
    assert meta["RetryAttempts"] == 0
    headers = meta["HTTPHeaders"]
    assert headers["x-amzn-requestid"] == meta["RequestId"]
    assert headers["x-amz-executed-version"] == "$LATEST"
    assert "x-amz-function-error" not in headers
    assert response["Payload"].read() == b'{"hi": "Ada"}'
    assert response["Payload"].read() == b""  # a stream: read once, as botocore's


def test_request_id_is_the_records_and_the_handlers() -> None:
    aws = deploy(service())
    response = invoke(aws)
    (record,) = aws.requests().itertuples()
    assert record.request_id == response["ResponseMetadata"]["RequestId"]
    assert record.invocation_type == "RequestResponse"


def test_function_error_sets_function_error_and_its_header() -> None:
    aws = deploy(service())
    response = invoke(aws, {"action": "fail"})
    assert response["StatusCode"] == 200  # the invocation worked; the function failed
    assert response["FunctionError"] == "Unhandled"
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amz-function-error"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "KeyError"


def test_event_answers_202_at_once_and_runs_later() -> None:
    aws = deploy(service())
    response = invoke(aws, {"name": "later"}, InvocationType="Event")
    assert response["StatusCode"] == 202
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert response["Payload"].read() == b""
    assert "FunctionError" not in response and "ExecutedVersion" not in response
    assert aws.requests().empty  # not run yet
    aws.sim.run()
    records = aws.requests()
    assert len(records) == 1
    row = records.iloc[0]
    assert row.request_id == response["ResponseMetadata"]["RequestId"]
    assert (row.invocation_type, row.outcome, bool(row.cold)) == ("Event", "success", True)


def test_dry_run_answers_204_and_runs_nothing() -> None:
    ran: list[Any] = []
    aws = service()
    aws.create_function("f", lambda event, context: ran.append(event))
    response = aws.invoke(FunctionName="f", Payload=b'{"a": 1}', InvocationType="DryRun")
    aws.sim.run()
    assert response["StatusCode"] == 204
    assert response["Payload"].read() == b""
    assert "FunctionError" not in response
    assert ran == []
    assert aws.function("f").created == 0
    assert aws.log_group("f").streams == {}
    assert aws.requests().outcome.tolist() == ["dry_run"]
    assert aws.metrics(period=60).empty  # a dry run is not an invocation


def test_dry_run_still_checks_the_request() -> None:
    aws = deploy(service())
    with pytest.raises(ll.InvalidRequestContentException):
        aws.invoke(FunctionName="f", Payload=b"{", InvocationType="DryRun")
    with pytest.raises(ll.ResourceNotFoundException):
        aws.invoke(FunctionName="nope", InvocationType="DryRun")


def test_unknown_invocation_type_is_invalid() -> None:
    aws = deploy(service())
    with pytest.raises(ll.InvalidParameterValueException):
        aws.invoke(FunctionName="f", InvocationType="Sync")


# -- LogType=Tail --------------------------------------------------------------------------------------


def test_tail_returns_the_invocations_log_in_base64() -> None:
    aws = deploy(service())
    response = invoke(aws, LogType="Tail")
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amz-log-result"] == response["LogResult"]
    log = base64.b64decode(response["LogResult"]).decode()
    rid = response["ResponseMetadata"]["RequestId"]
    lines = log.rstrip("\n").split("\n")
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"
    assert lines[1] == f"END RequestId: {rid}"
    assert lines[2].startswith(f"REPORT RequestId: {rid}\tDuration: ")
    assert lines[2] == aws.log_group("f").events()[-1][1].message


def test_tail_keeps_only_the_last_4_kb_ending_with_the_report_line() -> None:
    aws = deploy(service())
    response = invoke(aws, {"action": "print", "lines": 100}, LogType="Tail")  # 10 KB of output
    data = base64.b64decode(response["LogResult"])
    assert len(data) == 4096
    last = data.decode().rstrip("\n").split("\n")[-1]
    assert last.startswith("REPORT RequestId: ")
    assert last == aws.log_group("f").events()[-1][1].message


# -- request errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("era", "kind", "limit"),
    [
        ("2019", "RequestResponse", 6 * 1024 * 1024),
        ("today", "RequestResponse", 6 * 1024 * 1024),
        ("2019", "Event", 256 * 1024),
        ("today", "Event", 1024 * 1024),
    ],
)
def test_payload_over_the_limit_is_too_large(era: str, kind: str, limit: int) -> None:
    aws = deploy(service(era))
    too_big = b'"' + b"x" * (limit - 1) + b'"'  # valid JSON of limit + 1 bytes
    with pytest.raises(ll.RequestEntityTooLargeException) as caught:
        aws.invoke(FunctionName="f", Payload=too_big, InvocationType=kind)
    assert caught.value.status_code == 413
    assert caught.value.message == f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
    assert aws.requests().empty


@pytest.mark.parametrize(("era", "kind", "limit"), [("2019", "Event", 256 * 1024), ("today", "Event", 1024 * 1024)])
def test_payload_at_the_limit_is_accepted(era: str, kind: str, limit: int) -> None:
    aws = deploy(service(era))
    event = json.dumps({"action": "size", "data": ""}).encode()
    at_limit = event[:-2] + b"x" * (limit - len(event)) + b'"}'
    assert len(at_limit) == limit
    assert aws.invoke(FunctionName="f", Payload=at_limit, InvocationType=kind)["StatusCode"] == 202


def test_sync_payload_at_6_mb_is_accepted() -> None:
    aws = deploy(service())
    limit = 6 * 1024 * 1024
    event = json.dumps({"action": "size", "data": ""}).encode()
    at_limit = event[:-2] + b"x" * (limit - len(event)) + b'"}'
    response = aws.invoke(FunctionName="f", Payload=at_limit)
    assert json.loads(response["Payload"].read()) == limit - len(event)


def test_invalid_json_is_invalid_request_content() -> None:
    aws = deploy(service())
    with pytest.raises(ll.InvalidRequestContentException) as caught:
        aws.invoke(FunctionName="f", Payload=b'{"name": ')
    assert caught.value.status_code == 400
    assert caught.value.code == "InvalidRequestContentException"
    assert caught.value.message.startswith("Could not parse request body into json: ")


BLOB_TYPES = "valid types: <class 'bytes'>, <class 'bytearray'>, file-like object"


@pytest.mark.parametrize("payload", [{"name": "Ada"}, ["Ada"], 7, None, 1.5, True])
def test_a_payload_that_is_not_bytes_is_botocores_param_validation_error(payload: Any) -> None:
    """boto3 takes bytes, a bytearray, a str or a file-like object: anything else fails botocore's check
    before the request is sent (botocore/validate.py), even for a function that does not exist."""
    aws = deploy(service())
    for name in ("f", "nope"):
        with pytest.raises(ll.ParamValidationError) as caught:
            aws.invoke(FunctionName=name, Payload=payload, InvocationType="Event")
        assert str(caught.value) == (
            "Parameter validation failed:\n"
            f"Invalid type for parameter Payload, value: {payload}, type: {type(payload)}, {BLOB_TYPES}"
        )
        assert "json.dumps(event)" in caught.value.__notes__[0]  # lambdalab's hint, apart from botocore's words
    assert aws.requests().empty and aws.ledger.open == 0


def test_bytes_bytearray_str_and_file_like_payloads_are_sent() -> None:
    aws = deploy(service())
    for payload in (
        b'{"name": "Ada"}',
        bytearray(b'{"name": "Ada"}'),
        '{"name": "Ada"}',
        io.BytesIO(b'{"name": "Ada"}'),
        io.StringIO('{"name": "Ada"}'),
    ):
        assert json.loads(aws.invoke(FunctionName="f", Payload=payload)["Payload"].read()) == {"hi": "Ada"}


def test_lambdalabs_own_calls_still_take_python_objects() -> None:
    """``submit``, ``poisson`` and ``at_times`` are lambdalab's, not boto3's: they send an object as JSON."""
    aws = deploy(service())
    results: list[ll.InvocationResult] = []
    aws.submit("f", {"name": "Ada"}, callback=results.append)
    ll.at_times(aws, "f", [1.0], payload={"name": "Bo"}, callback=results.append)
    ll.poisson(aws, "f", rate=1.0, until=5.0, payload={"name": "Cy"}, callback=results.append)
    aws.sim.run()
    answers = [json.loads(result.payload or b"")["hi"] for result in results]
    assert answers[0] == "Ada" and answers.count("Bo") == 1 and answers.count("Cy") == len(answers) - 2 > 0


def test_unknown_function_is_resource_not_found() -> None:
    aws = service()
    for kind in ("RequestResponse", "Event"):
        with pytest.raises(ll.ResourceNotFoundException) as caught:
            aws.invoke(FunctionName="nope", InvocationType=kind)
        assert caught.value.status_code == 404
        assert caught.value.message == "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"


def test_creating_a_function_twice_is_a_conflict() -> None:
    aws = deploy(service())
    with pytest.raises(ll.ResourceConflictException) as caught:
        deploy(aws)
    assert caught.value.status_code == 409
    assert caught.value.message == "Function already exist: f"


# -- error payloads ------------------------------------------------------------------------------------


def test_unhandled_exception_payload_today() -> None:
    aws = deploy(service())
    response = invoke(aws, {"action": "fail"})
    payload = json.loads(response["Payload"].read())
    assert list(payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert payload["errorMessage"] == "'missing'"
    assert payload["errorType"] == "KeyError"
    assert payload["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert payload["stackTrace"][0].startswith('  File "/var/task/app.py", line 7, in handler\n')
    assert 'return event["missing"]' in payload["stackTrace"][0]


def test_unhandled_exception_payload_2019_has_no_request_id() -> None:
    aws = deploy(service("2019"))
    payload = json.loads(invoke(aws, {"action": "fail"})["Payload"].read())
    assert list(payload) == ["errorMessage", "errorType", "stackTrace"]
    assert (payload["errorMessage"], payload["errorType"]) == ("'missing'", "KeyError")


def test_timeout_payload_2019() -> None:
    aws = deploy(service("2019"))
    response = invoke(aws, {"action": "sleep", "seconds": 10})
    rid = response["ResponseMetadata"]["RequestId"]
    (record,) = aws.requests().itertuples()
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read()) == {
        "errorMessage": f"{aws.sim.iso(record.end)} {rid} Task timed out after 3.00 seconds"
    }
    assert aws.sim.iso(record.end) == "2019-11-20T00:00:03.250Z"  # 0.25 s INIT + 3 s, on the 2019 era's calendar


@pytest.mark.parametrize("timeout", [3, 10])
def test_timeout_payload_today(timeout: int) -> None:
    aws = deploy(service(), timeout=timeout)
    response = invoke(aws, {"action": "sleep", "seconds": 20})
    rid = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read()) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {rid} Error: Task timed out after {timeout}.00 seconds",
    }
    (record,) = aws.requests().itertuples()
    assert (record.outcome, record.duration) == ("timeout", timeout)


# -- throttles -----------------------------------------------------------------------------------------


def test_reserved_concurrency_zero_throttles_every_request() -> None:
    aws = deploy(service())
    assert aws.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0) == {
        "ReservedConcurrentExecutions": 0
    }
    with pytest.raises(ll.TooManyRequestsException) as caught:
        invoke(aws)
    error = caught.value
    assert (error.status_code, error.code) == (429, "TooManyRequestsException")
    assert error.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    records = aws.requests()
    assert len(records) == 1
    assert records.outcome.tolist() == ["throttled"]
    assert aws.function("f").created == 0


def test_throttle_button_released_lets_requests_through() -> None:
    aws = deploy(service(), reserved_concurrency=0)
    with pytest.raises(ll.TooManyRequestsException):
        invoke(aws)
    aws.delete_function_concurrency(FunctionName="f")
    assert invoke(aws)["StatusCode"] == 200
    assert aws.requests().outcome.tolist() == ["throttled", "success"]


def test_reserved_concurrency_caps_overlapping_requests() -> None:
    aws = deploy(service(), reserved_concurrency=1)
    results: list[Any] = []
    for _ in range(2):
        aws.submit("f", json.dumps({"action": "sleep", "seconds": 1}), callback=results.append)
    aws.sim.run()
    assert sorted(r.status_code for r in results) == [200, 429]
    (throttled,) = [r for r in results if r.status_code == 429]
    assert throttled.throttle_reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert throttled.payload is None


# -- cold and warm starts ------------------------------------------------------------------------------


def test_cold_start_then_warm_starts() -> None:
    aws = deploy(service())
    for _ in range(3):
        invoke(aws)
    records = aws.requests()
    assert records.cold.tolist() == [True, False, False]
    assert records.env_id.nunique() == 1
    assert records.init_duration.tolist() == [0.25, 0.0, 0.0]
    report = [e.message for _, e in aws.log_group("f").events() if e.message.startswith("REPORT")]
    assert ["Init Duration" in line for line in report] == [True, False, False]


def test_an_idle_environment_is_reaped_and_the_next_start_is_cold() -> None:
    aws = deploy(service())
    invoke(aws)
    aws.sim.run(until=aws.sim.now + 601)  # today's model keeps an idle environment 600 s
    invoke(aws)
    assert aws.requests().cold.tolist() == [True, True]


# -- metrics -------------------------------------------------------------------------------------------


def test_cloudwatch_metrics_count_invocations_errors_throttles_and_cold_starts() -> None:
    aws = deploy(service())
    invoke(aws)  # cold
    invoke(aws)  # warm
    invoke(aws, {"action": "fail"})  # an error keeps the environment
    invoke(aws, {"action": "sleep", "seconds": 10})  # a timeout resets it
    invoke(aws)  # the same environment runs INIT again inside this request: no cold start
    aws.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
    with pytest.raises(ll.TooManyRequestsException):
        invoke(aws)
    aws.delete_function_concurrency(FunctionName="f")
    aws.sim.run(until=120.0)
    invoke(aws)  # the next minute, warm
    metrics = aws.metrics(period=60)
    assert {"Invocations", "Errors", "Throttles", "ColdStarts"} <= set(metrics.columns)
    assert metrics.index.tolist() == [0.0, 120.0]
    first, later = metrics.loc[0.0], metrics.loc[120.0]
    assert (first.Invocations, first.Errors, first.Throttles, first.ColdStarts) == (5, 2, 1, 1)
    assert (later.Invocations, later.Errors, later.Throttles, later.ColdStarts) == (1, 0, 0, 0)


# -- Region and account ----------------------------------------------------------------------------------


def test_every_arn_names_the_services_region_and_account() -> None:
    """ARNs have the form arn:aws:<service>:<region>:<account>:<resource>
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html); the context's
    ``invoked_function_arn`` is the function's (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html)."""
    aws = ll.Lambda(ll.Simulation(seed=1), region="eu-west-1", account_id="210987654321")
    seen: list[tuple[str, Any]] = []
    aws.create_function("f", lambda event, context: seen.append((context.invoked_function_arn, event)))
    config = aws.function("f").config
    assert config.arn == "arn:aws:lambda:eu-west-1:210987654321:function:f"
    assert config.role == "arn:aws:iam::210987654321:role/lambda-execution-role"
    aws.invoke(FunctionName="f")
    assert seen[0][0] == config.arn
    queue, stream = aws.create_queue("q"), aws.create_stream("s")
    table = aws.create_stream("t", kind="dynamodb")
    assert queue.arn == "arn:aws:sqs:eu-west-1:210987654321:q"
    assert queue.url == "https://sqs.eu-west-1.amazonaws.com/210987654321/q"
    assert stream.arn == "arn:aws:kinesis:eu-west-1:210987654321:stream/s"
    assert table.arn.startswith("arn:aws:dynamodb:eu-west-1:210987654321:table/t/stream/")
    assert aws.create_topic("t").arn == "arn:aws:sns:eu-west-1:210987654321:t"
    assert aws.create_event_bus().arn == "arn:aws:events:eu-west-1:210987654321:event-bus/default"
    aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f")
    queue.send_message(MessageBody="{}")
    aws.sim.run()
    record = seen[1][1]["Records"][0]
    assert (record["eventSourceARN"], record["awsRegion"]) == (queue.arn, "eu-west-1")
    with pytest.raises(ll.ResourceNotFoundException, match="arn:aws:lambda:eu-west-1:210987654321:function:g"):
        aws.function("g")
    with pytest.raises(ValueError, match="12 digits"):
        ll.Lambda(account_id="42")


# -- ClientContext -----------------------------------------------------------------------------------------


def b64json(data: Any) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_client_context_reaches_the_handler_as_the_python_runtime_shows_it() -> None:
    """Invoke's ClientContext: up to 3,583 bytes of base64 JSON, passed to the function for synchronous
    invocations only (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html); the Python context's
    ``client_context`` has ``client`` (``installation_id``, ``app_title``, ``app_version_name``,
    ``app_version_code``, ``app_package_name``), ``custom`` and ``env``
    (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html)."""
    aws = service()
    seen: list[Any] = []
    aws.create_function("f", lambda event, context: seen.append(context.client_context))
    data = {
        "client": {"installation_id": "i-1", "app_title": "Orders", "app_version_code": "42"},
        "custom": {"tenant": "acme"},
        "env": {"platform": "Android", "locale": "en_GB"},
    }
    aws.invoke(FunctionName="f", ClientContext=b64json(data))
    context = seen[0]
    assert context.custom == {"tenant": "acme"} and context.env == {"platform": "Android", "locale": "en_GB"}
    client = context.client
    assert (client.installation_id, client.app_title, client.app_version_code) == ("i-1", "Orders", "42")
    assert client.app_version_name is None and client.app_package_name is None
    aws.invoke(FunctionName="f", ClientContext=b64json({"custom": {"a": 1}}))
    assert (seen[1].client, seen[1].env, seen[1].custom) == (None, None, {"a": 1})
    aws.invoke(FunctionName="f")
    aws.invoke(FunctionName="f", InvocationType="Event", ClientContext=b64json(data))
    aws.sim.run()
    assert seen[2:] == [None, None]  # none given; an Event invocation does not pass it


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"{not json").decode(), b64json([1, 2])])
def test_client_context_must_be_base64_of_a_json_object(value: str) -> None:
    aws = deploy(service())
    with pytest.raises(ll.InvalidRequestContentException) as caught:
        aws.invoke(FunctionName="f", ClientContext=value)
    assert caught.value.message == "Client context must be a valid Base64-encoded JSON object."
    assert aws.requests().empty


def test_client_context_holds_at_most_3583_bytes() -> None:
    aws = deploy(service())
    over = b64json({"custom": {"pad": "x" * 2663}})
    assert len(over) == 3584  # base64 comes in 4-byte groups: 3,580 is the largest full one below the limit
    with pytest.raises(ll.ValidationException, match="length less than or equal to 3583"):
        aws.invoke(FunctionName="f", ClientContext=over)
    fits = b64json({"custom": {"pad": "x" * 2660}})
    assert len(fits) == 3580 and aws.invoke(FunctionName="f", ClientContext=fits)["StatusCode"] == 200
