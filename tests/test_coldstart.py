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


def _burst(memory_mb: int, n: int = 30, era: str = "2019") -> ll.Lambda:
    """``n`` requests at t = 0 to a VPC function that runs 1 s: ``n`` concurrent cold starts."""
    aws = ll.Lambda(ll.Simulation(seed=4), era=era)
    aws.create_function("db", duration="const:1", vpc_config=VPC, memory_size=memory_mb, timeout=60)
    for _ in range(n):
        aws.submit("db")
    return aws


@pytest.mark.parametrize(("memory_mb", "enis"), [(128, 2), (1024, 10), (3008, 30)])
def test_2019_enis_are_shared_up_to_3_gb_of_environments(memory_mb: int, enis: int) -> None:
    # One ENI per floor(3072 / memory) environments: ceil(30 / 24) = 2 at 128 MB, one each at 3,008 MB.
    aws = _burst(memory_mb)
    made = []
    aws.sim.at(0.5, lambda: made.append(aws.engine.attached_enis(aws.functions["db"])))
    aws.sim.run()
    assert made == [enis]
    records = aws.requests()
    before_init = records.start - records.arrival - records.init_duration  # ENI, sandbox, download, unpack
    assert (before_init > 10).all() and (before_init <= 15.1).all()  # all wait: their ENIs were being made
    assert (
        len({round(t, 6) for t in before_init.tolist()}) == enis
    )  # one wait per ENI: who joined it waited as its creator did


def test_2019_a_cold_start_joining_an_attached_eni_pays_nothing_for_it() -> None:
    aws = ll.Lambda(ll.Simulation(seed=5), era="2019")
    aws.create_function("db", duration="const:60", vpc_config=VPC, memory_size=128, timeout=120)
    for t in range(30):  # one new request a second: each finds every environment busy
        aws.sim.at(float(t), lambda: aws.submit("db"))
    aws.sim.run()
    records = aws.requests().sort_values("arrival")
    assert all(records.cold)
    before_init = (records.start - records.arrival - records.init_duration).tolist()
    platform = 0.07  # sandbox, download, unpack
    first, second = before_init[0] - platform, before_init[24] - platform  # the two ENIs' creation times
    assert 10 <= first <= 15 and 10 <= second <= 15
    for t, wait in enumerate(before_init):
        eni_ready = first if t < 24 else 24 + second
        # until its ENI is attached a cold start waits for the rest of its creation; after, for nothing
        assert wait == pytest.approx(max(eni_ready - t, 0) + platform)
    assert aws.engine.attached_enis(aws.functions["db"]) == 0  # reaped environments released their ENIs


def test_2019_an_eni_is_released_with_its_last_environment_and_made_again() -> None:
    model = dataclasses.replace(ll.coldstart.COLD_START_2019, idle_lifetime=ll.Dist.parse("const:300"))
    aws = ll.Lambda(ll.Simulation(seed=6), era="2019", cold_start=model)
    aws.create_function("db", duration="const:0.1", vpc_config=VPC, timeout=30)
    for t in (0.0, 100.0, 1000.0):
        aws.sim.at(t, lambda: aws.submit("db"))
    aws.sim.run()
    waits = (aws.requests().start - aws.requests().arrival).tolist()
    assert waits[0] > 10 and waits[1] < 0.1 and waits[2] > 10  # warm, then reaped with its ENI: a new one


def test_hyperplane_enis_cost_no_cold_start_time() -> None:
    aws = _burst(128, era="today")
    aws.sim.run()
    assert (aws.requests().start - aws.requests().arrival).max() < 1
    assert aws.engine.attached_enis(aws.functions["db"]) == 0  # made with the function, not counted here


def test_2019_an_environment_reset_by_a_timeout_keeps_its_eni_until_it_is_reaped() -> None:
    aws = ll.Lambda(ll.Simulation(seed=7), era="2019")
    aws.create_function("db", duration="const:5", vpc_config=VPC, memory_size=128, timeout=1)
    aws.invoke(FunctionName="db")  # times out: Lambda resets the environment, which stays with its ENI
    assert aws.engine.attached_enis(aws.functions["db"]) == 1
    aws.invoke(FunctionName="db")  # the same environment, after a suppressed init: no ENI to wait for
    first, second = (aws.requests().start - aws.requests().arrival).tolist()
    assert first > 10 and second == 0
    aws.sim.run()  # reaped at last: its ENI goes with it
    assert aws.engine.attached_enis(aws.functions["db"]) == 0
    assert aws.environments().reason.tolist() == ["reaped"]
