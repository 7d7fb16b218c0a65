"""Opt-in CPU-time mode: a clock that the running code's measured CPU moves too (``Lambda(cpu_time=True)``).

The default :class:`lambdalab.virtualtime.Clock` moves only with sleeps and
:func:`lambdalab.compute`, so that runs are deterministic; :class:`CpuClock` is for power tuning
with real code, at the price of measured, varying durations.
"""

from __future__ import annotations

import math
import time
from typing import ClassVar

from .virtualtime import Clock, Deadline, cpu_clocks_in_use

_real_process_time = time.process_time


class CpuClock(Clock):
    """A :class:`Clock` that the code's own CPU time moves as well: for power-tuning with real code.

    Lambda allots CPU in proportion to memory, 1,769 MB being one vCPU
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). While the code runs
    (from :meth:`begin_run` to :meth:`end_run`, which the sandbox calls through :data:`PATCHES`),
    ``c`` seconds of the host's CPU take ``c * host_speed / min(1, vcpus)`` virtual seconds: about
    13.8 times as long at 128 MB as at 1,769 MB, and no faster above it, since one thread never
    runs on more than one vCPU. Sleeps and :func:`lambdalab.compute` move the clock as on
    :class:`Clock` (their own CPU is next to nothing), and everything that reads the clock (the
    ``time`` functions, ``datetime.now()``, ``context.get_remaining_time_in_millis()``, the
    timestamps of log lines) sees the CPU used so far: :attr:`elapsed` takes it in when read.

    **Measured, so not deterministic.** The CPU is the process's (``time.process_time()``, user
    and system time), so results vary from run to run and from machine to machine: the same seed
    no longer gives the same durations; where the process's CPU time moves in coarse steps (about
    15.6 ms on Windows) short work is measured coarsely too. The host's CPU is taken to be as fast
    as a Lambda vCPU; a subclass made by :meth:`with_host_speed` says how much faster it is.

    **Threads.** All of the process's threads are counted, not only the handler's: threads the
    handler starts are counted (up to 1,769 MB every thread of the function shares its one slice
    of a CPU, so their total CPU over the share is what Lambda would take). Above one vCPU, work
    that really runs in parallel (C code that releases the GIL) is counted as if it ran in turn,
    which overstates its time; Python threads run in turn under the GIL anyway. The host's own
    threads count too while code runs (a notebook kernel's are mostly idle).

    **Timeout.** When the CPU takes virtual time to the deadline, the code stops there as on
    Lambda: :class:`Deadline` is raised at its next read of the clock or sleep, or by the
    real-time guard (:mod:`lambdalab.guard`), which also stops code that spins without reading
    the clock; without the guard (off the main thread, ``real_time_limit_s=None``) such code
    times out when it returns. Once the deadline has passed, every read of the clock raises it.

    **INIT.** An on-demand INIT runs on a full vCPU whatever the memory, and a provisioned
    concurrency environment's INIT at the memory's share: "On-demand Lambda functions use a full
    vCPU (non-throttled) [...] during its initialization phase. [...] For provisioned
    concurrency, there is no cpu burst" (AWS, *Effectively running Java on Serverless*,
    https://serverlessland.com/content/service/lambda/guides/effectively-running-java-on-serverless/init-heavy-lifting;
    the Lambda Developer Guide says nothing either way). The engine makes INIT's clock with no
    deadline, and a provisioned environment's INIT serves no request (``request_id == ""``): that
    is how this clock tells them apart. :func:`lambdalab.compute` keeps to the memory's share in
    INIT, as on :class:`Clock`.
    """

    __slots__ = ("_mark", "_rate", "_used")

    measures_cpu: ClassVar[bool] = True
    host_speed: ClassVar[float] = 1.0
    """How many times as fast as a Lambda vCPU the host's CPU is (:meth:`with_host_speed`)."""
    init_burst: ClassVar[bool] = True
    """Whether an on-demand INIT runs on a full vCPU (see above)."""

    def __init__(self, start: float, deadline: float, epoch: float, vcpus: float, request_id: str) -> None:
        cpu_clocks_in_use()
        self._used = 0.0
        self._mark = -1.0  # process CPU time when the CPU was last taken in; negative while the code is not running
        super().__init__(start, deadline, epoch, vcpus, request_id)
        share = 1.0 if self.init_burst and deadline == math.inf and request_id else vcpus
        self._rate = self.host_speed / min(1.0, share)

    @classmethod
    def with_host_speed(cls, speed: float) -> type[CpuClock]:
        """This clock for a host whose CPU is ``speed`` times as fast as a Lambda vCPU: a second of
        its CPU stands for ``speed`` seconds on one vCPU (measure the same handler on both to find it)."""
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"host_speed must be a positive finite number, not {speed!r}")
        return type(cls.__name__, (cls,), {"__slots__": (), "host_speed": float(speed), "__module__": cls.__module__})

    @property
    def elapsed(self) -> float:
        """Virtual seconds used so far, the CPU used until now included; while the code runs, reading
        it once the deadline has passed raises :class:`Deadline`."""
        if self._mark >= 0:
            self.sync()
            if self.expired:
                raise Deadline()
        return self._used

    @elapsed.setter
    def elapsed(self, value: float) -> None:
        self._used = value

    def sync(self) -> None:
        """Take in the CPU used since the last time, up to the deadline (which it marks as reached);
        never raises. Nothing happens while the code is not running."""
        mark = self._mark
        if mark < 0:
            return
        cpu = _real_process_time()
        self._mark = cpu
        used = self._used + (cpu - mark) * self._rate
        if self.start + used >= self.deadline:
            used = self.deadline - self.start
            self.expired = True
        self._used = used

    def log(self, text: str) -> None:
        self.sync()  # never raises: a line is written even after the deadline
        self.lines.append((self.start + self._used, text))

    def begin_run(self) -> None:
        self._mark = _real_process_time()

    def end_run(self) -> None:
        self.sync()
        self._mark = -1.0

    def cpu_left(self) -> float:
        self.sync()
        if self.expired:
            return 0.0
        return (self.deadline - self.start - self._used) / self._rate
