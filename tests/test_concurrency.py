"""Concurrency limits, reserved and provisioned concurrency, scaling rates, throttle reasons."""

from __future__ import annotations

import pytest

import lambdalab as ll
from lambdalab.coldstart import COLD_START_TODAY
from lambdalab.concurrency import ACCOUNT_LIMIT, RESERVED_LIMIT, SCALING_RATE, ConcurrencyManager
from lambdalab.invoke import InvocationResult


def burst(aws: ll.Lambda, name: str, n: int, at: float = 0.0) -> list[InvocationResult]:
    results: list[InvocationResult] = []
    aws.sim.at(at, lambda: [aws.submit(name, b"{}", callback=results.append) for _ in range(n)])
    return results


def provisioned_function(aws: ll.Lambda, count: int, *args: object, **settings: object) -> None:
    """Function f with ``count`` environments of its version 1 kept initialised: provisioned concurrency
    belongs to a published version or an alias."""
    aws.create_function("f", *args, **settings)  # type: ignore[arg-type]
    aws.publish_version(FunctionName="f")
    aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=count)


def reasons(results: list[InvocationResult]) -> dict[str | None, int]:
    counts: dict[str | None, int] = {}
    for r in results:
        counts[r.throttle_reason] = counts.get(r.throttle_reason, 0) + 1
    return counts


def test_account_limit_throttles_with_its_reason() -> None:
    aws = ll.Lambda(ll.Simulation(), account_concurrency=200)
    aws.create_function("f", duration="const:10")
    results = burst(aws, "f", 250)
    aws.sim.run()
    assert reasons(results) == {None: 200, ACCOUNT_LIMIT: 50}
    assert aws.recorder.outcomes["throttled"] == 50


def test_reserved_concurrency_caps_and_protects() -> None:
    aws = ll.Lambda(ll.Simulation(), account_concurrency=300)
    aws.create_function("capped", duration="const:10", reserved_concurrency=5)
    aws.create_function("other", duration="const:10")
    capped, other = burst(aws, "capped", 8), burst(aws, "other", 300)
    aws.sim.run()
    assert reasons(capped) == {None: 5, RESERVED_LIMIT: 3}
    assert reasons(other) == {None: 295, ACCOUNT_LIMIT: 5}  # 300 - 5 reserved


def test_reserved_zero_is_the_throttle_button() -> None:
    aws = ll.Lambda(ll.Simulation())
    aws.create_function("f", lambda event, context: "ok")
    assert aws.invoke(FunctionName="f")["StatusCode"] == 200
    aws.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
    with pytest.raises(ll.TooManyRequestsException) as caught:
        aws.invoke(FunctionName="f")
    assert caught.value.reason == RESERVED_LIMIT and caught.value.status_code == 429
    aws.delete_function_concurrency(FunctionName="f")
    assert aws.invoke(FunctionName="f")["StatusCode"] == 200


def test_at_least_100_stay_unreserved() -> None:
    aws = ll.Lambda(ll.Simulation())
    aws.create_function("a", duration="const:1")
    aws.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=900)
    aws.create_function("b", duration="const:1")
    with pytest.raises(ll.InvalidParameterValueException, match=r"minimum value of \[100\]"):
        aws.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=1)


def test_provisioned_environments_serve_without_cold_starts() -> None:
    aws = ll.Lambda(ll.Simulation())
    provisioned_function(aws, 2, duration="const:1")
    aws.sim.run(until=60)  # provisioned INIT happens at configuration time
    results = burst(aws, "f:1", 3, at=60)
    unqualified = burst(aws, "f", 1, at=60)  # $LATEST has no provisioned environments
    aws.sim.run()
    assert sorted(r.cold for r in results) == [False, False, True]
    assert all(r.init_duration == 0 for r in results if not r.cold)
    assert unqualified[0].cold and unqualified[0].version == "$LATEST" and {r.version for r in results} == {"1"}


def test_today_each_function_scales_by_1000_environments_per_10_seconds() -> None:
    aws = ll.Lambda(ll.Simulation(), account_concurrency=10_000)
    aws.create_function("f", duration="const:100", timeout=900)
    first = burst(aws, "f", 1500, at=0.0)
    later = burst(aws, "f", 600, at=5.0)  # 5 s refill 500 environments
    aws.sim.run()
    assert reasons(first) == {None: 1000, SCALING_RATE: 500}
    assert reasons(later) == {None: 500, SCALING_RATE: 100}


def test_2019_burst_then_500_a_minute() -> None:
    aws = ll.Lambda(ll.Simulation(), era="2019", account_concurrency=10_000, region="eu-west-2")  # burst 500
    aws.create_function("f", duration="const:600", timeout=900)
    first = burst(aws, "f", 600, at=0.0)
    later = burst(aws, "f", 600, at=60.0)
    aws.sim.run()
    assert reasons(first) == {None: 500, ACCOUNT_LIMIT: 100}
    assert reasons(later) == {None: 500, ACCOUNT_LIMIT: 100}  # allowed 500 + 500 after a minute


