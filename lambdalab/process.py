"""What the Python runtime's process gives handler code, pointed at the invocation running now.

On Lambda each execution environment is one Python process: the runtime
(awslambdaric's ``bootstrap.py``,
https://github.com/aws/aws-lambda-python-runtime-interface-client) wraps
``sys.stdout`` and ``sys.stderr`` and puts one handler on the root logger
*once*, before it imports the function's module, and sets
``_X_AMZN_TRACE_ID`` before every invocation. lambdalab runs many
environments in one process, one at a time, so here:

- :data:`STDOUT` and :data:`STDERR` are made once per process, and a
  :class:`RuntimeLogHandler` once per execution environment (its root
  logger's one handler); they write to the log of whichever invocation (or
  INIT) runs now. Code that keeps them at INIT (a
  ``StreamHandler(sys.stdout)``, Powertools' ``Logger``, a filter on the root
  handler) keeps working in every later invocation, as on Lambda.
- :class:`Environ` is one environment's ``os.environ``: a mapping installed
  as ``os.environ`` while its code runs, so switching environments costs one
  assignment, not a ``putenv`` per variable. The C-level environment
  (``os.environb``, ``os.putenv``, a subprocess started without ``env=``)
  stays the host's.
- :class:`VirtualDatetime` and :class:`VirtualDate` stand in for
  ``datetime.datetime`` and ``datetime.date`` while code runs, so that
  ``now()``, ``utcnow()`` and ``today()`` read the virtual clock (naive times
  in the function's ``TZ``, UTC by default, as on Lambda). Their instances
  are ordinary ``datetime`` objects, and ``isinstance`` works both ways.
- :class:`RealTimeGuard` stops code that runs in real time without ever
  advancing the virtual clock (``while True: pass``), see its docstring.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import io
import logging
import os
import signal
import sys
import threading
import time
import types
import weakref
from collections.abc import Callable
from functools import lru_cache
from typing import Any

_signal: Any = importlib.import_module("_signal")  # signal's own functions, without its enum wrapping
_OWN = os.path.dirname(os.path.abspath(__file__)) + os.sep


class Deadline(BaseException):
    """Raised inside handler code when virtual time reaches the timeout (not an ``Exception``,
    so that a handler's ``except Exception`` cannot swallow it)."""


class Clock:
    """Virtual time as the running code sees it: ``start`` plus what it has used so far."""

    __slots__ = ("deadline", "elapsed", "epoch", "expired", "lines", "request_id", "start", "vcpus")

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
        if self.expired or self.now() + seconds >= self.deadline:
            self.elapsed = self.deadline - self.start
            self.expired = True
            raise Deadline()
        self.elapsed += seconds

    def log(self, text: str) -> None:
        self.lines.append((self.now(), text))


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


def _sleep(seconds: float) -> None:
    _current[-1].advance(float(seconds))


def _wall() -> float:
    clock = _current[-1]
    return clock.epoch + clock.start + clock.elapsed


def _mono() -> float:
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
    standard library that did ``from datetime import datetime``. The modules are scanned again only
    when ``sys.modules`` has grown or shrunk, so a run costs one ``dict.update`` per namespace
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
            if fakes:
                groups.append((vars(module), fakes, reals))
        self._groups = groups
        self._count = len(sys.modules)

    def install(self) -> None:
        if len(sys.modules) != self._count:
            self._scan()
        for namespace, fakes, _ in self._groups:
            namespace.update(fakes)

    def restore(self) -> None:
        for namespace, _, reals in self._groups:
            namespace.update(reals)


PATCHES = Patches()


# -- os.environ ------------------------------------------------------------------------------------------
def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"str expected, not {type(value).__name__}")
    return value


def _same(value: str) -> str:
    return value


_LATER = "\0lambdalab: made when first read\0"


class Environ(os._Environ):  # type: ignore[type-arg]
    """One execution environment's ``os.environ``: an ``os._Environ`` that keeps its variables in
    Python (no ``putenv``), so that it can be installed as ``os.environ`` in one assignment. A value
    the runtime sets for every invocation can be made when the code first reads it
    (:meth:`set_later`), so that code that never reads it does not pay for it."""

    _data: dict[str, str]

    def __init__(self, variables: dict[str, str]) -> None:
        super().__init__(dict(variables), _str, _same, _str, _same)
        self._later: dict[str, Callable[[], str]] = {}

    def __getitem__(self, key: str) -> str:
        try:
            value = self._data[_str(key)]
        except KeyError:
            raise KeyError(key) from None
        if value is _LATER:
            value = self._data[key] = self._later.pop(key)()
        return value

    def __repr__(self) -> str:
        return f"environ({self.copy()!r})"

    def __setitem__(self, key: str, value: str) -> None:
        self._data[_str(key)] = _str(value)

    def __delitem__(self, key: str) -> None:
        try:
            del self._data[_str(key)]
        except KeyError:
            raise KeyError(key) from None

    def copy(self) -> dict[str, str]:
        return {key: self[key] for key in self._data}

    def set_later(self, key: str, make: Callable[[], str]) -> None:
        """Set a variable as the runtime does before an invocation (``_X_AMZN_TRACE_ID``), its value
        made by ``make()`` when the code first reads it."""
        self._data[key] = _LATER
        self._later[key] = make


