"""Request arrivals on the virtual clock: Poisson traffic and explicit schedules.

Both check their arguments before scheduling anything: times are finite and
not in the past, a rate is a finite number > 0, and Poisson traffic of more
than ``max_requests`` expected requests (default 10,000,000, minutes of wall
time) is refused, so that a run always ends.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from .request import REQUEST_RESPONSE, InvocationResult
from .service import Lambda

MAX_REQUESTS = 10_000_000
"""Default ``max_requests`` of :func:`poisson`."""


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
    max_requests: float = MAX_REQUESTS,
) -> None:
    """Schedule a Poisson stream of ``rate`` requests a second from ``start`` (default now) to ``until``.

    Inter-arrival times come from the simulation's seeded RNG. More than ``max_requests`` expected
    requests (``rate * (until - start)``) raise ValueError: raise ``max_requests`` to insist.
    """
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError(f"rate must be a number of requests a second, not {rate!r}")
    try:
        rate = float(rate)
    except OverflowError:
        rate = math.inf
    if not 0 < rate < math.inf:
        raise ValueError(f"rate must be a finite number > 0 requests a second, got {rate}")
    sim = aws.sim
    begin = sim.now if start is None else sim.check_time(start, "start")
    if begin < sim.now:
        raise ValueError(f"cannot start traffic at {begin}: the clock is already at {sim.now}")
    until = sim.check_time(until, "until")
    expected = rate * max(0.0, until - begin)
    if expected > max_requests:
        insist = f", or pass max_requests={math.ceil(expected)}" if expected < math.inf else ""
        raise ValueError(
            f"{rate:g} requests a second from {begin:g} s to {until:g} s is about {expected:,.0f} requests, more than "
            f"max_requests={max_requests:,}: lower the rate or the span{insist}"
        )
    aws.function_arn(function_name)  # the function, version or alias exists
    plain = aws.functions.get(function_name)  # a plain name: its $LATEST, looked up once
    raw, event = aws.parse_payload(payload, invocation_type)  # checked once
    submit = aws.engine.submit
    expovariate = sim.rng.expovariate
    # A fresh copy of the (checked) payload per request: json.loads's work, less what is the same every time
    # (the bytes' encoding, the leading whitespace, the check for trailing data).
    text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    start = len(text) - len(text.lstrip(" \t\n\r"))
    scan = json.JSONDecoder().scan_once
    fresh = (lambda text: scan(text, start)[0]) if text.strip() else (lambda _: None)

    def arrive() -> None:
        # A version or alias is looked up per request (a weighted alias draws its version each time).
        fn, arn = (plain, plain.config.arn) if plain is not None else aws.route(function_name)
        # Handlers get their own copy of the event; a duration model never reads it.
        submit(fn, raw, event if fn.code is None else fresh(text), invocation_type, False, callback, None, arn)
        gap = expovariate(rate)
        if sim.now + gap < until:
            sim.schedule(gap, arrive)

    first = begin + expovariate(rate)
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
    """Schedule one request at each of ``times`` (virtual seconds; all are checked before any is scheduled)."""
    aws.function_arn(function_name)  # the function, version or alias exists
    aws.parse_payload(payload, invocation_type)  # checked now, not when the first request arrives
    sim = aws.sim
    checked = [sim.check_time(t, "time") for t in times]
    for t in checked:
        if t < sim.now:
            raise ValueError(f"cannot schedule at {t}: the clock is already at {sim.now}")
    for t in checked:
        sim.at(t, lambda: aws.submit(function_name, payload, invocation_type, callback=callback))
