"""Running handler code inside one execution environment, on virtual time.

While INIT or a handler runs (:class:`sandbox`), lambdalab swaps in what the Lambda Python
runtime provides and takes it back afterwards:

- **time**: ``time.sleep`` advances the virtual clock instantly; the ``time`` functions and
  ``datetime.now()``/``utcnow()``/``today()`` read it (:mod:`lambdalab.virtualtime`). A sleep
  that would run past the timeout stops the handler there, as Lambda stops a function that
  times out.
- **CPU**: :func:`compute` stands for CPU-bound work; it takes longer with
  less memory, since Lambda allots CPU in proportion to memory (1,769 MB =
  one vCPU today, 1,792 MB in 2019; https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
  Opt-in, ``Lambda(cpu_time=True)`` measures the code's own CPU as well (:mod:`lambdalab.cputime`).
- **environment**: ``os.environ`` holds the function's variables and Lambda's
  own (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
  ``_X_AMZN_TRACE_ID`` new for every invocation (:mod:`lambdalab.process`).
- **logs**: ``print`` output and the root logger (with the runtime's format
  ``[LEVEL]\\t<timestamp>\\t<request id>\\t<message>``) go to the
  environment's log stream, stamped with virtual time; ``sys.stdout`` and the root handler are
  made once, as the runtime makes them, so what INIT keeps of them keeps working
  (:mod:`lambdalab.process`).
- **modules**: modules imported from the code folder, and the pure-Python packages the code imports,
  are the environment's own, and so is ``logging.getLogger``'s registry (:mod:`lambdalab.code`).
- **/tmp**: ``/tmp`` is the environment's own folder (its ephemeral storage: 512 MB by default, ``ENOSPC``
  beyond), through ``open``, ``os``, ``pathlib``, ``shutil``, ``tempfile`` and ``sqlite3``; it lasts as
  long as the environment (:mod:`lambdalab.tmpfs`).
- **real time**: code that runs for ``real_time_limit_s`` without finishing is stopped as a
  timeout (:mod:`lambdalab.guard`).

A handler's exception becomes the error payload of the Python runtime
(``errorMessage``, ``errorType``, ``requestId``, ``stackTrace``); it never
escapes into the simulation. Its result is encoded as the runtime encodes it (:func:`marshal`).
"""

from __future__ import annotations

import json
import json.encoder
import logging
import math
import os
import sys
import types
from collections.abc import Callable
from decimal import Decimal
from itertools import islice
from typing import Any

from .code import Imports, take_from, user_stack_trace
from .guard import GUARD
from .process import _HANDLERS, HOST_STREAMS, STDERR, STDOUT, Environ, RuntimeLogHandler
from .tmpfs import ACTIVE, Disk, install
from .virtualtime import PATCHES, Clock, Deadline, _current, current_clock

_enter_tmp, _leave_tmp = ACTIVE.append, ACTIVE.pop  # the running environment's /tmp (lambdalab.tmpfs)

__all__ = ["Clock", "Deadline", "Sandbox", "_current", "compute", "current_clock", "marshal", "sandbox"]


def compute(cpu_seconds: float, threads: int = 1) -> None:
    """Stand for CPU-bound work of ``cpu_seconds`` on one full vCPU.

    It takes ``cpu_seconds / min(threads, vcpus)`` of virtual time, where
    ``vcpus = memory / 1769`` (``/ 1792`` in era 2019): at 128 MB a second of work takes 13.8 s; one
    thread never goes faster than one vCPU; ``threads`` use up to the
    function's vCPUs (5.8 at 10,240 MB, which AWS describes as "up to 6").
    With ``Lambda(cpu_time=True)`` the code's own CPU moves the clock as well; ``compute`` still adds
    this on top (its own CPU is next to nothing), at the memory's share even during INIT.
    """
    if not cpu_seconds >= 0 or threads < 1:
        raise ValueError("compute(cpu_seconds >= 0, threads >= 1)")
    clock = current_clock()
    clock.advance(cpu_seconds / min(threads, clock.vcpus))


UNESCAPED_JSON_RUNTIMES = frozenset(
    {"AWS_Lambda_python3.12", "AWS_Lambda_python3.13", "AWS_Lambda_python3.14", "AWS_Lambda_python3.15"}
)
"""Runtimes whose results keep non-ASCII text as it is (``ensure_ascii=False``); older ones escape it
(awslambdaric's ``lambda_runtime_marshaller.py``, which reads ``AWS_EXECUTION_ENV`` at start-up)."""


