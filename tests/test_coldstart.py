"""Cold start steps per era: the 2019 VPC ENI, the platform steps, INIT, the idle lifetime."""

from __future__ import annotations

import dataclasses

import pytest

import lambdalab as ll

VPC = ll.VpcConfig(subnet_ids=("subnet-1",), security_group_ids=("sg-1",))


@pytest.mark.parametrize(("era", "low", "high"), [("2019", 10.0, 15.5), ("today", 0.0, 1.0)])
def test_vpc_cold_start_pays_for_an_eni_only_in_2019(era: str, low: float, high: float) -> None:
    aws = ll.Lambda(ll.Simulation(seed=1), era=era)
    aws.create_function("in-vpc", duration="const:0.1", vpc_config=VPC, timeout=30)
    aws.invoke(FunctionName="in-vpc")
    first = aws.requests().iloc[0]
    assert first.cold and low <= first.start - first.arrival <= high


def test_init_duration_is_reported_and_warm_starts_skip_it() -> None:
    aws = ll.Lambda(ll.Simulation(seed=2))
    aws.create_function("f", ll.Code.from_source("import time\ntime.sleep(0.5)\ndef lambda_handler(e, c):\n    pass\n"))
    aws.invoke(FunctionName="f")
    aws.invoke(FunctionName="f")
    cold, warm = aws.requests().itertuples()
    assert cold.cold and cold.init_duration > 0.5 and not warm.cold and warm.init_duration == 0
    report = [e.message for _, e in aws.log_group("f").events() if e.message.startswith("REPORT")]
    assert "Init Duration" in report[0] and "Init Duration" not in report[1]


def test_idle_environments_are_reaped_after_their_lifetime() -> None:
    model = dataclasses.replace(ll.coldstart.COLD_START_TODAY, idle_lifetime=ll.Dist.parse("const:300"))
    aws = ll.Lambda(ll.Simulation(), cold_start=model)
    aws.create_function("f", duration="const:1")
    for t in (0.0, 200.0, 800.0):
        aws.sim.at(t, lambda: aws.submit("f"))
    aws.sim.run()
    assert aws.requests().cold.tolist() == [True, False, True]  # idle 199 s: reused; idle 599 s: reaped at 300 s
    assert not aws.functions["f"].environments  # nothing left at the end


def test_today_init_is_billed_2019_init_is_not() -> None:
    def billed(era: str) -> int:
        aws = ll.Lambda(ll.Simulation(seed=3), era=era)
        aws.create_function("f", duration="const:0.2", init_duration="const:0.3")
        aws.invoke(FunctionName="f")
        return int(aws.requests().billed_ms.iloc[0])

    assert billed("today") == 500 and billed("2019") == 200