# -- stdout, stderr and the root logger ------------------------------------------------------------------
class LogStream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of running code, made once per process: whole lines go to the log
    of the invocation running now; with none running, text goes to the host's stream."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self._buffer = ""

    @property
    def pending(self) -> bool:
        """Part of a line is waiting for its end."""
        return bool(self._buffer)

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not _current:
            host = getattr(sys, self.name)
            if host is self:
                host = getattr(sys, f"__{self.name}__")
            return host.write(text) if host is not None else len(text)
        if "\n" not in text:
            self._buffer += text
            return len(text)
        clock = _current[-1]
        *lines, self._buffer = (self._buffer + text).split("\n")
        for line in lines:
            clock.log(line)
        return len(text)

    def flush(self) -> None:
        if self._buffer and _current:
            _current[-1].log(self._buffer)
            self._buffer = ""


STDOUT = LogStream("stdout")
STDERR = LogStream("stderr")


class RuntimeLogHandler(logging.Handler):
    """The runtime's root-logger handler: ``[INFO]\\t2019-11-01T00:00:00.123Z\\t<id>\\tmessage``, to the
    invocation running now. Like the runtime's ``LambdaLoggerFilter`` it sets ``record.aws_request_id``.

    Powertools' ``Logger`` puts a filter on the root logger's handlers when it is made, so that its
    records are not printed a second time by them; one made in a notebook, before this handler
    was there, could not, so records of a Powertools logger are left out here all the same
    (unless ``POWERTOOLS_LOG_DEDUPLICATION_DISABLED`` is true, as Powertools does)."""

    def __init__(self) -> None:
        # logging.Handler.__init__ less its entry in logging's list of every handler: one is made per
        # execution environment, and that list is walked by HostStreams.
        logging.Filterer.__init__(self)
        self._name = None
        self.level = logging.NOTSET
        self.formatter = None
        self._closed = False
        self.createLock()

    def handle(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current[-1].request_id if _current else ""
        if _has_powertools_handler(record.name) and os.environ.get(
            "POWERTOOLS_LOG_DEDUPLICATION_DISABLED", "false"
        ).lower() not in ("1", "true", "yes", "on"):
            return False
        return super().handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        if not _current:
            return
        clock = _current[-1]
        stamp = _real_time["strftime"]("%Y-%m-%dT%H:%M:%S", _real_time["gmtime"](record.created))
        message = self.format(record) if self.formatter else record.getMessage()
        if record.exc_info and not self.formatter:
            message += "\n" + "".join(logging.Formatter().formatException(record.exc_info))
        clock.log(f"[{record.levelname}]\t{stamp}.{int(record.msecs):03d}Z\t{clock.request_id}\t{message}")


def _has_powertools_handler(name: str) -> bool:
    """Whether the logger ``name`` or one of its parents is a Powertools ``Logger``'s."""
    loggers = logging.Logger.manager.loggerDict
    while name and name != "root":
        if getattr(loggers.get(name), "powertools_handler", None) is not None:
            return True
        name = name.rpartition(".")[0]
    return False


class HostStreams:
    """While code runs, a ``StreamHandler`` made outside it (in a notebook, say) that writes to the host's
    stdout or stderr writes to :data:`STDOUT`/:data:`STDERR` instead, so that a callable handler's
    loggers reach the function's log. Handlers are found in ``logging``'s list of live handlers,
    looked at again only when that list changes."""

    __slots__ = ("_count", "_handlers", "_swapped")

    def __init__(self) -> None:
        self._count = -1
        self._handlers: list[weakref.ref[logging.Handler]] = []
        self._swapped: list[tuple[logging.StreamHandler[Any], Any]] = []

    def install(self, out: Any, err: Any) -> None:
        live = logging._handlerList  # type: ignore[attr-defined]
        if len(live) != self._count:
            self._handlers = [
                ref for ref in live if isinstance(ref(), logging.StreamHandler) and ref() is not logging.lastResort
            ]
            self._count = len(live)
        if not self._handlers:
            return
        for ref in self._handlers:
            handler = ref()
            if not isinstance(handler, logging.StreamHandler):
                continue
            stream = handler.stream
            if stream is out or stream is sys.__stdout__:
                self._swapped.append((handler, stream))
                handler.stream = STDOUT
            elif stream is err or stream is sys.__stderr__:
                self._swapped.append((handler, stream))
                handler.stream = STDERR

    @property
    def swapped(self) -> bool:
        return bool(self._swapped)

    def restore(self) -> None:
        for handler, stream in self._swapped:
            if handler.stream is STDOUT or handler.stream is STDERR:
                handler.stream = stream
        self._swapped.clear()


HOST_STREAMS = HostStreams()


# -- the real-time guard ---------------------------------------------------------------------------------
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
        if self._ticking and self._fires_at > now + limit:  # a shorter limit than the timer's: fire sooner
            self._tick(limit)
        elif not self._ticking:
            try:
                if _signal.getsignal(_SIGALRM) is not _on_alarm:
                    self._previous = _signal.signal(_SIGALRM, _on_alarm)
                remaining, interval = _signal.setitimer(_ITIMER_REAL, limit)
            except (OSError, ValueError, AttributeError):  # e.g. no interval timers here
                self._usable = False
                return
            if remaining > 0:  # the host's own timer was running: put it back and leave this run unguarded
                _signal.setitimer(_ITIMER_REAL, remaining, interval)
                return
            self._ticking, self._fires_at = True, now + limit
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
        left = self._started + self._limit - now
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
        elif self._tracing is None and frame is not None:  # the code caught it: raise at every line from now on
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
_SIGALRM = getattr(signal, "SIGALRM", 14)
_ITIMER_REAL = getattr(signal, "ITIMER_REAL", 0)
