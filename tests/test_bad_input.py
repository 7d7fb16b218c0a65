"""Bad input to the Python API: a clear error that says what is allowed, never a hang, a NaN clock or a traceback
from deep inside (issue 8). ``tests/test_fuzz.py`` looks for more of the same with hypothesis."""

from __future__ import annotations

import math
from typing import Any

import pytest

import lambdalab as ll
from lambdalab.errors import InvalidParameterValueException

NAN, INF = math.nan, math.inf


def service(**kwargs: Any) -> ll.Lambda:
    aws = ll.Lambda(ll.Simulation(seed=1), **kwargs)
    aws.create_function("f", duration="const:0.1")
    return aws


# -- the account ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [NAN, INF, 1e30, 1000.0, True, "1000"])
def test_account_concurrency_is_a_whole_number(value: object) -> None:
    with pytest.raises(InvalidParameterValueException, match="whole number of at least 100"):
        ll.Lambda(account_concurrency=value)  # type: ignore[arg-type]


def test_account_concurrency_below_the_unreserved_minimum_is_refused() -> None:
    with pytest.raises(InvalidParameterValueException, match="below the 100 that must stay unreserved"):
        ll.Lambda(account_concurrency=50)
    assert ll.Lambda(account_concurrency=10**6).concurrency.account_limit == 10**6


# -- the clock ------------------------------------------------------------------------------------------
def test_run_until_with_nothing_left_to_do_returns() -> None:
    """``run_until(done)`` once spun forever when the queue was empty and ``done()`` never came true."""
    sim = ll.Simulation()
    sim.schedule(1.0, lambda: None)
    sim.run_until(lambda: False)
    assert sim.now == 1.0 and sim.pending == 0


def test_the_clock_stops_at_the_end_of_its_calendar() -> None:
    """A time past the year 9999 cannot be shown in a log line: refused when scheduled, not when logged."""
    sim = ll.Simulation()
    assert 2.5e11 < sim.horizon < 2.52e11
    for call in (lambda: sim.run(until=1e12), lambda: sim.at(3e11, lambda: None), lambda: sim.schedule(1e300, print)):
        with pytest.raises(ValueError, match="past the end of the clock's calendar: the year 9999"):
            call()
    sim.run(until=sim.horizon)
    assert sim.iso().startswith("9999-12-31T23:59:5")


# -- traffic --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"rate": INF}, ValueError, "rate must be a finite number > 0"),
        ({"rate": NAN}, ValueError, "rate must be a finite number > 0"),
        ({"rate": 0}, ValueError, "rate must be a finite number > 0"),
        ({"rate": 10**400}, ValueError, "rate must be a finite number > 0"),
        ({"rate": "5"}, TypeError, "rate must be a number"),
        ({"until": NAN}, ValueError, "until must be a finite number of seconds"),
        ({"until": INF}, ValueError, "until must be a finite number of seconds"),
        ({"start": NAN}, ValueError, "start must be a finite number of seconds"),
        ({"rate": 1e9, "until": 10.0}, ValueError, "about 10,000,000,000 requests, more than max_requests"),
        ({"rate": 1e308}, ValueError, "more than max_requests"),
    ],
)
def test_poisson_traffic_that_cannot_finish_is_refused(kwargs: dict[str, Any], error: type, message: str) -> None:
    """``poisson(rate=inf)`` once scheduled every arrival at the same instant, forever."""
    aws = service()
    args = {"rate": 1.0, "until": 10.0, **kwargs}
    with pytest.raises(error, match=message):
        ll.poisson(aws, "f", args.pop("rate"), args.pop("until"), **args)
    assert aws.sim.pending == 0


def test_max_requests_lets_bigger_poisson_traffic_through() -> None:
    aws = service()
    with pytest.raises(ValueError, match="pass max_requests=1000"):
        ll.poisson(aws, "f", 100.0, 10.0, max_requests=500)
    ll.poisson(aws, "f", 100.0, 10.0, max_requests=1000)
    aws.sim.run()
    assert 900 < len(aws.requests()) < 1100


def test_poisson_cannot_start_in_the_past() -> None:
    aws = service()
    aws.sim.run(until=5.0)
    with pytest.raises(ValueError, match="the clock is already at 5"):
        ll.poisson(aws, "f", 1.0, 10.0, start=1.0)


@pytest.mark.parametrize("bad", [NAN, INF, -1.0, "3", None])
def test_at_times_checks_every_time_before_scheduling_any(bad: object) -> None:
    aws = service()
    with pytest.raises((ValueError, TypeError), match=r"time|clock"):
        ll.at_times(aws, "f", [1.0, 2.0, bad])  # type: ignore[list-item]
    assert aws.sim.pending == 0


