"""Virtual time as running handler code sees it: the clock, and every way Python reads the time.

While INIT or a handler runs (:func:`lambdalab.runtime.sandbox`), :data:`PATCHES` puts the
virtual clock in place of the wall clock:

- ``time.sleep`` advances the virtual clock instantly, and ``time.time``/``monotonic``/
  ``perf_counter`` (and their ``_ns`` forms), ``gmtime()``, ``localtime()``, ``ctime()``,
  ``asctime()`` and ``strftime(fmt)`` read it. (Names bound with ``from time import sleep``
  before INIT are not swapped.)
- :class:`VirtualDatetime` and :class:`VirtualDate` stand in for ``datetime.datetime`` and
  ``datetime.date``, in the ``datetime`` module and wherever a module outside the standard
  library did ``from datetime import datetime``, so that ``now()``, ``utcnow()`` and
  ``today()`` read the virtual clock: naive times in the function's ``TZ``, UTC by default, as
  on Lambda (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
  Their instances are ordinary ``datetime`` objects, and ``isinstance`` works both ways.

Everything is put back when the code returns.

Virtual time moves only when code sleeps or calls :func:`lambdalab.compute`, unless the engine runs
code on :class:`lambdalab.cputime.CpuClock` (``Lambda(cpu_time=True)``): then the CPU the code uses moves it too, at
the function's share of a vCPU.
"""

from __future__ import annotations

import _thread
import datetime as _dt
import math
import os
import sys
import time
import types
from collections.abc import Callable
from functools import lru_cache
from typing import Any, ClassVar


class Deadline(BaseException):
    """Raised inside handler code when virtual time reaches the timeout (not an ``Exception``,
    so that a handler's ``except Exception`` cannot swallow it)."""


