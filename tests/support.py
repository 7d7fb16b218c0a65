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
