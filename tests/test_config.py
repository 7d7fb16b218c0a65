"""CreateFunction's validation, through Lambda.create_function, with AWS's exceptions and messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdalab as ll
from lambdalab.quotas import RESERVED_ENV_VARS


def handler(event: Any, context: Any) -> str:
    return "ok"


def service(era: str = "today") -> ll.Lambda:
    return ll.Lambda(ll.Simulation(seed=3), era=era)


def create(era: str = "today", name: str = "f", **settings: Any) -> ll.Lambda:
    aws = service(era)
    if era == "2019":
        settings.setdefault("runtime", "python3.7")
    aws.create_function(name, handler, **settings)
    return aws


def constraint(value: object, field: str, rule: str) -> str:
    return f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}"


# -- name, runtime, handler, role ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["my function", "x" * 65, ""])
def test_bad_function_name_is_a_validation_error(name: str) -> None:
    with pytest.raises(ll.ValidationException) as caught:
        create(name=name)
    assert caught.value.status_code == 400
    assert caught.value.message.startswith(f"1 validation error detected: Value '{name}' at 'functionName' ")


def test_good_function_names_are_accepted() -> None:
    for name in ("f", "my-function_2", "x" * 64):
        assert name in create(name=name).functions


@pytest.mark.parametrize(
    ("era", "runtime", "accepted"),
    [
        ("2019", "python3.7", True),
        ("2019", "python3.8", True),  # November 2019
        ("today", "python3.14", True),
        ("today", "nodejs24.x", True),
        ("today", "java25", True),
        ("today", "dotnet10", True),
        ("today", "python3.9", True),  # deprecated December 2025, but creation is blocked only from February 2027
        ("today", "nodejs18.x", True),
        ("today", "python3.7", False),
        ("today", "python2.7", False),
        ("today", "go1.x", False),
    ],
)
def test_runtimes_are_checked_per_era(era: str, runtime: str, accepted: bool) -> None:
    if accepted:
        assert create(era, runtime=runtime).function("f").config.runtime == runtime
        return
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        create(era, runtime=runtime)
    assert caught.value.message == (
        f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use a supported runtime while creating or updating functions."
    )


def test_a_blocked_runtime_in_2019_is_refused_in_the_words_of_2019() -> None:
    """Until 2024 the message named the language's newest runtime (ModusCreateOrg/lambda-redirector#14, 2019)."""
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        create("2019", runtime="nodejs6.10")
    assert caught.value.message == (
        "The runtime parameter of nodejs6.10 is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use the new runtime (nodejs12.x) while creating or updating functions."
    )


@pytest.mark.parametrize(("era", "runtime"), [("2019", "python3.12"), ("today", "python9.9"), ("today", "cobol")])
def test_a_runtime_unknown_in_the_era_fails_the_enum_check(era: str, runtime: str) -> None:
    with pytest.raises(ll.ValidationException) as caught:
        create(era, runtime=runtime)
    assert caught.value.message.startswith(
        f"1 validation error detected: Value '{runtime}' at 'runtime' failed to satisfy constraint: "
        "Member must satisfy enum value set: [nodejs"
    )
    assert ("python3.14" in caught.value.message) is (era == "today")


def test_every_runtime_has_ordered_dates_and_each_era_list_follows_them() -> None:
    from lambdalab.config import ERA_DATES, RUNTIME_DATES, RUNTIMES, runtimes_table

    for r in RUNTIME_DATES:
        dates = [d for d in (r.released, r.deprecated, r.block_update) if d is not None]
        assert dates == sorted(dates), r
        assert r.block_create is None or r.block_update is None or r.block_create <= r.block_update, r
    for era, day in ERA_DATES.items():
        for r in RUNTIME_DATES:
            blocked = r.block_create is not None and r.block_create <= day
            assert (r.runtime in RUNTIMES[era]) is (r.released <= day and not blocked)
    rows = {row["runtime"]: row for row in runtimes_table()}
    assert rows["python2.7"]["2019"] and not rows["python2.7"]["today"]


