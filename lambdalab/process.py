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
- :data:`HOST_STREAMS` points a ``StreamHandler`` made outside the function
  (in a notebook) at the function's log while its code runs.
- :class:`Environ` is one environment's ``os.environ``: a mapping installed
  as ``os.environ`` while its code runs, so switching environments costs one
  assignment, not a ``putenv`` per variable. The C-level environment
  (``os.environb``, ``os.putenv``, a subprocess started without ``env=``)
  stays the host's.

Virtual time is :mod:`lambdalab.virtualtime`; the real-time guard is :mod:`lambdalab.guard`.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import weakref
from collections.abc import Callable
from typing import Any

from .virtualtime import REAL_TIME, _current


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
        self._later: dict[str, tuple[Callable[[Any], str], Any]] = {}

    def __getitem__(self, key: str) -> str:
        try:
            value = self._data[_str(key)]
        except KeyError:
            raise KeyError(key) from None
        if value is _LATER:
            make, argument = self._later.pop(key)
            value = self._data[key] = make(argument)
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

    def set_later(self, key: str, make: Callable[[Any], str], argument: Any) -> None:
        """Set a variable as the runtime does before an invocation (``_X_AMZN_TRACE_ID``), its value
        made by ``make(argument)`` when the code first reads it."""
        self._data[key] = _LATER
        self._later[key] = (make, argument)


# -- stdout, stderr and the root logger ------------------------------------------------------------------
class LogStream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of running code, made once per process: whole lines go to the log
    of the invocation running now; with none running, text goes to the host's stream."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.pending = ""  # the start of a line, waiting for its end

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
            self.pending += text
            return len(text)
        clock = _current[-1]
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            clock.log(line)
        return len(text)

    def flush(self) -> None:
        if self.pending and _current:
            _current[-1].log(self.pending)
            self.pending = ""


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
        stamp = REAL_TIME["strftime"]("%Y-%m-%dT%H:%M:%S", REAL_TIME["gmtime"](record.created))
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

    __slots__ = ("count", "swapped", "watching")

    def __init__(self) -> None:
        self.count = -1  # len(_HANDLERS) when last looked at
        self.watching: list[weakref.ref[logging.Handler]] = []  # the StreamHandlers among them
        self.swapped: list[tuple[logging.StreamHandler[Any], Any]] = []  # (handler, its own stream) while code runs

    def install(self, out: Any, err: Any) -> None:
        if len(_HANDLERS) != self.count:
            self.watching = [
                ref for ref in _HANDLERS if isinstance(ref(), logging.StreamHandler) and ref() is not logging.lastResort
            ]
            self.count = len(_HANDLERS)
        for ref in self.watching:
            handler = ref()
            if not isinstance(handler, logging.StreamHandler):
                continue
            stream = handler.stream
            if stream is out or stream is sys.__stdout__:
                self.swapped.append((handler, stream))
                handler.stream = STDOUT
            elif stream is err or stream is sys.__stderr__:
                self.swapped.append((handler, stream))
                handler.stream = STDERR

    def restore(self) -> None:
        for handler, stream in self.swapped:
            if handler.stream is STDOUT or handler.stream is STDERR:
                handler.stream = stream
        self.swapped.clear()


HOST_STREAMS = HostStreams()
_HANDLERS: list[weakref.ref[logging.Handler]] = logging._handlerList  # type: ignore[attr-defined]  # every live handler
