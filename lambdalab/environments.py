"""The execution environments' lifecycle on the engine's clock: create, INIT, keep idle, reap, retire.

A part of :class:`lambdalab.invoke.Engine` (see :mod:`lambdalab.request`). States and legal moves
are :mod:`lambdalab.lifecycle`'s; here is when they happen. Cold start: the platform's delay
(:mod:`lambdalab.coldstart`), then INIT runs the function's module code in a fresh sandbox
(:mod:`lambdalab.runtime`). On-demand INIT is cut at 10 s and repeated inside the first INVOKE
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib).
An environment reset by a timeout or a crash runs INIT again inside its next request's INVOKE, with a
fresh runtime and the same ``/tmp`` (a suppressed init, "Failures during the invoke phase" on that page).
Idle environments are reaped after their idle lifetime; provisioned ones are kept to the version's
count (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html).
Where the era's model has an ENI step (2019), a VPC function's new environment joins an ENI of its
version's pool or creates one (:class:`lambdalab.coldstart.EniPool`); ``env.tag`` holds
``(eni, wait)`` and INIT starts after the wait. An environment's shutdown releases its place.
"""

from __future__ import annotations

import json
import math
from typing import Any

from . import logs as logfmt
from .code import InitError
from .coldstart import Eni, EniPool, eni_capacity
from .function import Function
from .lifecycle import PARKED_STATES, EnvironmentLog, EnvState, ExecutionEnvironment
from .quotas import Era
from .request import EngineState, Request
from .runtime import Deadline, Sandbox, error_log_message, sandbox

TIMED_OUT = InitError("Sandbox.Timedout", "the request's timeout came during its suppressed init")
"""What :meth:`EnvironmentLifecycle._run_init` returns as the failure of an INIT that reached its deadline."""

EniKey = tuple[tuple[str, ...], tuple[str, ...], int]
"""A 2019 ENI pool's key: subnets, security groups, memory (MB)."""


