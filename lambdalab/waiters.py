"""boto3's waiters for Lambda: ``aws.get_waiter("function_active_v2").wait(FunctionName="f")``.

A waiter calls one read operation until its answer matches an acceptor: ``success`` returns, ``failure``
raises :class:`lambdalab.errors.WaiterError`, ``retry`` waits ``Delay`` seconds and calls again, up to
``MaxAttempts`` calls; an error that no acceptor expects is a failure at once. The waiters, their delays,
attempts and acceptors are botocore's (``botocore/data/lambda/2015-03-31/waiters-2.json`` and
``botocore/waiter.py``, https://github.com/boto/botocore), each era's own: botocore 1.13.20 (19 November
2019) had ``function_exists`` only; ``function_active`` and ``function_updated`` came with function states
on 25 November 2019 (1.13.27); ``function_active_v2``, ``function_updated_v2`` and
``published_version_active`` in 2022. Here the wait passes on the virtual clock (the simulation runs
meanwhile). lambdalab's functions are ``Active`` and their last update ``Successful`` at once, so a state
waiter succeeds at its first call; for a function that is not there it fails as botocore's does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import LambdaError, WaiterError
from .quotas import Era
from .sim import Simulation

__all__ = ["WAITERS", "Acceptor", "Waiter", "WaiterModel", "get_waiter"]


@dataclass(frozen=True)
class Acceptor:
    """One rule of a waiter: ``state`` (success, failure, retry) when ``matcher`` finds ``expected``."""

    state: str
    matcher: str  # "path": a dotted path of the answer; "error": the error code (False: no error); "status"
    expected: Any
    argument: str = ""

    def matches(self, answer: dict[str, Any]) -> bool:
        error = answer.get("Error")
        if self.matcher == "error":
            return error is None if self.expected is False else error is not None and error["Code"] == self.expected
        if self.matcher == "status":
            return bool(answer["ResponseMetadata"]["HTTPStatusCode"] == self.expected)
        value: Any = answer if error is None else None
        for key in self.argument.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        return bool(value == self.expected)

    @property
    def explanation(self) -> str:
        """botocore's words for what matched, used in its messages."""
        if self.matcher == "path":
            return f'For expression "{self.argument}" we matched expected path: "{self.expected}"'
        if self.matcher == "status":
            return f"Matched expected HTTP status code: {self.expected}"
        return f"Matched expected service error code: {self.expected}"


@dataclass(frozen=True)
class WaiterModel:
    """A waiter as botocore defines it: its name, operation, delay (s), most attempts and acceptors."""

    name: str
    operation: str
    delay: int
    max_attempts: int
    acceptors: tuple[Acceptor, ...]


def _states(path: str, good: str, pending: str) -> tuple[Acceptor, ...]:
    return (
        Acceptor("success", "path", good, path),
        Acceptor("failure", "path", "Failed", path),
        Acceptor("retry", "path", pending, path),
    )


_EXISTS_2019 = WaiterModel(
    "FunctionExists",
    "GetFunction",
    1,
    20,
    (Acceptor("success", "status", 200), Acceptor("retry", "error", "ResourceNotFoundException")),
)
_TODAY = (
    WaiterModel("FunctionActive", "GetFunctionConfiguration", 5, 60, _states("State", "Active", "Pending")),
    WaiterModel("FunctionActiveV2", "GetFunction", 1, 300, _states("Configuration.State", "Active", "Pending")),
    WaiterModel(
        "FunctionExists",
        "GetFunction",
        1,
        20,
        (Acceptor("success", "error", False), Acceptor("retry", "error", "ResourceNotFoundException")),
    ),
    WaiterModel(
        "FunctionUpdated", "GetFunctionConfiguration", 5, 60, _states("LastUpdateStatus", "Successful", "InProgress")
    ),
    WaiterModel(
        "FunctionUpdatedV2",
        "GetFunction",
        1,
        300,
        _states("Configuration.LastUpdateStatus", "Successful", "InProgress"),
    ),
    WaiterModel("PublishedVersionActive", "GetFunctionConfiguration", 5, 312, _states("State", "Active", "Pending")),
)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


WAITERS: dict[Era, dict[str, WaiterModel]] = {
    Era.SEMINAR_2019: {"function_exists": _EXISTS_2019},
    Era.TODAY: {_snake(model.name): model for model in _TODAY},
}
"""Each era's waiters by boto3's (snake_case) name: botocore 1.13.20 (19 November 2019) and today's."""


class Waiter:
    """What ``get_waiter`` returns: ``name`` (botocore's, CamelCase), ``config`` and ``wait(**params)``."""

    def __init__(self, model: WaiterModel, operation: Callable[..., dict[str, Any]], sim: Simulation) -> None:
        self.name, self.config = model.name, model
        self._operation, self._sim = operation, sim

    def wait(self, **params: Any) -> None:
        """Call the operation with ``params`` until an acceptor decides; ``WaiterConfig={"Delay": s,
        "MaxAttempts": n}`` overrides the model's. Delays pass on the simulation's clock."""
        config = params.pop("WaiterConfig", None) or {}
        delay = config.get("Delay", self.config.delay)
        max_attempts = config.get("MaxAttempts", self.config.max_attempts)
        attempts, last = 0, None
        while True:
            answer = self._call(params)
            attempts += 1
            matched = next((a for a in self.config.acceptors if a.matches(answer)), None)
            if matched is None and "Error" in answer:
                error = answer["Error"]
                raise WaiterError(self.name, f"An error occurred ({error['Code']}): {error['Message']}", answer)
            if matched is not None:
                last = matched
                if matched.state == "success":
                    return
                if matched.state == "failure":
                    reason = f"Waiter encountered a terminal failure state: {matched.explanation}"
                    raise WaiterError(self.name, reason, answer)
            if attempts >= max_attempts:
                reason = "Max attempts exceeded"
                if last is not None:
                    reason += f". Previously accepted state: {last.explanation}"
                raise WaiterError(self.name, reason, answer)
            self._sim.run(until=self._sim.now + delay)

    def _call(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = dict(self._operation(**params))
        except LambdaError as error:
            return {
                "Error": {"Code": error.code, "Message": error.message},
                "ResponseMetadata": {"HTTPStatusCode": error.status_code},
            }
        answer["ResponseMetadata"] = {"HTTPStatusCode": 200}
        return answer


def get_waiter(era: Era, name: str, operations: dict[str, Callable[..., dict[str, Any]]], sim: Simulation) -> Waiter:
    """The era's waiter ``name``, or botocore's ``ValueError: Waiter does not exist: <name>``."""
    model = WAITERS[era].get(name)
    if model is None:
        error = ValueError(f"Waiter does not exist: {name}")
        if era is Era.SEMINAR_2019 and name in WAITERS[Era.TODAY]:
            note = (
                f"lambdalab: the SDK of 19 November 2019 had only function_exists; {name} came later (function"
                " states on 25 November 2019, the _v2 waiters in 2022). Use era='today'."
            )
            getattr(error, "add_note", lambda note: None)(note)  # Python 3.11+; mypy checks against 3.10
        raise error
    return Waiter(model, operations[model.operation], sim)