class Sandbox:
    """What one execution environment keeps from run to run: its ``os.environ`` (changes included),
    its root logger's level and handlers, the modules it imported for itself (:class:`lambdalab.code.Imports`)
    and the loggers they made, and its ``/tmp`` (``tmp``, made on first use), ``storage_mb`` in size (the
    function's ephemeral storage). ``imports`` is ``None`` for callable and factory handlers, whose modules
    and loggers are the host's."""

    __slots__ = (
        "ensure_ascii",
        "environ",
        "imports",
        "log_level",
        "loggers",
        "modules",
        "path",
        "root_handlers",
        "storage_mb",
        "tmp",
    )

    def __init__(self, environ: dict[str, str], storage_mb: int = 512, imports: Imports | None = None) -> None:
        self.environ = Environ(environ)
        self.imports = imports
        # logging.getLogger's registry, as each runtime process has its own (None: the host's)
        self.loggers: dict[str, Any] | None = None if imports is None or imports.shared is None else {}
        self.storage_mb = storage_mb
        self.log_level = logging.WARNING  # the runtime's root logger starts at WARNING
        self.root_handlers: list[logging.Handler] = [RuntimeLogHandler()]  # the runtime's one handler
        self.modules: dict[str, types.ModuleType] = {}
        self.path: str | None = None
        self.ensure_ascii = environ.get("AWS_EXECUTION_ENV") not in UNESCAPED_JSON_RUNTIMES
        self.tmp: Disk | None = None
        install()  # the /tmp wrappers, once per process

    def discard(self) -> None:
        """The environment is gone, and its ``/tmp`` with it."""
        tmp, self.tmp = self.tmp, None
        if tmp is not None:
            tmp.close()


class sandbox:
    """Swap in virtual time, the environment's variables, modules, root logger and log capture; save
    what the code changed into ``box`` and restore the host on exit. ``real_time_limit`` arms the
    real-time guard (:class:`lambdalab.guard.RealTimeGuard`).

    A class rather than a generator: entering and leaving cost a few assignments, and the real-time
    guard never fires inside lambdalab's own frames (a generator's would be ``contextlib``'s)."""

    __slots__ = (
        "before",
        "box",
        "clock",
        "environ",
        "err",
        "handlers",
        "level",
        "limit",
        "loggers",
        "out",
        "shadowed",
    )

    def __init__(self, clock: Clock, box: Sandbox, real_time_limit: float | None = None) -> None:
        self.clock, self.box, self.limit = clock, box, real_time_limit
        self.shadowed: dict[str, types.ModuleType] | None = None

    def __enter__(self) -> None:
        box, root = self.box, logging.root
        _current.append(self.clock)
        _enter_tmp(box)
        PATCHES.install()
        self.environ, os.environ = os.environ, box.environ
        self.out, self.err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = STDOUT, STDERR
        if HOST_STREAMS.watching or len(_HANDLERS) != HOST_STREAMS.count:
            HOST_STREAMS.install(self.out, self.err)
        self.handlers, root.handlers = root.handlers, box.root_handlers
        if box.loggers is not None:
            manager = logging.Logger.manager
            self.loggers, manager.loggerDict = manager.loggerDict, box.loggers
        self.level = root.level
        if self.level != box.log_level:
            root.setLevel(box.log_level)
        if box.modules or box.path is not None or box.imports is not None:
            self.shadowed = {name: sys.modules[name] for name in box.modules if name in sys.modules}
            sys.modules.update(box.modules)
            self.before = len(sys.modules)  # modules imported from here on are appended: no copy of the names
            if box.path is not None:
                sys.path.insert(0, box.path)
        if self.limit is not None:
            GUARD.arm(self.clock, self.limit)

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        GUARD.disarm()
        box, root = self.box, logging.root
        box.log_level = root.level
        if box.loggers is not None:
            manager = logging.Logger.manager
            box.loggers, manager.loggerDict = manager.loggerDict, self.loggers
        if root.level != self.level:
            root.setLevel(self.level)
        box.root_handlers, root.handlers = root.handlers, self.handlers
        if STDOUT.pending or STDERR.pending:  # part of a line: it ends with the run
            STDOUT.flush()
            STDERR.flush()
        if HOST_STREAMS.swapped:
            HOST_STREAMS.restore()
        sys.stdout, sys.stderr = self.out, self.err
        if self.shadowed is not None:
            path = box.path
            if path is not None and path in sys.path:
                sys.path.remove(path)
            added = len(sys.modules) - self.before
            if added > 0:  # imported by the handler itself: from its folder, or a package of its own
                new = list(islice(reversed(sys.modules), added))
                if path is not None:
                    box.modules.update(take_from(new, path))
                if box.imports is not None:
                    box.modules.update(box.imports.take_new(n for n in new if n in sys.modules))
            for name in box.modules:
                sys.modules.pop(name, None)
            sys.modules.update(self.shadowed)
        environ = os.environ
        if environ is not box.environ:  # the code replaced os.environ itself
            box.environ = environ if isinstance(environ, Environ) else Environ(dict(environ))
        os.environ = self.environ  # noqa: B003 (the host's own, put back)
        PATCHES.restore()
        _leave_tmp()
        _current.pop()


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


