"""Helpers shared by the tests: exact cold-start models and a synchronous call returning the full result."""

from __future__ import annotations

import json
from typing import Any

import lambdalab as ll
from lambdalab.invoke import InvocationResult


def exact_cold_start(init_s: float = 0.25, idle: str = "const:600") -> ll.ColdStartModel:
    """No platform steps, a constant INIT and idle lifetime: times in tests are exact."""
    zero = ll.Dist("const", 0.0)
    return ll.ColdStartModel(zero, zero, zero, ll.Dist("const", init_s), None, ll.Dist.parse(idle))


def call(aws: ll.Lambda, name: str = "f", event: Any = None) -> InvocationResult:
    """A synchronous request, run to its end; its :class:`InvocationResult`."""
    box: list[InvocationResult] = []
    aws.submit(name, json.dumps(event if event is not None else {}), callback=box.append)
    aws.sim.run_until(lambda: bool(box))
    return box[0]


def messages(aws: ll.Lambda, name: str = "f") -> list[str]:
    """The messages of the function's log group, in time order."""
    return [event.message for _, event in aws.log_group(name).events()]


SOURCE_FIXED = exact_cold_start(0.25)
"""A cold start of exactly 0.25 s of INIT, so that times are exact binary fractions."""


def source_service(era: str = "today", seed: int = 11, **kwargs: Any) -> ll.Lambda:
    """A Lambda with the exact cold start; ``sim={...}`` passes settings to the Simulation."""
    return ll.Lambda(ll.Simulation(seed=seed, **kwargs.pop("sim", {})), era=era, cold_start=SOURCE_FIXED, **kwargs)


def create_from_source(aws: ll.Lambda, source: str, name: str = "f", **settings: Any) -> None:
    """Create function ``name`` from the module text ``source`` (handler ``app.handler``)."""
    aws.create_function(name, ll.Code.from_source(source, "app.py"), handler="app.handler", **settings)


# Handlers that spin in real time: the second catches the timeout and spins again.
SPIN = "def handler(event, context):\n    while True:\n        pass\n"
STUBBORN = """\
def handler(event, context):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
"""