class Clock:
    """Virtual time as the running code sees it: ``start`` plus what it has used so far.

    This clock moves only when the code sleeps or calls :func:`lambdalab.compute`: CPU work in
    the code itself takes no virtual time, so that runs are deterministic. :class:`lambdalab.cputime.CpuClock`
    measures it instead."""

    __slots__ = ("deadline", "elapsed", "epoch", "expired", "lines", "request_id", "start", "vcpus")

    measures_cpu: ClassVar[bool] = False
    """Whether the code's own CPU time moves this clock (:class:`lambdalab.cputime.CpuClock`): the hooks
    below do something."""

    def __init__(self, start: float, deadline: float, epoch: float, vcpus: float, request_id: str) -> None:
        self.start = start
        self.deadline = deadline
        self.elapsed = 0.0
        self.epoch = epoch  # Unix time of virtual time 0
        self.vcpus = vcpus
        self.request_id = request_id
        self.lines: list[tuple[float, str]] = []
        self.expired = False  # the deadline was reached, even if the code caught Deadline

    def now(self) -> float:
        return self.start + self.elapsed

    def advance(self, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError(f"sleep length must be non-negative, not {seconds}")
        if self.expired or self.start + self.elapsed + seconds >= self.deadline:
            self.elapsed = self.deadline - self.start
            self.expired = True
            raise Deadline()
        self.elapsed += seconds

    def log(self, text: str) -> None:
        self.lines.append((self.now(), text))

    # Hooks for a clock that measures CPU, called only when measures_cpu is true.
    def begin_run(self) -> None:
        """The code starts running (:meth:`Patches.install`)."""

    def end_run(self) -> None:
        """The code has stopped running (:meth:`Patches.restore`)."""

    def cpu_left(self) -> float:
        """Seconds of the host's CPU the code may still use before virtual time reaches the deadline."""
        return math.inf


_cpu_clocks = False  # whether a clock that measures CPU has been made in this process (Patches looks only then)


def cpu_clocks_in_use() -> None:
    """Say that clocks measuring CPU exist (:class:`lambdalab.cputime.CpuClock`), so that :data:`PATCHES`
    starts and stops their measuring; until then the default path pays one test of a global."""
    global _cpu_clocks
    _cpu_clocks = True


_current: list[Clock] = []  # the clock of the code running now (at most one: runs never overlap)


def current_clock() -> Clock:
    if not _current:
        raise RuntimeError("not inside a lambdalab handler or INIT phase")
    return _current[-1]


# -- time ------------------------------------------------------------------------------------------------
_real_time = {
    name: getattr(time, name)
    for name in (
        "sleep",
        "time",
        "time_ns",
        "monotonic",
        "monotonic_ns",
        "perf_counter",
        "perf_counter_ns",
        "gmtime",
        "localtime",
        "ctime",
        "asctime",
        "strftime",
    )
}
_real_monotonic = time.monotonic
_real_sleep, _real_wall = time.sleep, time.time
_get_ident = _thread.get_ident
_owner = [0]  # the thread whose code runs on the virtual clock now; other threads keep real time


def _sleep(seconds: float) -> None:
    if _get_ident() != _owner[0]:  # another thread (a Jupyter kernel's poller, say): real time
        return _real_sleep(seconds)
    clock = _current[-1]
    seconds = float(seconds)
    if seconds >= 0 and not clock.expired and clock.start + clock.elapsed + seconds < clock.deadline:
        clock.elapsed += seconds  # Clock.advance, inlined: the common case of every handler's sleep
    else:
        clock.advance(seconds)


def _wall() -> float:
    if _get_ident() != _owner[0]:
        return _real_wall()
    clock = _current[-1]
    return clock.epoch + clock.start + clock.elapsed


def _mono() -> float:
    if _get_ident() != _owner[0]:
        return _real_monotonic()
    clock = _current[-1]
    return clock.start + clock.elapsed


def _gmtime(secs: float | None = None) -> time.struct_time:
    return _real_time["gmtime"](_wall() if secs is None else secs)  # type: ignore[no-any-return]


def _localtime(secs: float | None = None) -> time.struct_time:
    return _real_time["localtime"](_wall() if secs is None else secs)  # type: ignore[no-any-return]


def _ctime(secs: float | None = None) -> str:
    return _real_time["ctime"](_wall() if secs is None else secs)  # type: ignore[no-any-return]


def _asctime(t: Any = None) -> str:
    return _real_time["asctime"](_localtime() if t is None else t)  # type: ignore[no-any-return]


def _strftime(fmt: str, t: Any = None) -> str:
    return _real_time["strftime"](fmt, _localtime() if t is None else t)  # type: ignore[no-any-return]


VIRTUAL_TIME: dict[str, Callable[..., Any]] = {
    "sleep": _sleep,
    "time": _wall,
    "time_ns": lambda: int(_wall() * 1e9),
    "monotonic": _mono,
    "monotonic_ns": lambda: int(_mono() * 1e9),
    "perf_counter": _mono,
    "perf_counter_ns": lambda: int(_mono() * 1e9),
    "gmtime": _gmtime,
    "localtime": _localtime,
    "ctime": _ctime,
    "asctime": _asctime,
    "strftime": _strftime,
}
"""The ``time`` functions while code runs: ``sleep`` advances the virtual clock, the others read it."""
REAL_TIME: dict[str, Callable[..., Any]] = dict(_real_time)


# -- datetime --------------------------------------------------------------------------------------------
_real_datetime = _dt.datetime
_real_date = _dt.date
_UTC = _dt.timezone.utc


@lru_cache(maxsize=64)
def _zone(name: str) -> _dt.tzinfo:
    """The tzinfo of a ``TZ`` value (``:UTC`` on Lambda); UTC for one that names no zone."""
    name = name.lstrip(":")
    if name in ("", "UTC", "UTC0", "GMT", "Etc/UTC", "Universal", "Zulu"):
        return _UTC
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # no such zone, or no time zone database (Pyodide): Lambda falls back to UTC too
        return _UTC


def _virtual_now(tz: _dt.tzinfo | None) -> _dt.datetime:
    seconds = _wall()
    if tz is not None:
        return _real_datetime.fromtimestamp(seconds, tz)
    local = _zone(os.environ.get("TZ", ""))
    return _real_datetime.fromtimestamp(seconds, local).replace(tzinfo=None)


class _StandIn(type):
    """``isinstance(x, VirtualDatetime)`` is ``isinstance(x, datetime)``, and the same for subclasses."""

    _real: type

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls._real)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, cls._real)


class VirtualDate(_real_date, metaclass=_StandIn):
    """``datetime.date`` while code runs: ``today()`` reads the virtual clock; instances are real dates."""

    _real = _real_date

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _real_date(*args, **kwargs)

    @classmethod
    def today(cls) -> Any:
        return _virtual_now(None).date() if _current else _real_date.today()