_placeholders: list[Decimal] = []  # the Decimals of the result being encoded now


def _encode_default(value: Any) -> Any:
    if isinstance(value, Decimal):  # written as a number, as the runtime's encoder does
        if value.is_nan():
            return math.nan
        _placeholders.append(value)
        return f"\0lambdalab-decimal-{len(_placeholders) - 1}\0"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_markers: dict[int, Any] = {}  # the encoder's circular-reference check


def _encoder(ensure_ascii: bool, check_circular: bool) -> Callable[[Any, int], Any]:
    """``json.JSONEncoder(default=..., ensure_ascii=..., check_circular=...)``'s C encoder, made once:
    ``(value, 0)`` gives the JSON text in chunks."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (PyPy, some Pyodide builds)
        plain = json.JSONEncoder(default=_encode_default, ensure_ascii=ensure_ascii).encode
        return lambda value, level: (plain(value),)
    escape = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    markers = _markers if check_circular else None
    return make(markers, _encode_default, escape, None, ": ", ", ", False, False, True)  # type: ignore[no-any-return]


# Results are encoded without the circular-reference check (it costs a dictionary entry per container);
# one that recurses too deep is encoded again with it, for the runtime's "Circular reference detected".
_ENCODERS = {True: _encoder(True, False), False: _encoder(False, False)}
_CHECKED = {True: _encoder(True, True), False: _encoder(False, True)}


def encode_result(result: Any, ensure_ascii: bool = True) -> str:
    """JSON text of a handler's result as the Python runtime's encoder writes it: ``Decimal`` as a
    number (``Decimal('1.50')`` as ``1.50``, a NaN as ``NaN``), ``NaN``/``Infinity`` allowed, and
    non-ASCII text escaped unless ``ensure_ascii`` is false (python3.12 and later)."""
    try:
        try:
            text = "".join(_ENCODERS[ensure_ascii](result, 0))
        except RecursionError:
            _placeholders.clear()
            text = "".join(_CHECKED[ensure_ascii](result, 0))
    except BaseException:
        _markers.clear()
        _placeholders.clear()
        raise
    if _placeholders:
        for index, number in enumerate(_placeholders):
            text = text.replace(f'"\\u0000lambdalab-decimal-{index}\\u0000"', str(number), 1)
        _placeholders.clear()
    return text


def marshal(
    result: Any, limit: int, request_id: str | None, ensure_ascii: bool = True
) -> tuple[bytes | None, dict[str, Any] | None]:
    """Encode a handler's result as the runtime does; return (payload, error payload).

    As awslambdaric's ``LambdaMarshaller.marshal_response``
    (https://github.com/aws/aws-lambda-python-runtime-interface-client, ``lambda_runtime_marshaller.py``):
    ``bytes`` are the response as they are; anything else is JSON (:func:`encode_result`), and what
    cannot be encoded is a ``Runtime.MarshalError``. (The runtime's encoder is simplejson's, which
    also writes a named tuple as an object; here, as with ``json``, it is an array.)
    """
    if isinstance(result, bytes):
        body = result
    else:
        try:
            body = encode_result(result, ensure_ascii).encode()
        except Exception as error:  # the runtime catches every exception here
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
