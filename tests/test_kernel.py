"""The command line's fast kernel gives exactly the general engine's numbers, seed for seed."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdalab.cli import parser, simulate

durations = st.sampled_from(["const:0.5", "exp:0.2", "exp:2", "lognormal:0.3,1", "uniform:0.05,4", "const:0"])
lifetimes = st.sampled_from(["const:600", "exp:30", "uniform:1,20", "const:0.5"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    era=st.sampled_from(["2019", "today"]),
    rate=st.sampled_from([0.5, 5.0, 40.0, 150.0]),
    duration=durations,
    init=st.one_of(st.none(), st.sampled_from(["const:0", "exp:0.8", "const:12"])),
    idle=st.one_of(st.none(), lifetimes),
    limit=st.one_of(st.none(), st.integers(0, 30)),
    timeout=st.sampled_from([1, 3, 900]),
    error_rate=st.sampled_from([0.0, 0.25]),
    span=st.sampled_from([20.0, 100.0]),
)
def test_kernel_matches_the_general_engine(
    seed: int,
    era: str,
    rate: float,
    duration: str,
    init: str | None,
    idle: str | None,
    limit: int | None,
    timeout: int,
    error_rate: float,
    span: float,
) -> None:
    argv = [
        "simulate",
        "--arrival-rate",
        str(rate),
        "--duration",
        duration,
        "--era",
        era,
        "--seed",
        str(seed),
        "--timeout",
        str(timeout),
        "--error-rate",
        str(error_rate),
        "--sim-seconds",
        str(span),
        "--json",
    ]
    if init:
        argv += ["--init-duration", init]
    if idle:
        argv += ["--idle-timeout", idle]
    if limit is not None:
        argv += ["--concurrency-limit", str(limit)]
    args = parser().parse_args(argv)
    general, kernel = simulate(args, engine="general"), simulate(args, engine="kernel")
    general.pop("wall_seconds"), kernel.pop("wall_seconds")
    for key, value in general.items():
        other = kernel[key]
        assert value == other or (isinstance(value, float) and math.isnan(value) and math.isnan(other)), key


def test_the_command_line_uses_the_kernel_for_synchronous_traffic_only() -> None:
    sync = parser().parse_args(["simulate", "--arrival-rate", "5", "--duration", "exp:0.1", "--sim-seconds", "100"])
    assert simulate(sync)["requests"] == simulate(sync, engine="kernel")["requests"]
    event = parser().parse_args(
        [
            "simulate",
            "--arrival-rate",
            "5",
            "--duration",
            "exp:0.1",
            "--sim-seconds",
            "100",
            "--invocation-type",
            "Event",
        ]
    )
    assert simulate(event)["requests"] == simulate(event, engine="general")["requests"]


@pytest.mark.parametrize("era", ["2019", "today"])
def test_draws_cut_at_the_cap_are_the_same_in_both_engines(era: str) -> None:
    """The widest distributions allowed draw beyond 1e9 s and are cut there, in the kernel as in the engine."""
    argv = ["simulate", "--arrival-rate", "3", "--sim-seconds", "200", "--era", era, "--timeout", "900"]
    argv += ["--duration", "lognormal:0.5,10", "--init-duration", "exp:1e8", "--idle-timeout", "lognormal:1,10"]
    args = parser().parse_args(argv)
    general, kernel = simulate(args, engine="general"), simulate(args, engine="kernel")
    general.pop("wall_seconds"), kernel.pop("wall_seconds")
    assert general == kernel and general["requests"] > 400 and general["errors"] > 0  # timeouts
