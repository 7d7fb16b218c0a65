"""The end of a request: its billed duration, its environment's next state, its logs, its one record.

A part of :class:`lambdalab.invoke.Engine` (see :mod:`lambdalab.request`). Every request ends in
exactly one call of :meth:`Responses._finish`, which records it (:mod:`lambdalab.metrics`) and
answers the caller. Log lines follow the Python runtime's formats (:mod:`lambdalab.logs`):
``START``, ``END``, ``REPORT`` (``Init Duration`` on a cold start) and the timeout line
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
"""

from __future__ import annotations

import math

from . import logs as logfmt
from .function import Function
from .lifecycle import EnvState, ExecutionEnvironment
from .quotas import Era
from .request import EVENT, EngineState, InvocationResult, Request


class Responses(EngineState):
    """The engine's part that answers requests, logs them and records them."""

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
            self._log_report(req, fn, env, duration, billed_ms, cold_init, outcome, error_type if reset else "")
        if env.state is not EnvState.INVOKING:
            pass  # INIT failed: the environment is already gone
        elif fn.stale and env.id in fn.stale:  # its configuration was replaced meanwhile
            fn.stale.discard(env.id)
            self._shut_down(fn, env)
            self.recorder.env_change(now, -1, -1)
        else:
            if reset:  # a timeout or a crash: the runtime goes, the environment and its /tmp stay
                env.to(EnvState.RESET)
                env.resets += 1
                env.loaded = None
                if env.sandbox is not None:
                    env.sandbox.modules.clear()
            else:
                env.to(EnvState.IDLE)
            env.last_used = now
            if reset and env.provisioned and fn.provisioned_envs <= fn.provisioned_target:
                # Provisioned concurrency keeps "initialized execution environments ... always available":
                # lambdalab's reading is that a reset one runs INIT again at once (AWS does not say when).
                self._init(fn, env, None)  # it stays busy until it is initialised again
            else:
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

    # -- logs ------------------------------------------------------------------------------------------
    def _log(
        self,
        fn: Function,
        env: ExecutionEnvironment,
        message: str,
        at: float | None = None,
        req: Request | None = None,
    ) -> None:
        if self.logs is not None:
            self.logs.put(fn.config.log_group_name, env.log_stream_name, self.sim.epoch_ms(at), message)
            if req is not None and req.tail:
                req.tail_lines.append(message)

    def _log_lines(
        self, fn: Function, env: ExecutionEnvironment, lines: list[tuple[float, str]], req: Request | None
    ) -> None:
        for at, text in lines:
            self._log(fn, env, text, at, req)

    def _log_report(
        self,
        req: Request,
        fn: Function,
        env: ExecutionEnvironment,
        duration: float,
        billed_ms: int,
        cold_init: float,
        outcome: str,
        crash: str = "",
    ) -> None:
        """END and REPORT; today's REPORT adds ``Status: timeout``, or ``Status: error`` and the ``Error Type``
        of a ``crash`` that ended the runtime (``Runtime.ExitError``), as AWS's examples show
        (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html)."""
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
                _status(outcome, crash) if self.quotas.era is Era.TODAY else None,
            ),
            req=req,
        )
        if outcome == "timeout":
            self._log(fn, env, logfmt.timeout_line(self.sim.iso(), req.id, fn.timeout), req=req)


def _status(outcome: str, crash: str) -> str | None:
    """The REPORT line's status field: ``timeout``, ``error`` with the crash's ``Error Type``, or none."""
    if outcome == "timeout":
        return "timeout"
    return f"error\tError Type: {crash}" if crash.startswith("Runtime.") else None
