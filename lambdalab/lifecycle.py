"""The execution environment's lifecycle: its states and the only legal moves between them.

AWS describes three phases (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html):
INIT (start extensions and the runtime, run the function's static code), INVOKE
(run the handler, once per request) and SHUTDOWN. Between invocations the
environment is frozen (S1.11.3) and may be reused (a warm start, S1.11.2) or
shut down after an idle time Lambda does not document. Before INIT, a cold
start also creates the sandbox and, in 2019's VPC model, an ENI (S1.11.1);
that is ``CREATING`` here. A timeout or a crash of the runtime *resets* the
environment: Lambda shuts its runtime down but keeps the environment (and
its ``/tmp``); the next request that it serves runs INIT again inside its
INVOKE, a *suppressed init* ("Failures during the invoke phase" on the page
above). That is ``RESET`` here.

Every state change goes through :meth:`ExecutionEnvironment.to`, which checks
:data:`TRANSITIONS` and raises :class:`IllegalTransition` for anything else.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .code import Loaded
    from .runtime import Sandbox
    from .sim import Simulation, Timer


class EnvState(Enum):
    __hash__ = object.__hash__  # members are singletons: identity hashing, in C (the lifecycle is a hot path)

    CREATING = "creating"
    """Cold start before INIT: ENI (2019 VPC), sandbox, code download and unpack."""
    INITIALIZING = "initializing"
    """INIT phase: runtime start and the function's module-level code."""
    INVOKING = "invoking"
    """INVOKE phase: running one request's handler."""
    IDLE = "idle"
    """Frozen between invocations: warm, reusable, not billed."""
    RESET = "reset"
    """Its runtime shut down after a timeout or a crash: reusable, but the next request runs INIT first."""
    SHUT_DOWN = "shut down"
    """Gone: reaped when idle, retired with its configuration, deprovisioned, or its first INIT failed."""


_GONE = EnvState.SHUT_DOWN

TRANSITIONS: dict[EnvState, frozenset[EnvState]] = {
    EnvState.CREATING: frozenset({EnvState.INITIALIZING, EnvState.SHUT_DOWN}),
    # On-demand INIT runs for the request that caused it; provisioned INIT ends idle.
    EnvState.INITIALIZING: frozenset({EnvState.INVOKING, EnvState.IDLE, EnvState.SHUT_DOWN}),
    EnvState.INVOKING: frozenset({EnvState.IDLE, EnvState.RESET, EnvState.SHUT_DOWN}),
    EnvState.IDLE: frozenset({EnvState.INVOKING, EnvState.SHUT_DOWN}),
    # A provisioned environment that was reset runs INIT again at once (lambdalab.responses).
    EnvState.RESET: frozenset({EnvState.INVOKING, EnvState.INITIALIZING, EnvState.SHUT_DOWN}),
    EnvState.SHUT_DOWN: frozenset(),
}

BUSY_STATES = frozenset({EnvState.CREATING, EnvState.INITIALIZING, EnvState.INVOKING})
"""States in which an environment counts towards concurrency."""

PARKED_STATES = frozenset({EnvState.IDLE, EnvState.RESET})
"""States in which an environment waits for a request (in its function's idle pool)."""


class IllegalTransition(RuntimeError):
    """A state change that the lifecycle does not allow (a bug in the caller)."""


