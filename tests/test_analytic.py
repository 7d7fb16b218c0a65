"""The emulator against queueing theory: Little's law and the Erlang-B loss formula."""

from __future__ import annotations

import math

import pytest

import lambdalab as ll
from lambdalab.cli import parser, simulate
from support import exact_cold_start

NO_PLATFORM = exact_cold_start(0.0, idle="const:1e9")


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/G/c/c system (recursive form)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def test_erlang_b_reference_values() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(10, 8.0) == pytest.approx(0.1217, abs=1e-4)


@pytest.mark.parametrize(("servers", "rate", "duration"), [(10, 8.0, "const:1"), (5, 6.0, "exp:0.5")])
def test_throttle_rate_of_poisson_sync_traffic_follows_erlang_b(servers: int, rate: float, duration: str) -> None:
    """Sync requests beyond the limit are lost (throttled), not queued: the Erlang loss system."""
    aws = ll.Lambda(ll.Simulation(seed=3), keep_records=False, logs=False, cold_start=NO_PLATFORM)
    aws.create_function("f", duration=duration, reserved_concurrency=servers, timeout=900)
    ll.poisson(aws, "f", rate, until=20_000)
    aws.sim.run()
    rec = aws.recorder
    blocked = rec.outcomes["throttled"] / rec.requests_total
    expected = erlang_b(servers, rate * ll.Dist.parse(duration).mean)
    assert rec.requests_total > 100_000
    assert blocked == pytest.approx(expected, rel=0.05)


def test_mean_busy_environments_obey_littles_law() -> None:
    """Mean busy environments = arrival rate x mean time a request keeps an environment busy."""
    args = parser().parse_args(
        [
            "simulate",
            "--arrival-rate",
            "20",
            "--duration",
            "exp:0.5",
            "--init-duration",
            "const:0.4",
            "--sim-seconds",
            "5000",
            "--seed",
            "11",
            "--json",
        ]
    )
    s = simulate(args)
    served = s["requests"] - s["throttles"]
    # A cold request also keeps its environment busy for the platform steps (70 ms) and INIT (0.4 s).
    busy_time = 0.5 + s["cold_start_probability"] * (0.4 + 0.07)
    assert s["throttles"] == 0
    assert s["mean_busy_environments"] == pytest.approx(served / 5000 * busy_time, rel=0.03)
    assert s["mean_environments"] == pytest.approx(s["mean_busy_environments"] + s["mean_idle_environments"])


def test_cold_start_probability_falls_as_idle_lifetime_grows() -> None:
    def cold(idle: str) -> float:
        args = parser().parse_args(
            [
                "simulate",
                "--arrival-rate",
                "2",
                "--duration",
                "exp:0.3",
                "--idle-timeout",
                idle,
                "--sim-seconds",
                "3000",
                "--json",
            ]
        )
        return float(simulate(args)["cold_start_probability"])

    short, long = cold("const:0.5"), cold("const:600")
    assert short > 0.3 and long < 0.01
    assert not math.isnan(short)
