"""Running handler code inside one execution environment, on virtual time.

While INIT or a handler runs, lambdalab swaps in what the Lambda Python
runtime provides and takes it back afterwards:

- **time**: ``time.sleep`` advances the virtual clock instantly, and
  ``time.time``/``monotonic``/``perf_counter`` (and their ``_ns`` forms) read
  it. A sleep that would run past the timeout stops the handler there, as
  Lambda stops a function that times out. (Names bound with
  ``from time import sleep`` before INIT are not swapped.)
- **CPU**: :func:`compute` stands for CPU-bound work; it takes longer with
  less memory, since Lambda allots CPU in proportion to memory (1,769 MB =
  one vCPU, https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
- **environment**: ``os.environ`` holds the function's variables and Lambda's
  own (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
- **logs**: ``print`` output and the root logger (with the runtime's format
  ``[LEVEL]\\t<timestamp>\\t<request id>\\t<message>``) go to the
  environment's log stream, stamped with virtual time.
- **modules**: modules imported from the code folder are the environment's own.

A handler's exception becomes the error payload of the Python runtime
(``errorMessage``, ``errorType``, ``requestId``, ``stackTrace``); it never
escapes into the simulation.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .code import take_private_modules, user_stack_trace

MB_PER_VCPU = 1769


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


def compute(cpu_seconds: float, threads: int = 1) -> None:
    """Stand for CPU-bound work of ``cpu_seconds`` on one full vCPU.

    It takes ``cpu_seconds / min(threads, vcpus)`` of virtual time, where
    ``vcpus = memory / 1769``: at 128 MB a second of work takes 13.8 s; one
    thread never goes faster than one vCPU; ``threads`` use up to the
    function's vCPUs (5.8 at 10,240 MB, which AWS describes as "up to 6").
    """
    if not cpu_seconds >= 0 or threads < 1:
        raise ValueError("compute(cpu_seconds >= 0, threads >= 1)")
    clock = current_clock()
    clock.advance(cpu_seconds / min(threads, clock.vcpus))


class _LogWriter(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of running code: whole lines go to the log stream."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._buffer = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._clock.log(line)
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self._clock.log(self._buffer)
            self._buffer = ""


class _LambdaLogHandler(logging.Handler):
    """The runtime's root-logger handler: ``[INFO]\\t2019-11-01T00:00:00.123Z\\t<id>\\tmessage``."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock

    def emit(self, record: logging.LogRecord) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        message = self.format(record) if self.formatter else record.getMessage()
        if record.exc_info and not self.formatter:
            message += "\n" + "".join(logging.Formatter().formatException(record.exc_info))
        self._clock.log(f"[{record.levelname}]\t{stamp}.{int(record.msecs):03d}Z\t{self._clock.request_id}\t{message}")


class Sandbox:
    """What one execution environment keeps from run to run: its ``os.environ`` (changes included),
    its root log level, and the modules imported from its code folder."""

    __slots__ = ("environ", "log_level", "modules", "path")

    def __init__(self, environ: dict[str, str]) -> None:
        self.environ = environ
        self.log_level = logging.WARNING  # the runtime's root logger starts at WARNING
        self.modules: dict[str, types.ModuleType] = {}
        self.path: str | None = None


@contextmanager
def sandbox(clock: Clock, box: Sandbox) -> Iterator[None]:
    """Swap in virtual time, the environment's variables, modules, log level and log capture;
    save what the code changed into ``box`` and restore the host on exit."""

    def sleep(seconds: float) -> None:
        clock.advance(float(seconds))

    def wall() -> float:
        return clock.epoch + clock.now()

    def mono() -> float:
        return clock.now()

    saved_time = {name: getattr(time, name) for name in _TIME_NAMES}
    fakes: dict[str, Callable[..., Any]] = {
        "sleep": sleep,
        "time": wall,
        "time_ns": lambda: int(wall() * 1e9),
        "monotonic": mono,
        "monotonic_ns": lambda: int(mono() * 1e9),
        "perf_counter": mono,
        "perf_counter_ns": lambda: int(mono() * 1e9),
    }
    saved_environ = dict(os.environ)
    saved_out, saved_err = sys.stdout, sys.stderr
    writer = _LogWriter(clock)
    handler = _LambdaLogHandler(clock)
    root = logging.getLogger()
    saved_level = root.level
    path = box.path
    shadowed = {name: sys.modules[name] for name in box.modules if name in sys.modules}
    before = set(sys.modules)
    _current.append(clock)
    try:
        for name, fake in fakes.items():
            setattr(time, name, fake)
        os.environ.clear()
        os.environ.update(box.environ)
        sys.modules.update(box.modules)
        if path is not None:
            sys.path.insert(0, path)
        sys.stdout = sys.stderr = writer
        root.addHandler(handler)
        root.setLevel(box.log_level)
        yield
    finally:
        box.log_level = root.level
        root.setLevel(saved_level)
        root.removeHandler(handler)
        writer.flush()
        sys.stdout, sys.stderr = saved_out, saved_err
        if path is not None:
            if path in sys.path:
                sys.path.remove(path)
            box.modules.update(take_private_modules(before, path))  # imported by the handler itself
        for name in box.modules:
            sys.modules.pop(name, None)
        sys.modules.update(shadowed)
        box.environ.clear()
        box.environ.update(os.environ)
        os.environ.clear()
        os.environ.update(saved_environ)
        for name, original in saved_time.items():
            setattr(time, name, original)
        _current.pop()


_TIME_NAMES = ("sleep", "time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns")


def error_payload(error: BaseException, request_id: str | None) -> dict[str, Any]:
    """The Python runtime's payload for an unhandled exception."""
    payload: dict[str, Any] = {"errorMessage": str(error), "errorType": type(error).__name__}
    if request_id is not None:
        payload["requestId"] = request_id
    payload["stackTrace"] = user_stack_trace(error)
    return payload


def error_log_message(payload: dict[str, Any]) -> str:
    """The log event the Python runtime writes for an error payload."""
    message = f"[ERROR] {payload['errorType']}: {payload['errorMessage']}"
    trace = payload.get("stackTrace") or []
    if trace:
        message += "\nTraceback (most recent call last):\n" + "".join(trace)
    return message.rstrip("\n")


def marshal(result: Any, limit: int, request_id: str | None) -> tuple[bytes | None, dict[str, Any] | None]:
    """JSON-encode a handler's result as the runtime does; return (payload, error payload)."""
    try:
        body = json.dumps(result).encode()
    except (TypeError, ValueError) as error:
        failure: dict[str, Any] = {
            "errorMessage": f"Unable to marshal response: {error}",
            "errorType": "Runtime.MarshalError",
        }
        if request_id is not None:
            failure["requestId"] = request_id
        failure["stackTrace"] = []
        return None, failure
    if len(body) > limit:
        return None, {
            "errorMessage": f"Response payload size ({len(body)} bytes) exceeded maximum allowed payload size "
            f"({limit} bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }
    return body, None