def test_warm_reuse_takes_the_most_recent_environment() -> None:
    aws = ll.Lambda(ll.Simulation(), cold_start=COLD_START_TODAY)
    aws.create_function("f", duration="const:1")
    a = burst(aws, "f", 2, at=0.0)
    b = burst(aws, "f", 1, at=100.0)
    aws.sim.run()
    assert all(r.cold for r in a) and not b[0].cold
    assert b[0].env_id == max(a, key=lambda r: r.end).env_id


def test_manager_refuses_an_account_limit_below_the_unreserved_minimum() -> None:
    with pytest.raises(ll.InvalidParameterValueException):
        ConcurrencyManager(ll.quotas("today"), account_limit=50)


def test_a_provisioned_environment_that_times_out_is_replaced() -> None:
    aws = ll.Lambda(ll.Simulation(seed=3))
    source = "import time\ndef lambda_handler(event, context):\n    time.sleep(event.get('sleep', 0))\n"
    provisioned_function(aws, 1, ll.Code.from_source(source), timeout=2)
    aws.sim.run(until=10)
    aws.invoke(FunctionName="f:1", Payload=b'{"sleep": 5}')  # times out: the environment resets
    aws.sim.run(until=aws.sim.now + 10)
    assert provisioned_count(aws) == 1
    aws.invoke(FunctionName="f", Qualifier="1")
    assert aws.requests().cold.tolist() == [False, False]


# -- provisioned concurrency lowered and removed ------------------------------------------------------------


def provisioned_count(aws: ll.Lambda, version: str = "1") -> int:
    return sum(1 for env in aws.functions["f"].published[version].environments.values() if env.provisioned)


def test_provisioned_concurrency_can_be_lowered() -> None:
    """PutProvisionedConcurrencyConfig with a smaller value deallocates environments
    (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html,
    https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html)."""
    aws = ll.Lambda(ll.Simulation())
    provisioned_function(aws, 3, duration="const:10", timeout=30, reserved_concurrency=5)
    assert aws.get_provisioned_concurrency_config(FunctionName="f", Qualifier="1")["Status"] == "IN_PROGRESS"
    aws.sim.run(until=60)
    config = aws.get_provisioned_concurrency_config(FunctionName="f", Qualifier="1")
    assert (config["Status"], config["AvailableProvisionedConcurrentExecutions"]) == ("READY", 3)
    busy = burst(aws, "f:1", 2, at=60)  # two provisioned environments are busy until 70 s
    aws.sim.run(until=65)
    aws.put_provisioned_concurrency_config(FunctionName="f:1", ProvisionedConcurrentExecutions=1)
    assert provisioned_count(aws) == 2  # the idle one went at once; the busy ones follow when they finish
    aws.sim.run(until=80)
    assert provisioned_count(aws) == 1 and not any(r.cold for r in busy)
    aws.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)  # was refused below 3
    later = burst(aws, "f:1", 1, at=80)
    aws.sim.run()
    assert not later[0].cold
    aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)
    assert provisioned_count(aws) == 1


def test_provisioned_concurrency_can_be_removed() -> None:
    """DeleteProvisionedConcurrencyConfig: requests run on demand again; deleting what is not there is
    ProvisionedConcurrencyConfigNotFoundException, 404
    (https://docs.aws.amazon.com/lambda/latest/api/API_DeleteProvisionedConcurrencyConfig.html)."""
    aws = ll.Lambda(ll.Simulation())
    provisioned_function(aws, 2, duration="const:1")
    aws.sim.run(until=60)
    aws.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="1")
    assert provisioned_count(aws) == 0 and aws.concurrency.unreserved_capacity == 1000
    results = burst(aws, "f:1", 1, at=60)
    aws.sim.run()
    assert results[0].cold
    for call in (aws.delete_provisioned_concurrency_config, aws.get_provisioned_concurrency_config):
        with pytest.raises(ll.ProvisionedConcurrencyConfigNotFoundException) as caught:
            call(FunctionName="f", Qualifier="1")
        assert caught.value.status_code == 404


def test_a_surplus_provisioned_environment_that_times_out_is_not_replaced() -> None:
    aws = ll.Lambda(ll.Simulation(seed=3))
    source = "import time\ndef lambda_handler(event, context):\n    time.sleep(event.get('sleep', 0))\n"
    provisioned_function(aws, 2, ll.Code.from_source(source), timeout=2)
    aws.sim.run(until=10)
    aws.submit("f:1", b'{"sleep": 5}')
    aws.submit("f:1", b'{"sleep": 5}')
    aws.put_provisioned_concurrency_config(FunctionName="f:1", ProvisionedConcurrentExecutions=1)
    aws.sim.run(until=30)
    assert provisioned_count(aws) == 1  # two timed out: the surplus one was shut down, the other ran INIT again
    assert [e.state.value for e in aws.functions["f"].published["1"].environments.values()] == ["idle"]