def test_at_times_checks_the_payload_up_front() -> None:
    aws = service()
    with pytest.raises(ll.InvalidRequestContentException):
        ll.at_times(aws, "f", [1.0], payload=b"{not json")
    assert aws.sim.pending == 0


# -- results --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("period", [0, -60, NAN, INF, 10**400, "60", True])
def test_a_metrics_period_is_a_positive_number_of_seconds(period: object) -> None:
    aws = service()
    aws.invoke(FunctionName="f")
    with pytest.raises(ValueError, match="period must be a number of seconds > 0"):
        aws.metrics(period)  # type: ignore[arg-type]


# -- configuration --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["A=1", ["A", "1"], 3, None])
def test_environment_variables_are_a_mapping(value: object) -> None:
    aws = ll.Lambda(ll.Simulation())
    with pytest.raises(InvalidParameterValueException, match="mapping of names to strings"):
        aws.create_function("f", duration="const:1", environment=value)


def test_vpc_config_is_a_vpc_config() -> None:
    aws = ll.Lambda(ll.Simulation())
    with pytest.raises(InvalidParameterValueException, match="VpcConfig must be a VpcConfig"):
        aws.create_function("f", duration="const:1", vpc_config={"SubnetIds": ["s"]})


def test_a_cold_start_model_is_made_of_distributions() -> None:
    zero = ll.Dist("const", 0.0)
    with pytest.raises(TypeError, match=r"ColdStartModel\.idle_lifetime must be a Dist"):
        ll.ColdStartModel(zero, zero, zero, zero, None, "const:600")  # type: ignore[arg-type]
    assert ll.ColdStartModel(zero, zero, zero, zero, None, ll.Dist.parse("const:600")).eni is None


# -- pricing and figures --------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [10**400, -(10**400), NAN, INF, -1])
def test_prices_take_finite_numbers(value: float) -> None:
    for call in (
        lambda: ll.lambda_vcpus(value),
        lambda: ll.requests_per_month(value),
        lambda: ll.lambda_cost(ll.LambdaWorkload(value, 100, 128)),
    ):
        with pytest.raises(ValueError, match="must be a finite number >= 0"):
            call()


def test_figure_helpers_say_what_they_take() -> None:
    with pytest.raises(TypeError, match="series' index"):
        ll.figures.line(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="height is a whole number of pixels"):
        ll.figures.layout(NAN)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="digits is a whole number"):
        ll.figures.rounded([1.0], 0)
    with pytest.raises(TypeError, match="takes numbers"):
        ll.figures.rounded(["1"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="too large for a float"):
        ll.figures.rounded([10**400])
    assert ll.figures.rounded([NAN, INF, 1234567.89], 3)[2] == 1230000.0


# -- queues and streams ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [NAN, INF, -INF, 0, 59, 1_209_601, 1e12])
def test_sqs_retention_is_one_minute_to_fourteen_days(value: float) -> None:
    with pytest.raises(InvalidParameterValueException, match=r"between 60 seconds \(1 minute\) and 1209600"):
        ll.Lambda().create_queue("q", retention_period=value)


def test_sqs_settings_of_the_wrong_type_or_form_are_refused() -> None:
    aws = ll.Lambda()
    for settings, message in (
        ({"retention_period": "60"}, "MessageRetentionPeriod must be a number of seconds"),
        ({"visibility_timeout": None}, "VisibilityTimeout must be a number of seconds"),
        ({"visibility_timeout": NAN}, "VisibilityTimeout must be between 0 and 43200"),
        ({"dead_letter_queue": "arn:aws:sqs:us-east-1:123456789012:dlq"}, "The dead-letter queue must be an SQS queue"),
        ({"max_receive_count": 1.5}, "maxReceiveCount must be a whole number"),
    ):
        with pytest.raises(InvalidParameterValueException, match=message):
            aws.create_queue("q", **settings)
    for name in ("", "a" * 81, "orders queue", 7):
        with pytest.raises(InvalidParameterValueException, match="Invalid queue name"):
            aws.create_queue(name)  # type: ignore[arg-type]
    queue = aws.create_queue("q", retention_period=60, visibility_timeout=0)
    assert queue.retention_period == 60


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "ShardCount must be a whole number"),
        (NAN, "ShardCount must be a whole number"),
        (INF, "ShardCount must be a whole number"),
        (True, "ShardCount must be a whole number"),
        ("2", "ShardCount must be a whole number"),
        (0, "at least one shard"),
        (-3, "at least one shard"),
        (10**9, "above the account's default shard quota of 20,000"),
    ],
)
def test_a_stream_has_a_whole_number_of_shards(value: object, message: str) -> None:
    with pytest.raises(InvalidParameterValueException, match=message):
        ll.Lambda().create_stream("s", shard_count=value)  # type: ignore[arg-type]


