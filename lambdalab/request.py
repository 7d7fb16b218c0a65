"""What the engine's parts share: a request on its way, its result, and the state they work on.

The engine (:class:`lambdalab.invoke.Engine`) is three parts on one object, along the seams of a
request's life: admission and INVOKE (:mod:`lambdalab.invoke`), the execution environments'
lifecycle with INIT (:mod:`lambdalab.environments`), and the response with its logs and records
(:mod:`lambdalab.responses`). :class:`EngineState` declares what they share; it holds no code.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .concurrency import ConcurrencyManager
    from .function import Function
    from .lifecycle import ExecutionEnvironment
    from .logs import CloudWatchLogs
    from .metrics import Recorder
    from .quotas import Quotas
    from .runtime import Clock
    from .sim import Simulation

REQUEST_RESPONSE, EVENT, DRY_RUN = "RequestResponse", "Event", "DryRun"


@dataclass(frozen=True)
class InvocationResult:
    """The facts of one finished request."""

    request_id: str
    function_name: str
    invocation_type: str
    status_code: int
    payload: bytes | None
    function_error: str | None
    log_result: str | None
    arrival: float
    start: float
    end: float
    cold: bool
    init_duration: float
    duration: float
    billed_duration_ms: int
    env_id: str
    outcome: str
    error_type: str
    throttle_reason: str | None = None
    version: str = "$LATEST"
    """The version that ran (``ExecutedVersion``)."""

    def json(self) -> Any:
        """The response payload, decoded (``None`` when there is none)."""
        return None if not self.payload else json.loads(self.payload)


class Request:
    __slots__ = (
        "arrival",
        "attempt",
        "backoff",
        "callback",
        "client_context",
        "cold",
        "env",
        "event",
        "fn",
        "id",
        "init_duration",
        "invoked_arn",
        "pooled",
        "raw",
        "received",
        "redo_init",
        "start",
        "tail",
        "tail_lines",
        "type",
    )

    def __init__(
        self,
        fn: Function,
        raw: bytes,
        event: Any,
        kind: str,
        tail: bool,
        arrival: float,
        request_id: str,
        callback: Callable[[InvocationResult], object] | None,
    ) -> None:
        self.fn, self.raw, self.event, self.type, self.tail = fn, raw, event, kind, tail
        self.arrival, self.id, self.callback = arrival, request_id, callback
        self.received = arrival  # when the request (an async event: its first attempt) arrived
        self.attempt = 1
        self.backoff = 0.0
        self.env: ExecutionEnvironment | None = None
        self.pooled = False
        self.cold = False
        self.init_duration = 0.0
        self.redo_init = 0.0  # INIT time run inside INVOKE: after the INIT phase timed out, or a suppressed init
        self.start = 0.0  # when INVOKE began
        self.tail_lines: list[str] = []
        self.client_context: Any = None  # Invoke's ClientContext for the handler (synchronous requests only)
        self.invoked_arn = fn.config.arn  # the ARN the caller named: qualified when it gave a version or alias


class EventQueue(Protocol):
    """Where the engine hands ``Event`` requests: Lambda's internal queue (:mod:`lambdalab.asynchronous`)."""

    def accept(self, req: Request) -> None: ...

    def throttled(self, req: Request) -> None: ...

    def finished(self, req: Request, result: InvocationResult) -> None: ...


class EngineState:
    """The state the engine's parts share, and the steps each part takes from another (declared only)."""

    sim: Simulation
    quotas: Quotas
    concurrency: ConcurrencyManager
    recorder: Recorder
    logs: CloudWatchLogs | None
    region: str
    unit_ms: int
    init_billed: bool
    epoch_unix: float
    ids: random.Random
    real_time_limit_s: float | None
    clock_class: type[Clock]
    need_ids: bool
    asynchronous: EventQueue | None

    if TYPE_CHECKING:

        def new_id(self) -> str: ...

        def _invoke(self, req: Request) -> None: ...

        def _respond(
            self,
            req: Request,
            start: float,
            duration: float,
            body: bytes | None,
            function_error: str | None,
            outcome: str,
            error_type: str,
            *,
            reset: bool = False,
            lines: list[tuple[float, str]] | None = None,
        ) -> None: ...

        def _finish(
            self,
            req: Request,
            status: int,
            body: bytes | None,
            function_error: str | None,
            env_id: str,
            start: float,
            duration: float,
            outcome: str,
            error_type: str,
            reason: str | None = None,
            *,
            billed_ms: int = 0,
            log_result: str | None = None,
        ) -> None: ...

        def _log(
            self,
            fn: Function,
            env: ExecutionEnvironment,
            message: str,
            at: float | None = None,
            req: Request | None = None,
        ) -> None: ...

        def _log_lines(
            self, fn: Function, env: ExecutionEnvironment, lines: list[tuple[float, str]], req: Request | None
        ) -> None: ...

        def _age(self, fn: Function, env: ExecutionEnvironment, expires_at: float) -> None: ...

        def _shut_down(self, fn: Function, env: ExecutionEnvironment) -> None: ...

        def provision(self, fn: Function) -> None: ...

        def _init(self, fn: Function, env: ExecutionEnvironment, req: Request | None) -> None: ...

        def retire_provisioned(self, fn: Function) -> None: ...
