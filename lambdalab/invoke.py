"""The life of one request: admission, cold or warm start, INIT, INVOKE, response.

Invocation types (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):
``RequestResponse`` answers 200 when the function has run, with its result or
its error payload and ``FunctionError: Unhandled``; ``Event`` answers 202 at
once and runs the event later from an internal queue (throttled events wait
and retry, up to the maximum event age); ``DryRun`` answers 204 after the
checks, running nothing. A throttle answers 429 (``TooManyRequestsException``).

:class:`Engine` is this module's admission and INVOKE plus two parts: the environments'
lifecycle (:mod:`lambdalab.environments`) and the responses (:mod:`lambdalab.responses`). It
does not know its callers: ``Event`` requests go to an :class:`lambdalab.request.EventQueue`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from .concurrency import ConcurrencyManager
from .context import LambdaContext
from .environments import TIMED_OUT, EnvironmentLifecycle
from .function import Function
from .lifecycle import EnvState, ExecutionEnvironment
from .logs import CloudWatchLogs, start_line
from .metrics import Recorder
from .pricing import price_sheet
from .quotas import Era, Quotas
from .request import DRY_RUN, EVENT, REQUEST_RESPONSE, EventQueue, InvocationResult, Request
from .responses import Responses
from .runtime import Clock, Deadline, error_log_message, error_payload, marshal, sandbox
from .sim import LATE, Simulation

__all__ = ["DRY_RUN", "EVENT", "REAL_TIME_LIMIT_S", "REQUEST_RESPONSE", "Engine", "InvocationResult", "Request"]

_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))  # the variant and version bits uuid.UUID(version=4) sets
_UUID_V4 = (0x8000 << 48) | (4 << 76)
REAL_TIME_LIMIT_S = 60.0
"""Real seconds handler or INIT code may run without finishing before it is stopped as timed out
(:class:`lambdalab.guard.RealTimeGuard`); ``None`` turns the guard off."""


class Engine(EnvironmentLifecycle, Responses):
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
        self.asynchronous: EventQueue | None = None  # set by the service

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
    ) -> Request:
        """A request arriving now for the version ``fn``. Sync and DryRun start at once; Event is queued.
        ``invoked_arn`` is the function's ARN as the caller named it (qualified with the alias or version)."""
        request_id = self.new_id() if self.need_ids or fn.code is not None or kind != REQUEST_RESPONSE else ""
        req = Request(fn, raw, event, kind, tail, self.sim.now, request_id, callback)
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

    def later(self, delay: float, req: Request) -> None:
        """Attempt ``req`` after ``delay`` (asynchronous events and their retries)."""
        self.sim.schedule(delay, lambda: self._arrive(req), LATE)

    def copy(self, req: Request, request_id: str | None = None) -> Request:
        """A new attempt of the same request (same id unless given), with a fresh copy of the event."""
        event = req.event if req.fn.code is None else json.loads(req.raw or b"null")
        again = Request(req.fn, req.raw, event, req.type, req.tail, self.sim.now, request_id or req.id, req.callback)
        again.received, again.attempt, again.backoff = req.received, req.attempt, req.backoff
        again.invoked_arn = req.invoked_arn
        return again

    def _arrive(self, req: Request) -> None:
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
        delay = fn.cold_start.platform_delay(self.sim.rng)
        self.sim.schedule(delay, lambda: self._init(fn, req.env, req))  # type: ignore[arg-type]

    def _throttled(self, req: Request, reason: str) -> None:
        self.recorder.throttle_attempts += 1
        self._finish(req, 429, None, None, "", 0.0, 0.0, "throttled", "TooManyRequestsException", reason)

    # -- INVOKE ----------------------------------------------------------------------------------------
    def _invoke(self, req: Request) -> None:
        env, fn, now = req.env, req.fn, self.sim.now
        assert env is not None
        reset = env.state is EnvState.RESET
        env.to(EnvState.INVOKING)
        env.invocations += 1
        req.start = now
        failure = self._suppressed_init(fn, env, req) if reset else None
        if self.logs is not None:  # after a suppressed init: START comes when it ends (AWS's example)
            self._log(fn, env, start_line(req.id, fn.version), now + req.redo_init if reset else None, req=req)
        if failure is not None:
            if failure is TIMED_OUT:
                return self._at(fn.timeout, lambda: self._timed_out(req))
            assert isinstance(failure, dict)
            body, error_type, redo = json.dumps(failure).encode(), failure["errorType"], req.redo_init
            return self._at(
                redo, lambda: self._respond(req, now, redo, body, "Unhandled", "init_error", error_type, reset=True)
            )
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

    def _run_handler(self, req: Request, env: ExecutionEnvironment, fn: Function, now: float) -> None:
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

    def _timed_out(self, req: Request, lines: list[tuple[float, str]] | None = None) -> None:
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