def test_a_stream_name_follows_kinesis_rules() -> None:
    with pytest.raises(ll.ValidationException, match="streamName"):
        ll.Lambda().create_stream("clicks stream")
    assert ll.Lambda().create_stream("clicks.v2_x-1", shard_count=20_000).shard_count == 20_000


# -- the Lambda API -------------------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["", "US-EAST-1", "us_east_1", "moon", 1, None])
def test_a_region_is_a_region_code(region: object) -> None:
    with pytest.raises(ValueError, match="region is an AWS Region's code"):
        ll.Lambda(region=region)  # type: ignore[arg-type]


def test_a_function_name_that_is_not_a_string_is_a_validation_error() -> None:
    aws = ll.Lambda()
    for name in (7, None, 1.5):
        with pytest.raises(ll.ValidationException, match="functionName"):
            aws.create_function(name, duration="const:1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"error_rate": NAN}, ValueError, r"error_rate must be a probability in \[0, 1\]"),
        ({"error_rate": 1.5}, ValueError, r"error_rate must be a probability in \[0, 1\]"),
        ({"error_rate": "0.1"}, TypeError, r"error_rate is a probability in \[0, 1\]"),
        ({"error_rate": True}, TypeError, r"error_rate is a probability in \[0, 1\]"),
        ({"memory_used_mb": NAN}, TypeError, "memory_used_mb is a whole number of MB"),
        ({"memory_used_mb": 0}, ValueError, r"between 1 and the memory size \(128 MB\)"),
        ({"memory_used_mb": 129}, ValueError, r"between 1 and the memory size \(128 MB\)"),
        ({"cold_start": "today"}, TypeError, "cold_start is a ColdStartModel"),
        ({"duration": None, "error_rate": 0.5}, TypeError, "give duration too"),
        ({"duration": [1]}, TypeError, "a distribution is a string"),
    ],
)
def test_statistical_function_settings_say_what_they_take(kwargs: dict[str, Any], error: type, message: str) -> None:
    aws = ll.Lambda()
    with pytest.raises(error, match=message):
        aws.create_function("f", **{"duration": "const:1", **kwargs})
    assert aws.functions == {}


@pytest.mark.parametrize("payload", [{"x": NAN}, [INF], -INF, {"x": {1, 2}}, object()])
def test_a_payload_that_is_not_json_is_refused(payload: object) -> None:
    """``json.dumps`` once wrote NaN and Infinity into the request: not JSON, so AWS refuses it. (``submit``:
    ``invoke`` takes bytes, as boto3 does, and refuses any object with botocore's ``ParamValidationError``.)"""
    aws = service()
    with pytest.raises(ll.InvalidRequestContentException):
        aws.submit("f", payload)
    with pytest.raises(ll.ParamValidationError, match="Invalid type for parameter Payload"):
        aws.invoke(FunctionName="f", Payload=payload)
    assert len(aws.requests()) == 0


@pytest.mark.parametrize("raw", [b"NaN", b'{"x": Infinity}', b"[-Infinity]", b"[" * 100_000])
def test_raw_payloads_are_read_as_strict_json(raw: bytes) -> None:
    aws = service()
    with pytest.raises(ll.InvalidRequestContentException, match="Could not parse request body into json"):
        aws.invoke(FunctionName="f", Payload=raw)


def test_stream_records_are_checked_when_put_not_when_read() -> None:
    """Found by tests/test_fuzz.py: bytes put on a DynamoDB stream, or an int on a Kinesis stream, once raised
    from inside the simulation when the mapping read them."""
    aws = ll.Lambda()
    aws.create_function("reader", duration="const:0.1")
    kinesis, table = aws.create_stream("clicks"), aws.create_stream("orders", kind="dynamodb")
    for stream in (kinesis, table):
        aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="reader", StartingPosition="LATEST")
    for call, message in (
        (lambda: kinesis.put_record(5, partition_key="k"), "data is bytes or text"),
        (lambda: kinesis.put_record(b"x", partition_key=""), "partition key is a string of 1-256"),
        (lambda: kinesis.put_record(b"x", partition_key=7), "partition key is a string of 1-256"),
        (lambda: table.put_record(b"x", partition_key="k"), "use put_change"),
        (lambda: table.put_change("UPSERT", {"id": "1"}), "INSERT, MODIFY or REMOVE"),
        (lambda: table.put_change("INSERT", "1"), "key attributes as a dict"),
    ):
        with pytest.raises(InvalidParameterValueException, match=message):
            call()
    assert aws.ledger.open == 0


