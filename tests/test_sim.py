"""The simulation core: ordering, cancelling, the clock."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from lambdalab import Simulation
from lambdalab.sim import LATE, URGENT


def test_actions_run_in_time_then_priority_then_schedule_order() -> None:
    sim = Simulation()
    seen: list[str] = []
    sim.schedule(2.0, lambda: seen.append("t2"))
    sim.schedule(1.0, lambda: seen.append("t1-late"), LATE)
    sim.schedule(1.0, lambda: seen.append("t1-a"))
    sim.schedule(1.0, lambda: seen.append("t1-b"))
    sim.schedule(1.0, lambda: seen.append("t1-urgent"), URGENT)
    sim.run()
    assert seen == ["t1-urgent", "t1-a", "t1-b", "t1-late", "t2"]
    assert sim.now == 2.0


def test_cancelled_timers_never_run_and_compaction_keeps_the_queue() -> None:
    sim = Simulation()
    ran: list[int] = []
    timers = [sim.schedule(float(i), lambda i=i: ran.append(i)) for i in range(5000)]
    for timer in timers[:4000]:
        sim.cancel(timer)
    sim.cancel(timers[0])  # twice is harmless
    assert sim.pending == 1000
    sim.run()
    assert ran == list(range(4000, 5000))


def test_compaction_during_run_does_not_lose_actions() -> None:
    """Cancelling many timers from inside a running action must not detach run() from the queue."""
    sim = Simulation()
    ran: list[float] = []
    doomed = [sim.schedule(100.0 + i, lambda: ran.append(-1.0)) for i in range(3000)]

    def cancel_all() -> None:
        for timer in doomed:
            sim.cancel(timer)

    sim.schedule(1.0, cancel_all)
    for t in (2.0, 3.0, 4.0):
        sim.schedule(t, lambda t=t: ran.append(t))
    sim.run(until=10.0)
    assert ran == [2.0, 3.0, 4.0]
    assert sim.now == 10.0


def test_run_until_stops_at_the_horizon() -> None:
    sim = Simulation()
    ran: list[float] = []
    for t in (1.0, 5.0, 9.0):
        sim.schedule(t, lambda t=t: ran.append(t))
    sim.run(until=5.0)
    assert ran == [1.0, 5.0] and sim.now == 5.0
    sim.run(until=20.0)
    assert ran == [1.0, 5.0, 9.0] and sim.now == 20.0


def test_no_scheduling_into_the_past() -> None:
    sim = Simulation()
    sim.run(until=3.0)
    with pytest.raises(ValueError, match="past"):
        sim.schedule(-1.0, lambda: None)
    with pytest.raises(ValueError, match="already at 3"):
        sim.at(2.0, lambda: None)
    with pytest.raises(ValueError):
        sim.run(until=1.0)


def test_same_seed_same_random_stream_and_timestamps() -> None:
    a, b = Simulation(seed=7), Simulation(seed=7)
    assert [a.rng.random() for _ in range(5)] == [b.rng.random() for _ in range(5)]
    assert Simulation(seed=8).rng.random() != Simulation(seed=7).rng.random()
    a.run(until=3.005)
    assert a.iso() == "2026-01-01T00:00:03.005Z"
    assert a.epoch_ms() == 1767225603005


@pytest.mark.parametrize("until", [math.nan, math.inf, -math.inf, 10**400])
def test_run_until_a_non_finite_time_is_refused_and_the_clock_stays(until: float) -> None:
    """``run(until=nan)`` once ran every action and left the clock at NaN (issue 8)."""
    sim = Simulation()
    ran: list[float] = []
    sim.schedule(5.0, lambda: ran.append(sim.now))
    with pytest.raises(ValueError, match="finite number of seconds"):
        sim.run(until=until)
    assert sim.now == 0.0 and ran == [] and sim.pending == 1


@pytest.mark.parametrize("value", ["1", None, True, [1.0]])
def test_times_of_the_wrong_type_are_a_type_error(value: object) -> None:
    sim = Simulation()
    calls = [] if value is None else [lambda: sim.run(until=value)]  # type: ignore[arg-type]  # None: run all
    for call in (
        *calls,
        lambda: sim.schedule(value, lambda: None),  # type: ignore[arg-type]
        lambda: sim.at(value, lambda: None),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match="number of seconds"):
            call()


@pytest.mark.parametrize("value", [math.nan, math.inf, 10**400])
def test_timers_at_non_finite_times_are_refused(value: float) -> None:
    sim = Simulation()
    with pytest.raises(ValueError, match="finite"):
        sim.schedule(value, lambda: None)
    with pytest.raises(ValueError, match="finite"):
        sim.at(value, lambda: None)
    with pytest.raises(ValueError, match="finite"):
        sim.run_until(lambda: False, limit=math.nan)
    assert sim.pending == 0


def test_whole_numbers_and_numpy_scalars_are_times_too() -> None:
    np = pytest.importorskip("numpy")
    sim = Simulation(seed=np.int64(3))
    seen: list[float] = []
    sim.schedule(1, lambda: seen.append(sim.now))
    sim.at(np.float64(2.5), lambda: seen.append(sim.now))
    sim.at(np.int64(4), lambda: seen.append(sim.now))
    sim.run(until=np.int64(10))
    assert seen == [1.0, 2.5, 4.0] and sim.now == 10.0 and sim.seed == 3


@pytest.mark.parametrize("seed", [1.5, "7", None, True])
def test_a_seed_is_a_whole_number(seed: object) -> None:
    with pytest.raises(TypeError, match="seed must be a whole number"):
        Simulation(seed=seed)  # type: ignore[arg-type]


def test_an_epoch_is_a_datetime() -> None:
    with pytest.raises(TypeError, match="epoch must be a datetime"):
        Simulation(epoch="2019-01-01")  # type: ignore[arg-type]


# -- the era's calendar (issue 10) ----------------------------------------------------------------------------


def test_an_era_2019_lambda_dates_its_clock_in_2019_unless_given_an_epoch() -> None:
    import lambdalab as ll
    from lambdalab.sim import DEFAULT_EPOCH, SEMINAR_EPOCH

    seminar = ll.Lambda(Simulation(seed=1), era="2019")
    assert seminar.sim.epoch == SEMINAR_EPOCH and seminar.engine.epoch_unix == SEMINAR_EPOCH.timestamp()
    seminar.create_function("f", lambda event, context: None, runtime="python3.7")
    seminar.invoke(FunctionName="f")
    group = seminar.log_group("f")
    assert all(name.startswith("2019/11/20/") for name in group.streams)
    assert all(event.timestamp < 1_600_000_000_000 for _, event in group.events())  # before September 2020
    assert ll.Lambda(Simulation(seed=1)).sim.epoch == DEFAULT_EPOCH
    given = datetime(2019, 4, 9, tzinfo=timezone.utc)
    assert ll.Lambda(Simulation(seed=1, epoch=given), era="2019").sim.epoch == given  # an explicit epoch wins
    assert ll.Lambda(Simulation(seed=1, epoch=DEFAULT_EPOCH), era="2019").sim.epoch == DEFAULT_EPOCH


def test_the_first_lambda_on_a_simulation_settles_its_epoch() -> None:
    import lambdalab as ll
    from lambdalab.sim import SEMINAR_EPOCH

    sim = Simulation(seed=1)
    ll.Lambda(sim, era="2019")
    ll.Lambda(sim, era="today")  # the same clock: it keeps the date the first one gave it
    assert sim.epoch == SEMINAR_EPOCH