class ExecutionEnvironment:
    """One execution environment of one function: its state, its code and its log stream."""

    __slots__ = (
        "created_at",
        "expires_at",
        "expiry",
        "function_name",
        "id",
        "invocations",
        "last_used",
        "loaded",
        "log_stream_name",
        "provisioned",
        "record",
        "resets",
        "sandbox",
        "state",
        "tag",
    )

    def __init__(self, env_id: str, function_name: str, now: float, *, provisioned: bool = False) -> None:
        self.id = env_id
        self.function_name = function_name
        self.state = EnvState.CREATING
        self.created_at = now
        self.last_used = now
        self.provisioned = provisioned
        self.invocations = 0
        self.resets = 0  # timeouts and crashes it survived, each followed by a suppressed init
        self.loaded: Loaded | None = None
        self.sandbox: Sandbox | None = None
        self.expiry: Timer | None = None
        self.expires_at = float("inf")
        self.log_stream_name = ""
        self.tag: Any = None
        self.record: EnvironmentRecord | None = None

    def to(self, state: EnvState) -> None:
        """Move to ``state``, or raise :class:`IllegalTransition`."""
        if state not in TRANSITIONS[self.state]:
            raise IllegalTransition(
                f"environment {self.id} of {self.function_name}: {self.state.value} -> {state.value} is not a "
                f"legal transition (allowed: {sorted(s.value for s in TRANSITIONS[self.state]) or 'none'})"
            )
        previous, self.state = self.state, state
        if state is _GONE:
            if self.sandbox is not None:
                self.sandbox.discard()  # its /tmp goes with it
            if self.record is not None:
                self.record.close(self, previous)

    @property
    def busy(self) -> bool:
        return self.state in BUSY_STATES

    def __repr__(self) -> str:
        return f"<ExecutionEnvironment {self.id} {self.function_name} {self.state.value}>"


SHUTDOWN_REASONS = {
    "reaped": "idle past its idle lifetime",
    "retired": "its configuration or code was replaced",
    "deprovisioned": "provisioned concurrency lowered or removed",
    "init_failed": "INIT failed",
}
"""Why an environment was shut down: the ``reason`` column of :meth:`lambdalab.Lambda.environments`."""


class EnvironmentRecord:
    """One environment's life, kept for :meth:`lambdalab.Lambda.environments`: updated in place, O(1) a change."""

    __slots__ = (
        "created",
        "env",
        "environment",
        "function",
        "init_end",
        "init_start",
        "invocations",
        "log",
        "log_stream",
        "provisioned",
        "reason",
        "resets",
        "shut_down",
        "version",
    )

    def __init__(self, log: EnvironmentLog, env: ExecutionEnvironment, version: str) -> None:
        self.log = log
        self.env: ExecutionEnvironment | None = env
        self.function, self.version, self.environment = env.function_name, version, env.id
        self.log_stream, self.provisioned, self.created = env.log_stream_name, env.provisioned, env.created_at
        self.init_start: float | None = None
        self.init_end: float | None = None
        self.shut_down: float | None = None
        self.reason: str | None = None  # set before the move by whoever shuts the environment down, if it knows
        self.invocations = 0
        self.resets = 0

    def close(self, env: ExecutionEnvironment, previous: EnvState) -> None:
        """The environment is gone: when, why (``init_failed``, else the reason set), how many invocations
        it served and how many resets it had; the record lets go of the environment."""
        self.shut_down = self.log.sim.now
        if previous is EnvState.INITIALIZING:
            self.reason = "init_failed"
        elif self.reason is None:
            raise IllegalTransition(f"environment {env.id} of {env.function_name} was shut down without a reason")
        self.invocations, self.resets = env.invocations, env.resets
        self.env = None


class EnvironmentLog:
    """Every execution environment a service created, in order of creation (records kept only)."""

    COLUMNS = (
        "function",
        "version",
        "environment",
        "log_stream",
        "provisioned",
        "created",
        "init_start",
        "init_end",
        "shut_down",
        "reason",
        "invocations",
        "resets",
    )

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.records: list[EnvironmentRecord] = []

    def add(self, env: ExecutionEnvironment, version: str) -> None:
        env.record = record = EnvironmentRecord(self, env, version)
        self.records.append(record)

    def columns(self) -> dict[str, list[Any]]:
        """The records as columns (:data:`COLUMNS`); a live environment's invocations and resets so far."""
        out: dict[str, list[Any]] = {name: [] for name in self.COLUMNS}
        for r in self.records:
            live = r.env
            for name in self.COLUMNS:
                source = live if live is not None and name in ("invocations", "resets") else r
                out[name].append(getattr(source, name))
        return out
