"""Request arrivals on the virtual clock: Poisson traffic and explicit schedules."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from .invoke import REQUEST_RESPONSE, InvocationResult
from .service import Lambda


def poisson(
    aws: Lambda,
    function_name: str,
    rate: float,
    until: float,
    *,
    payload: Any = b"{}",
    invocation_type: str = REQUEST_RESPONSE,
    start: float | None = None,
    callback: Callable[[InvocationResult], object] | None = None,
) -> None:
    """Schedule a Poisson stream of ``rate`` requests a second from ``start`` (default now) to ``until``.

    Inter-arrival times come from the simulation's seeded RNG.
    """
    if not rate > 0:
        raise ValueError(f"rate must be > 0 requests a second, got {rate}")
    sim = aws.sim
    fn = aws.function(function_name)
    raw, event = aws.parse_payload(payload, invocation_type)  # checked once
    submit = aws.engine.submit
    expovariate = sim.rng.expovariate

    def arrive() -> None:
        # Handlers get their own copy of the event; a duration model never reads it.
        submit(fn, raw, event if fn.code is None else json.loads(raw), invocation_type, False, callback)
        gap = expovariate(rate)
        if sim.now + gap < until:
            sim.schedule(gap, arrive)

    first = (sim.now if start is None else start) + expovariate(rate)
    if first < until:
        sim.at(first, arrive)


def at_times(
    aws: Lambda,
    function_name: str,
    times: Iterable[float],
    *,
    payload: Any = b"{}",
    invocation_type: str = REQUEST_RESPONSE,
    callback: Callable[[InvocationResult], object] | None = None,
) -> None:
    """Schedule one request at each of ``times`` (virtual seconds)."""
    aws.function(function_name)
    for t in times:
        aws.sim.at(t, lambda: aws.submit(function_name, payload, invocation_type, callback=callback))