class VirtualDatetime(_real_datetime, metaclass=_StandIn):
    """``datetime.datetime`` while code runs: ``now()``, ``utcnow()`` and ``today()`` read the virtual clock."""

    _real = _real_datetime

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _real_datetime(*args, **kwargs)

    @classmethod
    def now(cls, tz: _dt.tzinfo | None = None) -> Any:
        return _virtual_now(tz) if _current else _real_datetime.now(tz)

    @classmethod
    def today(cls) -> Any:
        return _virtual_now(None) if _current else _real_datetime.today()

    @classmethod
    def utcnow(cls) -> Any:
        if not _current:
            return _real_datetime.now(_UTC).replace(tzinfo=None)
        return _virtual_now(_UTC).replace(tzinfo=None)


_STANDARD = frozenset(sys.stdlib_module_names) | {"lambdalab", "__mp_main__"}


class Patches:
    """Puts the virtual clock where code reads the time: the ``time`` functions (:data:`VIRTUAL_TIME`),
    and :class:`VirtualDatetime`/:class:`VirtualDate` wherever code names ``datetime.datetime`` or
    ``datetime.date``: in the ``datetime`` module, and in the globals of every module outside the
    standard library that did ``from datetime import datetime`` and whose code reads the clock
    through it (its functions name ``now``, ``utcnow`` or ``today``). The modules are scanned again
    only when ``sys.modules`` has grown or shrunk, so a run costs one ``dict.update`` per namespace
    patched, on the way in and on the way out."""

    __slots__ = ("_count", "_groups")

    def __init__(self) -> None:
        self._count = -1
        self._groups: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []

    def _scan(self) -> None:
        dates: dict[str, Any] = {"datetime": VirtualDatetime, "date": VirtualDate}
        groups: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
            (vars(time), VIRTUAL_TIME, REAL_TIME),
            (vars(_dt), dates, {"datetime": _real_datetime, "date": _real_date}),
        ]
        for name, module in list(sys.modules.items()):
            if name.partition(".")[0] in _STANDARD or not isinstance(module, types.ModuleType):
                continue
            fakes: dict[str, Any] = {}
            reals: dict[str, Any] = {}
            for key, value in list(vars(module).items()):
                if value is _real_datetime or value is _real_date:
                    fakes[key] = VirtualDatetime if value is _real_datetime else VirtualDate
                    reals[key] = value
            if fakes and _reads_the_clock(module):
                groups.append((vars(module), fakes, reals))
        self._groups = groups
        self._count = len(sys.modules)

    def install(self) -> None:
        """Patch, once the running code's clock is on ``_current``; a clock that measures CPU starts. Only
        the calling thread's code sees virtual time: other threads of the process (a notebook kernel's)
        go on reading and sleeping in real time."""
        _owner[0] = _get_ident()
        if len(sys.modules) != self._count:
            self._scan()
        for namespace, fakes, _ in self._groups:
            namespace.update(fakes)
        if _cpu_clocks:  # a CpuClock has been made: a global's test is all the default costs
            clock = _current[-1]
            if clock.measures_cpu:
                clock.begin_run()

    def restore(self) -> None:
        """Put the host's back, before the running code's clock leaves ``_current``; a clock that measures
        CPU takes in the last of the code's CPU and stops measuring."""
        if _cpu_clocks:
            clock = _current[-1]
            if clock.measures_cpu:
                clock.end_run()
        for namespace, _, reals in self._groups:
            namespace.update(reals)


PATCHES = Patches()
_CLOCK_NAMES = frozenset({"now", "utcnow", "today"})


def _reads_the_clock(module: types.ModuleType) -> bool:
    """Whether any function or method defined in ``module`` names ``now``, ``utcnow`` or ``today``."""
    codes: list[types.CodeType] = []
    for value in list(vars(module).values()):
        members = list(vars(value).values()) if isinstance(value, type) else [value]
        for member in members:
            member = getattr(member, "__func__", member)  # classmethods and staticmethods
            code = getattr(member, "__code__", None)
            if isinstance(code, types.CodeType) and getattr(member, "__module__", None) == module.__name__:
                codes.append(code)
    while codes:
        code = codes.pop()
        if not _CLOCK_NAMES.isdisjoint(code.co_names):
            return True
        codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    return False
