"""boto3's waiters and GetFunction (lambdalab.waiters), against botocore's models and messages.

Waiter models: ``botocore/data/lambda/2015-03-31/waiters-2.json`` at botocore 1.13.20 (19 November 2019) and
today; behaviour and messages: ``botocore/waiter.py`` and ``botocore/exceptions.py``
(https://github.com/boto/botocore). GetFunction: https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html.
"""

from __future__ import annotations

import pytest

import lambdalab as ll


def service(era: str = "today") -> ll.Lambda:
    aws = ll.Lambda(ll.Simulation(seed=1), era=era)
    aws.create_function("f", lambda event, context: "ok")
    return aws


def test_each_era_has_its_sdks_waiters() -> None:
    assert service("2019").waiter_names == ["function_exists"]
    assert service().waiter_names == [
        "function_active",
        "function_active_v2",
        "function_exists",
        "function_updated",
        "function_updated_v2",
        "published_version_active",
    ]


@pytest.mark.parametrize("name", ["function_active", "function_active_v2", "function_updated", "function_updated_v2"])
def test_a_function_is_active_and_updated_at_once(name: str) -> None:
    aws = service()
    aws.update_function_configuration(FunctionName="f", MemorySize=256)
    waiter = aws.get_waiter(name)
    assert waiter.name == "".join(part.capitalize() for part in name.split("_"))
    waiter.wait(FunctionName="f")
    assert aws.sim.now == 0.0  # succeeded at the first call: no delay passed


def test_published_version_active_takes_the_qualifier() -> None:
    aws = service()
    aws.publish_version(FunctionName="f")
    aws.get_waiter("published_version_active").wait(FunctionName="f", Qualifier="1")
    with pytest.raises(ll.WaiterError) as caught:
        aws.get_waiter("published_version_active").wait(FunctionName="f", Qualifier="7")
    assert str(caught.value).startswith(
        "Waiter PublishedVersionActive failed: An error occurred (ResourceNotFoundException): Function not found: "
    )


def test_function_exists_retries_on_the_virtual_clock_until_its_last_attempt() -> None:
    aws = service()
    with pytest.raises(ll.WaiterError) as caught:
        aws.get_waiter("function_exists").wait(FunctionName="missing")
    assert str(caught.value) == (
        "Waiter FunctionExists failed: Max attempts exceeded. Previously accepted state: "
        "Matched expected service error code: ResourceNotFoundException"
    )
    assert caught.value.name == "FunctionExists"
    assert caught.value.last_response["Error"]["Code"] == "ResourceNotFoundException"
    assert aws.sim.now == 19.0  # 20 calls, a second apart


def test_waiter_config_overrides_the_delay_and_attempts() -> None:
    aws = service("2019")
    with pytest.raises(ll.WaiterError, match="Max attempts exceeded"):
        aws.get_waiter("function_exists").wait(FunctionName="missing", WaiterConfig={"Delay": 2, "MaxAttempts": 3})
    assert aws.sim.now == 4.0


def test_function_exists_succeeds_once_the_function_appears() -> None:
    aws = service()
    aws.sim.schedule(4.5, lambda: aws.create_function("late", lambda event, context: None))
    aws.get_waiter("function_exists").wait(FunctionName="late")
    assert aws.sim.now == 5.0  # found at the sixth call


def test_a_state_waiter_fails_at_once_on_an_error_it_does_not_expect() -> None:
    aws = service()
    with pytest.raises(ll.WaiterError) as caught:
        aws.get_waiter("function_active_v2").wait(FunctionName="missing")
    assert str(caught.value) == (
        "Waiter FunctionActiveV2 failed: An error occurred (ResourceNotFoundException): "
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing"
    )
    assert aws.sim.now == 0.0


def test_a_waiter_the_sdk_does_not_have_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^Waiter does not exist: function_ready$"):
        service().get_waiter("function_ready")
    with pytest.raises(ValueError, match=r"^Waiter does not exist: function_active_v2") as caught:
        service("2019").get_waiter("function_active_v2")
    assert "era='today'" in " ".join(getattr(caught.value, "__notes__", []))


def test_get_function_answers_configuration_code_and_concurrency() -> None:
    aws = service()
    answer = aws.get_function(FunctionName="f")
    assert answer["Configuration"] == aws.get_function_configuration(FunctionName="f")
    assert answer["Code"]["RepositoryType"] == "S3"
    assert answer["Code"]["Location"].startswith(
        "https://awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com/snapshots/123456789012/f-"
    )
    assert "Concurrency" not in answer
    aws.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=5)
    assert aws.get_function(FunctionName="f")["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    assert aws.get_function(FunctionName="f")["Code"] == answer["Code"]  # the same package: the same place
    aws.publish_version(FunctionName="f")
    assert aws.get_function(FunctionName="f", Qualifier="1")["Configuration"]["Version"] == "1"
    with pytest.raises(ll.ResourceNotFoundException):
        aws.get_function(FunctionName="missing")


def test_the_2019_preset_answers_only_the_fields_its_sdk_knew() -> None:
    """botocore 1.13.20's ``FunctionConfiguration`` had no ``State``, ``LastUpdateStatus`` (25 November 2019),
    ``Architectures`` (2021) or ``EphemeralStorage`` (2022): its parser would drop them."""
    old, new = service("2019").get_function_configuration(FunctionName="f"), service().get_function(FunctionName="f")
    for field in ("State", "LastUpdateStatus", "Architectures", "EphemeralStorage"):
        assert field not in old and field in new["Configuration"]
    assert new["Configuration"]["State"] == "Active" and new["Configuration"]["LastUpdateStatus"] == "Successful"