@pytest.mark.parametrize(("era", "runtime"), [("2019", "python3.7"), ("today", "python3.14")])
def test_the_default_runtime_is_the_eras_python(era: str, runtime: str) -> None:
    assert service(era).create_function("f", handler).config.runtime == runtime


def test_handler_with_whitespace_is_a_validation_error() -> None:
    with pytest.raises(ll.ValidationException, match="at 'handler'"):
        create(handler="app .handler")


@pytest.mark.parametrize("role", ["lambda-role", "arn:aws:iam::123:role/x"])
def test_bad_role_arn_is_a_validation_error(role: str) -> None:
    with pytest.raises(ll.ValidationException) as caught:
        create(role=role)
    assert caught.value.message.startswith(constraint(role, "role", "Member must satisfy regular expression"))


# -- memory, timeout, storage --------------------------------------------------------------------------


@pytest.mark.parametrize("era", ["2019", "today"])
def test_memory_below_128_has_aws_message(era: str) -> None:
    with pytest.raises(ll.ValidationException) as caught:
        create(era, memory_size=64)
    assert caught.value.message == (
        "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )


@pytest.mark.parametrize(("era", "memory", "maximum"), [("2019", 3072, 3008), ("today", 10_241, 10_240)])
def test_memory_above_the_era_maximum_is_refused(era: str, memory: int, maximum: int) -> None:
    with pytest.raises(ll.ValidationException) as caught:
        create(era, memory_size=memory)
    # AWS's message word for word; lambdalab's note for learners is kept apart, in ``hint``.
    assert caught.value.message == constraint(
        memory, "memorySize", f"Member must have value less than or equal to {maximum}"
    )
    assert str(caught.value) == f"ValidationException: {caught.value.message}"
    if era == "2019":
        assert caught.value.hint is not None and "10,240 MB since December 2020" in caught.value.hint
    else:
        assert caught.value.hint is None


@pytest.mark.parametrize("memory", [200, 1769])
def test_2019_memory_must_be_in_64_mb_steps(memory: int) -> None:
    with pytest.raises(ll.InvalidParameterValueException, match="64 MB steps"):
        create("2019", memory_size=memory)
    assert create("today", memory_size=memory).function("f").config.memory_size == memory


@pytest.mark.parametrize(("era", "memory"), [("2019", 3008), ("today", 10_240)])
def test_memory_in_range_is_accepted(era: str, memory: int) -> None:
    assert create(era, memory_size=memory).function("f").config.memory_size == memory


def test_timeout_zero_is_a_validation_error() -> None:
    with pytest.raises(ll.ValidationException) as caught:
        create(timeout=0)
    assert caught.value.message == constraint(0, "timeout", "Member must have value greater than or equal to 1")


def test_timeout_over_15_minutes_is_refused() -> None:
    with pytest.raises(ll.LambdaError) as caught:
        create(timeout=901)
    assert caught.value.status_code == 400
    assert "901" in caught.value.message and "900" in caught.value.message
    assert create(timeout=900).function("f").config.timeout == 900


@pytest.mark.parametrize(
    ("era", "size", "rule"),
    [
        ("today", 511, "Member must have value greater than or equal to 512"),
        ("today", 10_241, "Member must have value less than or equal to 10240"),
    ],
)
def test_ephemeral_storage_out_of_range_is_refused(era: str, size: int, rule: str) -> None:
    with pytest.raises(ll.ValidationException) as caught:
        create(era, ephemeral_storage=size)
    assert caught.value.message.startswith(constraint(size, "ephemeralStorage.size", rule))


# -- environment variables -----------------------------------------------------------------------------


def test_reserved_environment_variable_has_aws_message() -> None:
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        create(environment={"TABLE": "t", "AWS_REGION": "eu-west-1"})
    assert caught.value.message == (
        "Lambda was unable to configure your environment variables because the environment variables you have "
        "provided contains reserved keys that are currently not supported for modification. "
        "Reserved keys used in this request: AWS_REGION"
    )


@pytest.mark.parametrize("key", ["AWS_LAMBDA_FUNCTION_NAME", "AWS_SESSION_TOKEN", "LAMBDA_TASK_ROOT"])
def test_reserved_keys_are_refused(key: str) -> None:
    assert key in RESERVED_ENV_VARS
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        create(environment={key: "x"})
    assert caught.value.message.endswith(f"Reserved keys used in this request: {key}")


@pytest.mark.parametrize("key", ["_HANDLER", "_X_AMZN_TRACE_ID"])
def test_reserved_keys_starting_with_underscore_already_fail_the_key_pattern(key: str) -> None:
    with pytest.raises(ll.ValidationException, match=r"at 'environment\.variables'"):
        create(environment={key: "x"})


def test_several_reserved_keys_are_listed_in_order() -> None:
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        create(environment={"AWS_REGION": "x", "AWS_ACCESS_KEY_ID": "y"})
    assert caught.value.message.endswith("Reserved keys used in this request: AWS_ACCESS_KEY_ID,AWS_REGION")


def test_environment_over_4_kb_has_aws_message() -> None:
    variables = {"BIG": "x" * 4087}  # {"BIG":"xxx..."} measures 4097 bytes
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        create(environment=variables)
    prefix = (
        "Lambda was unable to configure your environment variables because the environment variables you have "
        "provided exceeded the 4KB limit. String measured: "
    )
    assert caught.value.message.startswith(prefix)
    assert caught.value.message == prefix + json.dumps(variables, separators=(",", ":"))


def test_environment_of_exactly_4_kb_is_accepted() -> None:
    variables = {"BIG": "x" * 4086}
    assert len(json.dumps(variables, separators=(",", ":"))) == 4096
    assert create(environment=variables).function("f").config.environment == variables


@pytest.mark.parametrize("key", ["1ABC", "BAD-KEY", "A", "has space"])
def test_bad_environment_variable_key_is_a_validation_error(key: str) -> None:
    with pytest.raises(ll.ValidationException) as caught:
        create(environment={key: "v"})
    assert caught.value.message.startswith(constraint(key, "environment.variables", "Member must satisfy"))


def test_environment_variable_value_must_be_a_string() -> None:
    with pytest.raises(ll.InvalidParameterValueException, match="must be a string"):
        create(environment={"PORT": 8080})


# -- architecture and concurrency ----------------------------------------------------------------------


def test_arm64_is_refused_in_2019_and_accepted_today() -> None:
    with pytest.raises(ll.ParamValidationError, match='Unknown parameter in input: "Architectures"'):
        create("2019", architecture=ll.Architecture.ARM64)  # tests/test_era_parameters.py: the message
    assert create("today", architecture="arm64").function("f").config.architecture == "arm64"


def test_unknown_architecture_is_a_validation_error() -> None:
    with pytest.raises(ll.ValidationException, match="at 'architectures'"):
        create(architecture="sparc")


def test_provisioned_concurrency_is_refused_in_2019() -> None:
    aws = create("2019")
    aws.publish_version(FunctionName="f")
    with pytest.raises(ll.InvalidParameterValueException, match="December 2019"):
        aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)