class EnvironmentLifecycle(EngineState):
    """The engine's part that makes, initialises, parks and ends execution environments."""

    environment_log: EnvironmentLog | None = None
    """Every environment's life (:meth:`lambdalab.Lambda.environments`); set by the service when records are kept."""

    eni_pools: dict[Function, dict[EniKey, EniPool]] | None = None
    """2019 ENIs per function version, one pool per (subnets, security groups, memory); made on first use."""

    def _stream_name(self, version: str) -> str:
        return f"{self.sim.datetime():%Y/%m/%d}/[{version}]{self.ids.getrandbits(128):032x}"

    def _create(self, fn: Function, *, provisioned: bool) -> ExecutionEnvironment:
        fn.created += 1
        env_id = self.new_id() if self.need_ids or fn.code is not None else str(fn.created)
        env = ExecutionEnvironment(env_id, fn.name, self.sim.now, provisioned=provisioned)
        if self.need_ids or fn.code is not None:
            env.log_stream_name = self._stream_name(fn.version)
        fn.environments[env_id] = env
        fn.provisioned_envs += provisioned
        if self.environment_log is not None:
            self.environment_log.add(env, fn.version)
        self.recorder.env_change(self.sim.now, 1, 1)
        vpc = fn.config.vpc_config
        if vpc is not None and fn.cold_start.eni is not None:
            self._join_eni(fn, env, (vpc.subnet_ids, vpc.security_group_ids, fn.config.memory_size))
        return env

    def _join_eni(self, fn: Function, env: ExecutionEnvironment, key: EniKey) -> None:
        """2019: attach a new environment to an ENI with room, or create one and wait for it
        (https://github.com/awsdocs/aws-lambda-developer-guide/blob/00675ec49300cf24e449ba8399a55c0346665528/doc_source/vpc.md)."""
        if self.eni_pools is None:
            self.eni_pools = {}
        pools = self.eni_pools.setdefault(fn, {})
        pool = pools.get(key)
        if pool is None:
            pool = pools[key] = EniPool(eni_capacity(key[2]))
        eni = fn.cold_start.eni
        assert eni is not None
        env.tag = pool.join(env, self.sim.now, lambda: eni.sample(self.sim.rng))

    def attached_enis(self, fn: Function) -> int:
        """ENIs attached now for this function version in the 2019 model (0 where there are none)."""
        pools = (self.eni_pools or {}).get(fn, {})
        return sum(len(pool.enis) for pool in pools.values())

    def _shut_down(self, fn: Function, env: ExecutionEnvironment) -> None:
        env.to(EnvState.SHUT_DOWN)
        fn.discard(env)
        if env.tag is not None:  # its 2019 ENI: one environment fewer
            eni: Eni = env.tag[0]
            eni.pool.leave(eni, env)

    def provision(self, fn: Function) -> None:
        """Start one provisioned-concurrency environment: INIT now, then idle until used."""
        env = self._create(fn, provisioned=True)
        delay = fn.cold_start.platform_delay(self.sim.rng)
        self.sim.schedule(delay, lambda: self._init(fn, env, None))

    def retire_provisioned(self, fn: Function) -> None:
        """Shut down idle provisioned environments beyond the function's provisioned concurrency, least recently
        used first, once it is lowered or removed; busy or initialising ones follow when they become idle
        (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html)."""
        surplus = fn.provisioned_envs - fn.provisioned_target
        while surplus > 0 and fn.idle_provisioned:
            env = fn.idle_provisioned.popitem(last=False)[1]
            _because(env, "deprovisioned")
            self._shut_down(fn, env)
            self.recorder.env_change(self.sim.now, -1, 0)
            surplus -= 1

    def retire_stale(self, fn: Function) -> None:
        """A new configuration or code: shut down the idle environments of the old one now, and the busy ones
        when they finish, so that every later request runs in an environment of the new one."""
        for env in list(fn.environments.values()):
            _because(env, "retired")  # a busy one goes when it finishes (lambdalab.responses)
            if env.state in PARKED_STATES:
                self._shut_down(fn, env)
                self.recorder.env_change(self.sim.now, -1, 0)
            else:
                fn.stale.add(env.id)

    def _init(self, fn: Function, env: ExecutionEnvironment, req: Request | None) -> None:
        if env.tag is not None and env.tag[1] > 0:  # 2019 VPC: the ENI is not attached yet
            wait, env.tag = env.tag[1], (env.tag[0], 0.0)
            self.sim.schedule(wait, lambda: self._init(fn, env, req))
            return
        env.to(EnvState.INITIALIZING)
        if env.record is not None and env.record.init_start is None:  # the record keeps the first INIT's times
            env.record.init_start = self.sim.now
        if self.logs is not None and self.quotas.era is Era.TODAY:  # not in the tail: the console does not show it
            self._log(fn, env, logfmt.init_start_line(fn.config.runtime or "", self.region))
        duration, failure, lines = self._run_init(fn, env, req.id if req else "")
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

    def _run_init(
        self, fn: Function, env: ExecutionEnvironment, request_id: str, deadline: float = math.inf
    ) -> tuple[float, InitError | None, list[tuple[float, str]]]:
        """Start a runtime in ``env`` and run the function's module code in a fresh sandbox that takes over
        the environment's ``/tmp`` (not the old runtime's working folder): INIT's virtual duration, its failure
        if any (:data:`TIMED_OUT` when it reached ``deadline``), and the lines it logged."""
        duration = fn.init_duration(self.sim.rng)
        if fn.code is None:  # a statistical function: its request adds the INIT to its drawn duration
            return duration, None, []
        if self.sim.now + duration >= deadline:
            return duration, TIMED_OUT, []
        clock = self.clock_class(self.sim.now + duration, deadline, self.epoch_unix, fn.vcpus, request_id)
        imports = fn.code.imports if fn.code.kind in ("source", "directory") else None
        box = Sandbox(fn.environment_variables(env, self.region), fn.config.ephemeral_storage, imports)
        old, env.sandbox, env.loaded = env.sandbox, box, None
        if old is not None and old.tmp is not None:  # a reset keeps /tmp; a new runtime starts outside it
            box.tmp, old.tmp = old.tmp, None
            box.tmp.cwd = box.tmp.tempdir = None
        failure: InitError | None = None
        try:
            with sandbox(clock, box, self.real_time_limit_s):
                env.loaded = fn.code.load(fn.config.handler, env.id)
            box.modules.update(env.loaded.modules)
            box.path = env.loaded.path
        except InitError as error:
            failure = error
        except Deadline:  # the timeout (a suppressed init), or the real-time guard stopped INIT's code
            failure = (
                TIMED_OUT
                if deadline < math.inf
                else InitError("Sandbox.Timedout", "INIT stopped by lambdalab's real-time limit")
            )
        except KeyboardInterrupt:
            raise  # the learner pressed stop: not the function's failure
        except BaseException as error:  # sys.exit in module code ends the runtime process
            status = error.code if isinstance(error, SystemExit) else 1
            message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {status}"
            failure = InitError("Runtime.ExitError", message)
        return duration + clock.elapsed, failure, clock.lines

    def _suppressed_init(
        self, fn: Function, env: ExecutionEnvironment, req: Request
    ) -> dict[str, Any] | InitError | None:
        """INIT again at the start of ``req``'s INVOKE, in an environment reset by a timeout or a crash:
        AWS's *suppressed init* (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html,
        "Failures during the invoke phase"). No ``INIT_START`` line and no ``Init Duration``: its time is in
        ``req.redo_init``, which the request's duration, bill and timeout include. Its log lines go out now.
        Returns ``None``, the error payload the request answers with, or :data:`TIMED_OUT` (the request's
        timeout came first)."""
        duration, failure, lines = self._run_init(fn, env, req.id, req.start + fn.timeout)
        self._log_lines(fn, env, lines, req)
        if failure is TIMED_OUT:
            req.redo_init = fn.timeout
            return TIMED_OUT
        req.redo_init = duration
        if failure is None:
            return None
        payload = self._init_error(failure)
        self._log(fn, env, error_log_message(payload), self.sim.now + duration, req=req)
        return payload

    def _init_error(self, failure: InitError) -> dict[str, Any]:
        """The error payload of a failed INIT."""
        payload: dict[str, Any] = {"errorMessage": failure.message, "errorType": failure.error_type}
        if failure.error_type == "Runtime.ExitError":
            return payload  # the runtime process is gone: no runtime to add more
        if self.quotas.era is Era.TODAY:
            payload["requestId"] = ""  # INIT runs before any request: the runtime reports no id
        payload["stackTrace"] = failure.stack_trace
        return payload

    def _initialised(
        self,
        fn: Function,
        env: ExecutionEnvironment,
        req: Request | None,
        failure: InitError | None,
        lines: list[tuple[float, str]],
    ) -> None:
        if env.record is not None and env.record.init_end is None:
            env.record.init_end = self.sim.now
        self._log_lines(fn, env, lines, req)
        if failure is not None:
            payload = self._init_error(failure)
            self._log(fn, env, error_log_message(payload), req=req)
            self._shut_down(fn, env)  # a failed first INIT ends the environment
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
        if env.state not in PARKED_STATES:
            return  # busy: its next idle period arms a new timer
        if self.sim.now < env.expires_at:
            env.expiry = self.sim.at(env.expires_at, lambda: self._reap(fn, env))
            return
        _because(env, "reaped")
        self._shut_down(fn, env)
        self.recorder.env_change(self.sim.now, -1, 0)


def _because(env: ExecutionEnvironment, reason: str) -> None:
    """Note why ``env`` is about to be shut down, for its record (:data:`lambdalab.lifecycle.SHUTDOWN_REASONS`)."""
    if env.record is not None:
        env.record.reason = reason
