"""The real-time guard: code that spins without advancing the virtual clock is stopped as a timeout."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
import types
from typing import Any

from .virtualtime import Clock, Deadline, _real_monotonic

_signal: Any = importlib.import_module("_signal")  # signal's own functions, without its enum wrapping
_OWN = os.path.dirname(os.path.abspath(__file__)) + os.sep


class RealTimeGuard:
    """Stops handler or INIT code that runs longer than a real-time limit without finishing.

    Virtual time moves only when code sleeps or calls :func:`lambdalab.compute`; a busy loop
    (``while True: pass``) would hold ``invoke()`` for ever. So while code runs, a real-time
    interval timer is ticking (``signal.setitimer(ITIMER_REAL, ...)``). When it fires during a run
    that has lasted ``limit`` real seconds, its ``SIGALRM`` handler raises :class:`Deadline` in the
    running code, and lambdalab reports what Lambda reports when the function times out (``Task
    timed out after ...`` in the log, the timeout error payload), with one more log line saying that
    the real-time limit stopped it. It never raises inside lambdalab's own frames (it tries again
    10 ms later), and fires again every 0.1 s should the code catch it; from the second time on it
    also traces the code (``sys.settrace``, the host's trace function put back after) to raise it at
    every line, ``except`` blocks included, until the code returns.
    So that a run costs no system call, the timer is armed once and left ticking: when it fires
    during a younger run it is set for that run's remaining time, and when it fires between runs
    it stops.

    With a clock that measures CPU (:class:`lambdalab.cputime.CpuClock`) the timer also fires when
    the run has used the host CPU that takes its virtual time to the function's timeout, and
    raises :class:`Deadline` then if the clock has reached it: a loop that never reads the clock
    times out as it would on Lambda, without a line about the real-time limit. (It cannot fire
    sooner than the CPU is used, CPU time never running ahead of real time in one thread; it is
    set again for the rest if the CPU has not been used yet.)

    Where it cannot work it does nothing, and code runs as before: off the main thread (Python
    runs signal handlers only there), where the platform has no ``setitimer``/``SIGALRM``
    (Windows, Pyodide in the browser), and while the host has its own ``ITIMER_REAL`` armed (a
    test-timeout plugin's, say: the host's timer wins). Code blocked in C without returning to
    Python is stopped only when it returns. The guard's ``SIGALRM`` handler, installed on first
    use, stays installed and passes any alarm that is not its own to the handler that was there
    before.
    """

    __slots__ = ("_clock", "_fires_at", "_limit", "_previous", "_started", "_ticking", "_tracing", "_usable")

    def __init__(self) -> None:
        self._usable = hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")
        self._previous: Any = signal.SIG_DFL
        self._clock: Clock | None = None  # the guarded run, if one is running
        self._limit = 0.0
        self._started = 0.0  # real time the guarded run started
        self._ticking = False  # our timer is armed
        self._fires_at = 0.0  # real time our timer fires
        self._tracing: tuple[Any] | None = None  # (the host's trace function,) while code that caught it is traced

    def arm(self, clock: Clock, limit: float | None) -> None:
        if limit is None or not self._usable or threading.get_ident() != _MAIN_THREAD:
            return
        now = _real_monotonic()
        first = max(min(limit, clock.cpu_left()), _CPU_TICK) if clock.measures_cpu else limit
        if self._ticking and self._fires_at > now + first:  # a shorter limit than the timer's: fire sooner
            self._tick(first)
        elif not self._ticking:
            try:
                if _signal.getsignal(_SIGALRM) is not _on_alarm:
                    self._previous = _signal.signal(_SIGALRM, _on_alarm)
                remaining, interval = _signal.setitimer(_ITIMER_REAL, first)
            except (OSError, ValueError, AttributeError):  # e.g. no interval timers here
                self._usable = False
                return
            if remaining > 0:  # the host's own timer was running: put it back and leave this run unguarded
                _signal.setitimer(_ITIMER_REAL, remaining, interval)
                return
            self._ticking, self._fires_at = True, now + first
        self._clock, self._limit, self._started = clock, limit, now

    def disarm(self) -> None:
        self._clock = None  # the timer ticks on: see the class docstring
        if self._tracing is not None:
            sys.settrace(self._tracing[0])
            self._tracing = None

    def on_alarm(self, signum: int, frame: types.FrameType | None) -> None:
        now = _real_monotonic()
        if not self._ticking or now < self._fires_at - 0.005:  # not our timer's alarm
            self._pass_on(signum, frame)
            return
        clock = self._clock
        if clock is None:  # between runs: stop ticking
            self._ticking = False
            return
        expired = clock.expired  # before this alarm
        left = self._started + self._limit - now
        if clock.measures_cpu:  # the CPU used so far may have taken virtual time to the deadline
            cpu_left = clock.cpu_left()
            left = min(left, max(cpu_left, _CPU_TICK)) if cpu_left > 0 else 0.0
        if left > 0:  # a run younger than the limit: wait for the rest of it
            self._tick(left)
            return
        if frame is not None and frame.f_code.co_filename.startswith(_OWN):
            self._tick(0.01)  # inside lambdalab itself: try again in 10 ms
            return
        self._tick(0.1)  # until the code gives up
        if not clock.expired:
            clock.expired = True
            clock.log(
                f"lambdalab: stopped after {self._limit:g} s of real time without finishing "
                "(Lambda(real_time_limit_s=...)): the code ran without advancing the virtual clock, "
                "as a busy loop does; it is reported as a timeout"
            )
        elif expired and self._tracing is None and frame is not None:  # it caught it: raise at every line from now on
            self._tracing = (sys.gettrace(),)
            sys.settrace(_stop_every_line)
            while frame is not None and not frame.f_code.co_filename.startswith(_OWN):
                frame.f_trace, frame.f_trace_lines = _stop_every_line, True
                frame = frame.f_back
        raise Deadline()

    def _tick(self, seconds: float) -> None:
        _signal.setitimer(_ITIMER_REAL, seconds)
        self._fires_at = _real_monotonic() + seconds

    def _pass_on(self, signum: int, frame: types.FrameType | None) -> None:
        previous = self._previous
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:  # the default action ends the process: do it
            _signal.signal(_SIGALRM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGALRM)


def _stop_every_line(frame: types.FrameType, event: str, arg: Any) -> Any:
    """The trace function of code that caught the guard's :class:`Deadline`: it raises it again at its
    next line, wherever that is (an ``except`` block included); lambdalab's own frames are left alone."""
    if frame.f_code.co_filename.startswith(_OWN):
        return None
    if event == "line":
        raise Deadline()
    return _stop_every_line


GUARD = RealTimeGuard()
_on_alarm = GUARD.on_alarm  # one bound method, so that it can be recognised as the installed handler
_MAIN_THREAD = threading.main_thread().ident
_CPU_TICK = 0.001  # the shortest wait for a CpuClock's deadline, in real seconds
_SIGALRM = getattr(signal, "SIGALRM", 14)
_ITIMER_REAL = getattr(signal, "ITIMER_REAL", 0)