def test_provisioned_concurrency_needs_a_published_version_or_alias() -> None:
    """PutProvisionedConcurrencyConfig's Qualifier is required, and $LATEST cannot have it
    (https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html)."""
    aws = create()
    with pytest.raises(ll.InvalidParameterValueException, match="Qualifier is required"):
        aws.put_provisioned_concurrency_config(FunctionName="f", ProvisionedConcurrentExecutions=1)
    with pytest.raises(ll.InvalidParameterValueException, match="cannot be applied to unpublished function versions"):
        aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
    with pytest.raises(ll.ResourceNotFoundException):
        aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)


RESERVED_MESSAGE = (
    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
    "below its minimum value of [100]."
)


def test_reserved_concurrency_must_leave_100_unreserved() -> None:
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        create(reserved_concurrency=901)
    assert caught.value.message == RESERVED_MESSAGE
    assert create(reserved_concurrency=900).function("f").config.reserved_concurrency == 900


def test_reserved_concurrency_counts_every_function() -> None:
    aws = create(name="a", reserved_concurrency=500)
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        aws.create_function("b", handler, reserved_concurrency=401)
    assert caught.value.message == RESERVED_MESSAGE
    aws.create_function("c", handler)
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        aws.put_function_concurrency(FunctionName="c", ReservedConcurrentExecutions=401)
    assert caught.value.message == RESERVED_MESSAGE
    assert aws.put_function_concurrency(FunctionName="c", ReservedConcurrentExecutions=400) == {
        "ReservedConcurrentExecutions": 400
    }


