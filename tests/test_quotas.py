"""The two quota presets and the errors they raise."""

import pytest

import lambdalab as ll


def test_presets_hold_the_documented_values() -> None:
    then, now = ll.quotas("2019"), ll.quotas(ll.Era.TODAY)
    assert (then.memory_min_mb, then.memory_max_mb, then.memory_step_mb) == (128, 3008, 64)
    assert (now.memory_min_mb, now.memory_max_mb, now.memory_step_mb) == (128, 10_240, 1)
    assert then.timeout_max_s == now.timeout_max_s == 900
    assert then.account_concurrency == now.account_concurrency == 1000
    assert now.ephemeral_storage_max_mb == 10_240


def test_validation_message_has_aws_form() -> None:
    with pytest.raises(ll.ValidationException) as caught:
        ll.quotas("today").check_memory(100)
    error = caught.value
    assert error.code == "ValidationException"
    assert error.status_code == 400
    assert error.message == (
        "1 validation error detected: Value '100' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )


def test_2019_steps_suggest_a_valid_size() -> None:
    with pytest.raises(ll.InvalidParameterValueException, match=r"e\.g\. 1024 MB"):
        ll.quotas("2019").check_memory(1000)


def test_throttle_exception_carries_reason_and_status() -> None:
    error = ll.TooManyRequestsException("Rate Exceeded.", reason="ConcurrentInvocationLimitExceeded")
    assert (error.status_code, error.reason, error.code) == (
        429,
        "ConcurrentInvocationLimitExceeded",
        "TooManyRequestsException",
    )


def test_2019_burst_by_region_follows_the_2019_scaling_page() -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/scaling.html as of 2019, "Initial Concurrency Burst
    Limits": 3000 - US West (Oregon), US East (N. Virginia), EU (Ireland); 1000 - Asia Pacific (Tokyo),
    EU (Frankfurt); 500 - other Regions. US East (Ohio) moved to 1,000 only later."""
    from lambdalab.concurrency import ConcurrencyManager

    then = ll.quotas("2019")
    expected = {"us-west-2": 3000, "us-east-1": 3000, "eu-west-1": 3000, "ap-northeast-1": 1000}
    expected |= {"eu-central-1": 1000, "us-east-2": 500, "eu-west-2": 500, "ap-south-1": 500}
    for region, burst in expected.items():
        assert ConcurrencyManager(then, region=region).burst == burst, region
    assert ConcurrencyManager(ll.quotas("today"), region="us-east-2").burst == 1000  # today: per function
