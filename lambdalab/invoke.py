"""The life of one request: admission, cold or warm start, INIT, INVOKE, response.

Invocation types (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):
``RequestResponse`` answers 200 when the function has run, with its result or
its error payload and ``FunctionError: Unhandled``; ``Event`` answers 202 at
once and runs the event later from an internal queue (throttled events wait
and retry, up to the maximum event age); ``DryRun`` answers 204 after the
checks, running nothing. A throttle answers 429 (``TooManyRequestsException``).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import logs as logfmt
from .code import InitError
from .concurrency import ConcurrencyManager
from .context import LambdaContext
from .function import Function
from .lifecycle import EnvState, ExecutionEnvironment
from .logs import CloudWatchLogs
from .metrics import Recorder
from .pricing import price_sheet
from .quotas import Era, Quotas
from .runtime import Clock, Deadline, Sandbox, error_log_message, error_payload, marshal, sandbox
from .sim import LATE, Simulation

if TYPE_CHECKING:
    from .asynchronous import AsyncInvoker

REQUEST_RESPONSE, EVENT, DRY_RUN = "RequestResponse", "Event", "DryRun"
_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))  # the variant and version bits uuid.UUID(version=4) sets
_UUID_V4 = (0x8000 << 48) | (4 << 76)
REAL_TIME_LIMIT_S = 60.0
"""Real seconds handler or INIT code may run without finishing before it is stopped as timed out
(:class:`lambdalab.guard.RealTimeGuard`); ``None`` turns the guard off."""


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


class _Request:
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
        self.redo_init = 0.0  # INIT time repeated inside INVOKE after the INIT phase timed out
        self.start = 0.0  # when INVOKE began
        self.tail_lines: list[str] = []
        self.client_context: Any = None  # Invoke's ClientContext for the handler (synchronous requests only)
        self.invoked_arn = fn.config.arn  # the ARN the caller named: qualified when it gave a version or alias


class Engine:
    """Moves requests through their lifecycle on the simulation's clock."""

    def __init__(
        self,
        sim: Simulation,
        quotas: Quotas,
        concurrency: ConcurrencyManager,
        recorder: Recorder,
        logs: CloudWatchLogs | None,
        region: str,
    ) -> None:
        self.sim, self.quotas, self.concurrency, self.recorder = sim, quotas, concurrency, recorder
        self.logs, self.region = logs, region
        prices = price_sheet(quotas.era)
        self.unit_ms = prices.billing_granularity_ms
        self.init_billed = prices.init_billed
        self.epoch_unix = sim.epoch.timestamp()
        self.ids = random.Random(sim.seed ^ 0x5EED1D5)  # ids apart, so logging does not change durations
        self.trace_ids = random.Random(sim.seed ^ 0x7EACE1D)  # X-Ray trace ids apart, so request ids stay put
        self.real_time_limit_s: float | None = REAL_TIME_LIMIT_S  # the real-time guard (runtime.sandbox)
        self.clock_class: type[Clock] = Clock  # what measures a run's virtual time (lambdalab.virtualtime)
        self.need_ids = recorder.keep_records or logs is not None
        self.today, self.sync_payload_bytes = quotas.era is Era.TODAY, quotas.sync_payload_bytes
        self.asynchronous: AsyncInvoker | None = None  # set by the service

    # -- ids -------------------------------------------------------------------------------------------
    def new_id(self) -> str:
        """A version-4 UUID from the id generator: ``str(uuid.UUID(int=bits, version=4))``, formatted directly."""
        h = f"{self.ids.getrandbits(128) & _UUID_CLEAR | _UUID_V4:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def trace_header(self, at: float) -> str:
        """A new ``_X_AMZN_TRACE_ID`` for an invocation at virtual time ``at``
        (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader):
        ``Root=1-<epoch seconds, 8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0``."""
        bits = f"{self.trace_ids.getrandbits(160):040x}"
        return f"Root=1-{int(self.epoch_unix + at):08x}-{bits[:24]};Parent={bits[24:]};Sampled=0"

    def _stream_name(self, version: str) -> str:
        return f"{self.sim.datetime():%Y/%m/%d}/[{version}]{self.ids.getrandbits(128):032x}"

    # -- entry -----------------------------------------------------------------------------------------
    def submit(
        self,
        fn: Function,
        raw: bytes,
        event: Any,
        kind: str,
        tail: bool,
        callback: Callable[[InvocationResult], object] | None,
        client_context: Any = None,
        invoked_arn: str | None = None,
    ) -> _Request:
        """A request arriving now for the version ``fn``. Sync and DryRun start at once; Event is queued.
        ``invoked_arn`` is the function's ARN as the caller named it (qualified with the alias or version)."""
        request_id = self.new_id() if self.need_ids or fn.code is not None or kind != REQUEST_RESPONSE else ""
        req = _Request(fn, raw, event, kind, tail, self.sim.now, request_id, callback)
        req.client_context = client_context
        if invoked_arn is not None:
            req.invoked_arn = invoked_arn
        if kind == DRY_RUN:
            self._finish(req, 204, None, None, "", 0.0, 0.0, "dry_run", "")
        elif kind == EVENT:
            assert self.asynchronous is not None
            self.asynchronous.accept(req)
        else:
            self._arrive(req)
        return req

    def later(self, delay: float, req: _Request) -> None:
        """Attempt ``req`` after ``delay`` (asynchronous events and their retries)."""
        self.sim.schedule(delay, lambda: self._arrive(req), LATE)

    def copy(self, req: _Request, request_id: str | None = None) -> _Request:
        """A new attempt of the same request (same id unless given), with a fresh copy of the event."""
        event = req.event if req.fn.code is None else json.loads(req.raw or b"null")
        again = _Request(req.fn, req.raw, event, req.type, req.tail, self.sim.now, request_id or req.id, req.callback)
        again.received, again.attempt, again.backoff = req.received, req.attempt, req.backoff
        again.invoked_arn = req.invoked_arn
        return again

    def _arrive(self, req: _Request) -> None:
        fn, now = req.fn, self.sim.now
        req.arrival = now
        env = fn.take_idle()
        if env is not None:
            reason, pooled = self.concurrency.admit(fn.name, provisioned_env=env.provisioned, new_env=False, now=now)
            if reason is not None:
                fn.put_idle(env)
                return self._throttled(req, reason)
            req.env, req.pooled = env, pooled
            self.recorder.env_change(now, 0, 1)
            return self._invoke(req)
        reason, pooled = self.concurrency.admit(fn.name, provisioned_env=False, new_env=True, now=now)
        if reason is not None:
            return self._throttled(req, reason)
        req.env, req.pooled, req.cold = self._create(fn, provisioned=False), pooled, True
        delay = fn.cold_start.platform_delay(self.sim.rng, fn.in_vpc)
        self.sim.schedule(delay, lambda: self._init(fn, req.env, req))  # type: ignore[arg-type]

    def _throttled(self, req: _Request, reason: str) -> None:
        self.recorder.throttle_attempts += 1
        self._finish(req, 429, None, None, "", 0.0, 0.0, "throttled", "TooManyRequestsException", reason)

    # -- environments ----------------------------------------------------------------------------------
    def _create(self, fn: Function, *, provisioned: bool) -> ExecutionEnvironment:
        fn.created += 1
        env_id = self.new_id() if self.need_ids or fn.code is not None else str(fn.created)
        env = ExecutionEnvironment(env_id, fn.name, self.sim.now, provisioned=provisioned)
        if self.need_ids or fn.code is not None:
            env.log_stream_name = self._stream_name(fn.version)
        fn.environments[env_id] = env
        fn.provisioned_envs += provisioned
        self.recorder.env_change(self.sim.now, 1, 1)
        return env

    def provision(self, fn: Function) -> None:
        """Start one provisioned-concurrency environment: INIT now, then idle until used."""
        env = self._create(fn, provisioned=True)
        delay = fn.cold_start.platform_delay(self.sim.rng, fn.in_vpc)
        self.sim.schedule(delay, lambda: self._init(fn, env, None))

    def retire_provisioned(self, fn: Function) -> None:
        """Shut down idle provisioned environments beyond the function's provisioned concurrency, least recently
        used first, once it is lowered or removed; busy or initialising ones follow when they become idle
        (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html)."""
        surplus = fn.provisioned_envs - fn.provisioned_target
        while surplus > 0 and fn.idle_provisioned:
            env = fn.idle_provisioned.popitem(last=False)[1]
            env.to(EnvState.SHUT_DOWN)
            fn.discard(env)
            self.recorder.env_change(self.sim.now, -1, 0)
            surplus -= 1

    def retire_stale(self, fn: Function) -> None:
        """A new configuration or code: shut down the idle environments of the old one now, and the busy ones
        when they finish, so that every later request runs in an environment of the new one."""
        for env in list(fn.environments.values()):
            if env.state is EnvState.IDLE:
                env.to(EnvState.SHUT_DOWN)
                fn.discard(env)
                self.recorder.env_change(self.sim.now, -1, 0)
            else:
                fn.stale.add(env.id)

    def _init(self, fn: Function, env: ExecutionEnvironment, req: _Request | None) -> None:
        env.to(EnvState.INITIALIZING)
        duration = fn.init_duration(self.sim.rng)
        failure: InitError | None = None
        lines: list[tuple[float, str]] = []
        if fn.code is not None:
            clock = self.clock_class(self.sim.now, float("inf"), self.epoch_unix, fn.vcpus, req.id if req else "")
            box = Sandbox(fn.environment_variables(env, self.region), fn.config.ephemeral_storage)
            try:
                with sandbox(clock, box, self.real_time_limit_s):
                    env.loaded = fn.code.load(fn.config.handler, env.id)
                box.modules.update(env.loaded.modules)
                box.path = env.loaded.path
                env.sandbox = box
            except InitError as error:
                failure = error
            except Deadline:  # the real-time guard stopped INIT's code
                failure = InitError("Sandbox.Timedout", "INIT stopped by lambdalab's real-time limit")
            duration += clock.elapsed
            lines = clock.lines
        cap = self.quotas.init_cap_s
        if req is not None and failure is None and cap is not None and duration > cap:
            # On-demand INIT is cut at 10 s and run again inside the first INVOKE, under the function's timeout
            # (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib).
            req.init_duration, req.redo_init = cap, duration
            lines.append(
                (self.sim.now + cap, f"INIT_REPORT Init Duration: {cap * 1000:.2f} ms\tPhase: init\tStatus: timeout")
            )
            self.sim.schedule(cap, lambda: self._initialised(fn, env, req, None, lines))
            return
        if req is not None:
            req.init_duration = duration
        self.sim.schedule(duration, lambda: self._initialised(fn, env, req, failure, lines))

    def _initialised(
        self,
        fn: Function,
        env: ExecutionEnvironment,
        req: _Request | None,
        failure: InitError | None,
        lines: list[tuple[float, str]],
    ) -> None:
        self._log_lines(fn, env, lines, req)
        if failure is not None:
            payload: dict[str, Any] = {"errorMessage": failure.message, "errorType": failure.error_type}
            if self.quotas.era is Era.TODAY:
                payload["requestId"] = ""  # INIT runs before any request: the runtime reports no id
            payload["stackTrace"] = failure.stack_trace
            self._log(fn, env, error_log_message(payload), req=req)
            env.to(EnvState.SHUT_DOWN)  # a failed INIT resets the environment
            fn.discard(env)
            self.recorder.env_change(self.sim.now, -1, -1)
            if req is None:  # a provisioned environment failed INIT: nothing to answer
                return
            self._log(fn, env, logfmt.start_line(req.id, fn.version), req=req)
            self._respond(
                req,
                self.sim.now,
                0.0,
                json.dumps(payload).encode(),
                "Unhandled",
                "init_error",
                failure.error_type,
            )
            return
        if req is None:
            env.to(EnvState.IDLE)
            fn.put_idle(env)
            self.recorder.env_change(self.sim.now, 0, -1)
            return self.retire_provisioned(fn)
        self._invoke(req)

    # -- INVOKE ----------------------------------------------------------------------------------------
    def _invoke(self, req: _Request) -> None:
        env, fn, now = req.env, req.fn, self.sim.now
        assert env is not None
        env.to(EnvState.INVOKING)
        env.invocations += 1
        req.start = now
        if self.logs is not None:
            self._log(fn, env, logfmt.start_line(req.id, fn.version), req=req)
        model = fn.model
        if model is not None:
            duration = model.duration.sample(self.sim.rng) + req.redo_init
            if duration >= fn.timeout:
                return self._at(fn.timeout, lambda: self._timed_out(req))
            if model.error_rate and self.sim.rng.random() < model.error_rate:
                body = b'{"errorMessage": "simulated failure", "errorType": "SimulatedError", "stackTrace": []}'
                return self._at(
                    duration,
                    lambda: self._respond(req, now, duration, body, "Unhandled", "error", "SimulatedError"),
                )
            return self._at(duration, lambda: self._respond(req, now, duration, b"null", None, "success", ""))
        self._run_handler(req, env, fn, now)

    def _at(self, delay: float, action: Callable[[], object]) -> None:
        self.sim.schedule(delay, action)

    def _run_handler(self, req: _Request, env: ExecutionEnvironment, fn: Function, now: float) -> None:
        assert env.loaded is not None
        deadline = now + fn.timeout
        clock = self.clock_class(now, deadline, self.epoch_unix, fn.vcpus, req.id)
        context = LambdaContext.for_invocation(
            fn.context_constants, req.invoked_arn, req.id, env.log_stream_name, deadline, clock.now, req.client_context
        )
        handler, box = env.loaded.handler, env.sandbox
        assert box is not None
        today = self.today
        outcome, error_type, function_error, reset = "success", "", None, False
        body: bytes | None = None
        try:
            if req.redo_init:
                clock.advance(req.redo_init)
            box.environ.set_later("_X_AMZN_TRACE_ID", self.trace_header, now)  # made when first read
            with sandbox(clock, box, self.real_time_limit_s):
                result = handler(req.event, context)
            if clock.expired:  # the code caught the timeout (a bare except): Lambda stops it all the same
                raise Deadline()
            rid = req.id if today else None
            body, failure = marshal(result, self.sync_payload_bytes, rid, box.ensure_ascii)
            if failure is not None:
                outcome, error_type, function_error = "error", failure["errorType"], "Unhandled"
                body = json.dumps(failure).encode()
        except Deadline:
            lines = clock.lines
            return self._at(fn.timeout, lambda: self._timed_out(req, lines))
        except KeyboardInterrupt:
            raise  # the learner pressed stop: not the handler's failure
        except Exception as error:
            payload = error_payload(error, req.id if today else None)
            outcome, error_type, function_error = "error", payload["errorType"], "Unhandled"
            body = json.dumps(payload).encode()
            clock.log(error_log_message(payload))
        except BaseException as error:  # SystemExit and the like end the runtime process: the environment resets
            status = error.code if isinstance(error, SystemExit) else 1
            outcome, error_type, function_error, reset = "error", "Runtime.ExitError", "Unhandled", True
            body = json.dumps(
                {
                    "errorMessage": f"RequestId: {req.id} Error: Runtime exited with error: exit status {status}",
                    "errorType": "Runtime.ExitError",
                }
            ).encode()
        duration, lines = clock.elapsed, clock.lines
        self.sim.schedule(
            duration,
            lambda: self._respond(
                req, now, duration, body, function_error, outcome, error_type, reset=reset, lines=lines
            ),
        )

    def _timed_out(self, req: _Request, lines: list[tuple[float, str]] | None = None) -> None:
        timeout = req.fn.timeout
        if self.quotas.era is Era.SEMINAR_2019:
            payload = {"errorMessage": f"{self.sim.iso()} {req.id} Task timed out after {timeout:.2f} seconds"}
        else:
            payload = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {req.id} Error: Task timed out after {timeout:.2f} seconds",
            }
        self._respond(
            req,
            req.start,
            timeout,
            json.dumps(payload).encode(),
            "Unhandled",
            "timeout",
            payload.get("errorType", "Timeout"),
            reset=True,
            lines=lines,
        )

    # -- completion ------------------------------------------------------------------------------------
    def _respond(
        self,
        req: _Request,
        start: float,
        duration: float,
        body: bytes | None,
        function_error: str | None,
        outcome: str,
        error_type: str,
        *,
        reset: bool = False,
        lines: list[tuple[float, str]] | None = None,
    ) -> None:
        env, fn, now = req.env, req.fn, self.sim.now
        assert env is not None
        if lines:
            self._log_lines(fn, env, lines, req)
        cold_init = req.init_duration if req.cold else 0.0
        billed_s = duration + cold_init if self.init_billed else duration
        unit = self.unit_ms
        billed_ms = max(1, math.ceil(billed_s * 1000 / unit - 1e-9)) * unit  # pricing.billed_duration_ms, inlined
        if self.logs is not None:
            self._log_report(req, fn, env, duration, billed_ms, cold_init, outcome)
        if env.state is not EnvState.INVOKING:
            pass  # INIT failed: the environment is already gone
        elif reset or (fn.stale and env.id in fn.stale):  # a timeout or a crash resets it; a stale one goes
            fn.stale.discard(env.id)
            env.to(EnvState.SHUT_DOWN)
            fn.discard(env)
            self.recorder.env_change(now, -1, -1)
            if env.provisioned and fn.provisioned_envs < fn.provisioned_target:
                self.provision(fn)  # Lambda keeps the provisioned count: a fresh environment replaces it
        else:
            env.to(EnvState.IDLE)
            env.last_used = now
            fn.put_idle(env)
            if not env.provisioned:
                self._age(fn, env, now + fn.cold_start.idle_lifetime.sample(self.sim.rng))
            self.recorder.env_change(now, 0, -1)
            if env.provisioned:  # provisioned concurrency may have been lowered meanwhile
                self.retire_provisioned(fn)
        self.concurrency.release(fn.name, provisioned_env=env.provisioned, pooled=req.pooled)
        status = 200
        log_result = logfmt.tail(req.tail_lines, self.quotas.tail_log_bytes) if req.tail and self.logs else None
        self._finish(
            req,
            status,
            body,
            function_error,
            env.id,
            start,
            duration,
            outcome,
            error_type,
            billed_ms=billed_ms,
            log_result=log_result,
        )

    def _finish(
        self,
        req: _Request,
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
    ) -> None:
        now = self.sim.now
        self.recorder.record(
            req.id,
            req.fn.name,
            req.type,
            req.attempt,
            req.arrival,
            start or now,
            now,
            env_id,
            req.cold,
            req.init_duration,
            duration,
            billed_ms,
            req.fn.config.memory_size,
            outcome,
            error_type,
            req.fn.version,
            req.env is not None and req.env.provisioned,
        )
        if req.callback is None and req.type != EVENT:
            return
        result = InvocationResult(
            req.id,
            req.fn.name,
            req.type,
            status,
            body,
            function_error,
            log_result,
            req.arrival,
            start or now,
            now,
            req.cold,
            req.init_duration,
            duration,
            billed_ms,
            env_id,
            outcome,
            error_type,
            reason,
            req.fn.version,
        )
        if req.type == EVENT:
            assert self.asynchronous is not None
            if outcome == "throttled":
                self.asynchronous.throttled(req)
            else:
                self.asynchronous.finished(req, result)
        if req.callback is not None:
            req.callback(result)

    def _age(self, fn: Function, env: ExecutionEnvironment, expires_at: float) -> None:
        """Set when an idle environment is reaped. Each environment keeps at most one reaping timer,
        re-armed lazily when it fires, so reuse costs no timer work (O(1) per request)."""
        env.expires_at = expires_at
        timer = env.expiry
        if timer is not None and not timer.cancelled and timer.time <= expires_at:
            return
        self.sim.cancel(timer)
        env.expiry = self.sim.at(expires_at, lambda: self._reap(fn, env))

    def _reap(self, fn: Function, env: ExecutionEnvironment) -> None:
        env.expiry = None
        if env.state is not EnvState.IDLE:
            return  # busy: its next idle period arms a new timer
        if self.sim.now < env.expires_at:
            env.expiry = self.sim.at(env.expires_at, lambda: self._reap(fn, env))
            return
        env.to(EnvState.SHUT_DOWN)
        fn.discard(env)
        self.recorder.env_change(self.sim.now, -1, 0)

    # -- logs ------------------------------------------------------------------------------------------
    def _log(
        self,
        fn: Function,
        env: ExecutionEnvironment,
        message: str,
        at: float | None = None,
        req: _Request | None = None,
    ) -> None:
        if self.logs is not None:
            self.logs.put(fn.config.log_group_name, env.log_stream_name, self.sim.epoch_ms(at), message)
            if req is not None and req.tail:
                req.tail_lines.append(message)

    def _log_lines(
        self, fn: Function, env: ExecutionEnvironment, lines: list[tuple[float, str]], req: _Request | None
    ) -> None:
        for at, text in lines:
            self._log(fn, env, text, at, req)

    def _log_report(
        self,
        req: _Request,
        fn: Function,
        env: ExecutionEnvironment,
        duration: float,
        billed_ms: int,
        cold_init: float,
        outcome: str,
    ) -> None:
        c = fn.config
        self._log(fn, env, logfmt.end_line(req.id), req=req)
        self._log(
            fn,
            env,
            logfmt.report_line(
                req.id,
                duration * 1000,
                billed_ms,
                c.memory_size,
                fn.memory_used_mb,
                cold_init * 1000 if req.cold else None,
                "timeout" if outcome == "timeout" and self.quotas.era is Era.TODAY else None,
            ),
            req=req,
        )
        if outcome == "timeout":
            self._log(fn, env, logfmt.timeout_line(self.sim.iso(), req.id, fn.timeout), req=req)