def test_negative_reserved_concurrency_is_a_validation_error() -> None:
    with pytest.raises(ll.ValidationException, match="at 'reservedConcurrentExecutions'"):
        create(reserved_concurrency=-1)


# -- a refused create leaves nothing behind ------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [{"memory_size": 64}, {"environment": {"AWS_REGION": "x"}}, {"reserved_concurrency": 901}],
    ids=["memory", "reserved-env", "reserved-concurrency"],
)
def test_a_refused_create_leaves_no_function(settings: dict[str, Any]) -> None:
    aws = service()
    with pytest.raises(ll.LambdaError):
        aws.create_function("f", handler, **settings)
    with pytest.raises(ll.ResourceNotFoundException):
        aws.function("f")
    aws.create_function("f", handler)  # the name is still free
    assert aws.invoke(FunctionName="f")["Payload"].read() == b'"ok"'


def test_provisioned_concurrency_refused_for_the_account_changes_nothing() -> None:
    aws = service()
    aws.create_function("f", handler)
    aws.publish_version(FunctionName="f")
    with pytest.raises(ll.InvalidParameterValueException, match="exceeds the available"):
        aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=950)
    assert aws.provisioned == {} and not aws.functions["f"].published["1"].environments
    with pytest.raises(ll.ProvisionedConcurrencyConfigNotFoundException):
        aws.get_provisioned_concurrency_config(FunctionName="f", Qualifier="1")


def test_config_object_and_keyword_settings_do_not_mix() -> None:
    aws = service()
    with pytest.raises(TypeError):
        aws.create_function(ll.FunctionConfig("f"), handler, memory_size=256)


def test_a_function_config_object_is_accepted() -> None:
    aws = service()
    fn = aws.create_function(ll.FunctionConfig("f", memory_size=256, timeout=10), handler)
    assert (fn.config.memory_size, fn.config.timeout) == (256, 10)
    assert fn.config.arn == "arn:aws:lambda:us-east-1:123456789012:function:f"


def test_a_timeout_over_900_seconds_is_aws_validation_error() -> None:
    """CreateFunction's Timeout is at most 900: AWS answers with its constraint form
    (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-Timeout)."""
    with pytest.raises(ll.ValidationException) as caught:
        create(timeout=1200)
    assert caught.value.message == (
        "1 validation error detected: Value '1200' at 'timeout' failed to satisfy constraint: "
        "Member must have value less than or equal to 900"
    )
    assert "15 minutes" in (caught.value.hint or "")


@pytest.mark.parametrize("runtime", ["ruby4.0", "java8.al2023", "java11.al2023", "java17.al2023"])
def test_runtimes_of_2026_are_accepted_today_and_unknown_in_2019(runtime: str) -> None:
    """Ruby 4.0 (April 2026) and Java 8, 11, 17 on Amazon Linux 2023 (July 2026, after Amazon Linux 2's end)."""
    assert runtime in ll.config.RUNTIMES[ll.config.Era.TODAY]
    assert runtime not in ll.config.RUNTIMES[ll.config.Era.SEMINAR_2019]
    ll.Lambda(ll.Simulation(seed=1)).create_function("f", duration="const:0.1", runtime=runtime)