@pytest.mark.parametrize(
    ("setting", "value", "valid"),
    [
        ("BatchSize", 1.5, "<class 'int'>"),
        ("ParallelizationFactor", 2.0, "<class 'int'>"),
        ("MaximumRetryAttempts", NAN, "<class 'int'>"),
        ("MaximumRecordAgeInSeconds", "60", "<class 'int'>"),
        ("BisectBatchOnFunctionError", NAN, "<class 'bool'>"),
        ("Enabled", "yes", "<class 'bool'>"),
        ("DestinationConfig", "arn:aws:sqs:us-east-1:123456789012:dlq", "<class 'dict'>"),
        ("StartingPosition", 0, "<class 'str'>"),
    ],
)
def test_stream_mapping_settings_of_the_wrong_type_are_botocores_error(setting: str, value: object, valid: str) -> None:
    """Found by tests/test_fuzz.py: BatchSize=1.5 once passed the range check and failed inside the simulation.
    boto3 refuses a value of the wrong type before sending it, in botocore's words (botocore/validate.py)."""
    aws = ll.Lambda()
    aws.create_function("reader", duration="const:0.1")
    stream = aws.create_stream("clicks")
    settings = {"StartingPosition": "LATEST", setting: value}
    with pytest.raises(ll.ParamValidationError) as error:
        aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="reader", **settings)
    assert str(error.value) == (
        "Parameter validation failed:\n"
        f"Invalid type for parameter {setting}, value: {value}, type: {type(value)}, valid types: {valid}"
    )
    assert not aws.mappings, "nothing is created"


def test_every_wrong_type_is_reported_at_once() -> None:
    aws = ll.Lambda()
    aws.create_function("reader", duration="const:0.1")
    queue = aws.create_queue("orders")
    with pytest.raises(ll.ParamValidationError) as error:
        aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="reader", BatchSize="10", Enabled=1)
    assert error.value.report.splitlines() == [
        "Invalid type for parameter BatchSize, value: 10, type: <class 'str'>, valid types: <class 'int'>",
        "Invalid type for parameter Enabled, value: 1, type: <class 'int'>, valid types: <class 'bool'>",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"peak_to_average": INF}, "peak_to_average must be a finite number"),
        ({"target_utilisation": 5e-324}, "needs uncountably many instances"),
        ({"vcpu_per_request": NAN}, "vcpu_per_request must be a finite number"),
        ({"min_instances": 2.5}, "min_instances must be a whole number"),
    ],
)
def test_a_fleet_that_cannot_be_counted_is_refused(kwargs: dict[str, Any], message: str) -> None:
    """Found by tests/test_fuzz.py: an infinite peak once raised OverflowError from math.ceil."""
    with pytest.raises((ValueError, TypeError), match=message):
        ll.fleet_cost(1e6, 100.0, **kwargs)


def test_more_of_the_api_says_what_it_takes() -> None:
    """Found by probing the public API with wrong types: each was a KeyError, an AttributeError or a
    FileNotFoundError from inside lambdalab."""
    aws = service()
    queue = aws.create_queue("q")
    for call, error, message in (
        (
            lambda: aws.update_function_configuration("f", DeadLetterConfig={}),
            InvalidParameterValueException,
            "DeadLetterConfig is",
        ),
        (
            lambda: aws.update_function_configuration("f", DeadLetterConfig="arn"),
            InvalidParameterValueException,
            "DeadLetterConfig",
        ),
        (
            lambda: aws.put_function_event_invoke_config("f", DestinationConfig={"OnFailure": {}}),
            InvalidParameterValueException,
            "DestinationConfig is",
        ),
        (lambda: ll.Lambda("sim"), TypeError, "sim is a Simulation"),  # type: ignore[arg-type]
        (lambda: queue.send_message(3), InvalidParameterValueException, "MessageBody is a non-empty string"),
        (lambda: queue.send_message(""), InvalidParameterValueException, "MessageBody is a non-empty string"),
        (lambda: queue.send_message("{}", 3), InvalidParameterValueException, "MessageAttributes are a dict"),
        (lambda: ll.Code.from_zip("no-such.zip"), InvalidParameterValueException, "not a zip file's bytes or path"),
        (lambda: ll.fleet_cost(1e6, 100.0, instance="m5.large"), TypeError, "instance is an InstanceType"),
    ):
        with pytest.raises(error, match=message):
            call()
    assert aws.ledger.open == 0


@pytest.mark.parametrize("setting", ["MaximumRetryAttempts", "MaximumEventAgeInSeconds"])
def test_event_invoke_settings_are_numbers_not_booleans(setting: str) -> None:
    with pytest.raises(ll.ValidationException, match="failed to satisfy constraint"):
        service().put_function_event_invoke_config("f", **{setting: True})
