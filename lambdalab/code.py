"""A function's code, and how the INIT phase loads it into one execution environment.

Lambda runs your module's top-level code once per execution environment, then
calls the handler for every request that environment serves. So here:

- :meth:`Code.from_directory` and :meth:`Code.from_zip` import the handler's
  module afresh in every environment (a ``module.function`` handler string,
  as in the console); modules imported from the same code folder are private
  to the environment too, so globals persist across warm invocations of one
  environment and never across two;
- :meth:`Code.from_source` does the same for source text (handy in notebooks);
- :meth:`Code.from_factory` calls ``factory()`` once per environment and uses
  what it returns as the handler: the closure is the environment's state;
- :meth:`Code.from_callable` calls a function you already have. Its module is
  shared by all environments, as no Python process can hold two copies of it.

Load failures raise :class:`InitError` with the Python runtime's error types
and messages (``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``,
``Runtime.UserCodeSyntaxError``, ``Runtime.MalformedHandlerName``), from
https://github.com/aws/aws-lambda-python-runtime-interface-client (bootstrap.py).
"""

from __future__ import annotations

import importlib.util
import io
import linecache
import os
import sys
import tempfile
import traceback
import types
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import InvalidParameterValueException, RequestEntityTooLargeException
from .quotas import QUOTAS_TODAY, Quotas

Handler = Callable[[Any, Any], Any]
TASK_ROOT = "/var/task"


class InitError(Exception):
    """The INIT phase failed: the error payload Lambda returns for it."""

    def __init__(self, error_type: str, message: str, stack_trace: list[str] | None = None) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message
        self.stack_trace = stack_trace or []


class Loaded:
    """What INIT left in one environment: the handler and the environment's private modules."""

    __slots__ = ("handler", "modules", "path")

    def __init__(self, handler: Handler, modules: dict[str, types.ModuleType], path: str | None) -> None:
        self.handler = handler
        self.modules = modules
        self.path = path


class Code:
    """Where a function's code comes from; see the module docstring for the choices."""

    def __init__(self, kind: str, target: Any, *, keep: Any = None) -> None:
        self.kind = kind
        self._target = target
        self._keep = keep  # e.g. the temporary folder a zip was unpacked into

    @classmethod
    def from_callable(cls, handler: Handler) -> Code:
        if not callable(handler):
            raise TypeError(f"from_callable needs a function handler(event, context), not {handler!r}")
        return cls("callable", handler)

    @classmethod
    def from_factory(cls, factory: Callable[[], Handler]) -> Code:
        if not callable(factory):
            raise TypeError(f"from_factory needs a function that returns the handler, not {factory!r}")
        return cls("factory", factory)

    @classmethod
    def from_source(cls, source: str, filename: str = "lambda_function.py") -> Code:
        """Python source of one module, named ``filename`` in the task root."""
        return cls("source", (filename, source))

    @classmethod
    def from_directory(cls, path: str | Path) -> Code:
        folder = Path(path).resolve()
        if not folder.is_dir():
            raise InvalidParameterValueException(f"Code folder {folder} does not exist.")
        return cls("directory", folder)

    @classmethod
    def from_zip(cls, package: str | Path | bytes, quotas: Quotas = QUOTAS_TODAY) -> Code:
        """A deployment package, checked against the 50 MB zipped and 250 MB unzipped quotas."""
        if isinstance(package, bytes):
            data = package
        elif isinstance(package, (str, Path)) and Path(package).is_file():
            data = Path(package).read_bytes()
        else:
            raise InvalidParameterValueException(f"Code package {package!r} is not a zip file's bytes or path.")
        encoded = (len(data) + 2) // 3 * 4  # uploaded base64-encoded in the request body
        limit = -(-quotas.zip_max_bytes * 4 // 3)  # 69905067 for 50 MB
        if encoded > limit:
            raise RequestEntityTooLargeException(
                f"Request must be smaller than {limit} bytes for the CreateFunction operation"
            )
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise InvalidParameterValueException(
                "Could not unzip uploaded file. Please check your file, then try to upload again."
            ) from None
        unzipped = sum(info.file_size for info in archive.infolist())
        if unzipped > quotas.unzipped_max_bytes:
            raise InvalidParameterValueException(
                f"Unzipped size must be smaller than {quotas.unzipped_max_bytes} bytes"
            )
        folder = tempfile.TemporaryDirectory(prefix="lambdalab-task-")
        archive.extractall(folder.name)
        return cls("directory", Path(folder.name), keep=folder)

    def load(self, handler_name: str, env_id: str) -> Loaded:
        """Run INIT for one environment: import the module and find the handler."""
        if self.kind == "callable":
            return Loaded(self._target, {}, None)
        if self.kind == "factory":
            handler = self._target()
            if not callable(handler):
                raise InitError("Runtime.HandlerNotFound", f"factory returned {handler!r}, not a handler")
            return Loaded(handler, {}, None)
        module_name, function_name = _split(handler_name)
        if self.kind == "source":
            filename, source = self._target
            if Path(filename).stem != module_name:
                raise InitError(
                    "Runtime.ImportModuleError",
                    f"Unable to import module '{module_name}': No module named '{module_name}'",
                )
            return _load_source(source, f"{TASK_ROOT}/{filename}", module_name, function_name, env_id)
        return _load_directory(self._target, module_name, function_name, env_id)


def _split(handler_name: str) -> tuple[str, str]:
    module_name, dot, function_name = handler_name.rpartition(".")
    if not dot or not module_name or not function_name:
        raise InitError(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{handler_name}': not enough values to unpack (expected 2, got 1)",
        )
    module_name = module_name.replace("/", ".")
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise InitError(
            "Runtime.BuiltInModuleConflict", f"Cannot use built-in module {module_name} as a handler module"
        )
    return module_name, function_name


def _find(module: types.ModuleType, module_name: str, function_name: str) -> Handler:
    handler = getattr(module, function_name, None)
    if handler is None:
        raise InitError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return handler  # type: ignore[no-any-return]


def _run_module(module: types.ModuleType, run: Callable[[], None], module_name: str) -> None:
    try:
        run()
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {(error.text or "").strip()}\n']
        raise InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}", trace
        ) from None
    except ImportError as error:
        raise InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}") from None
    except Exception as error:  # module code raised: the runtime reports the exception's own type
        raise InitError(type(error).__name__, str(error), user_stack_trace(error)) from None


def _load_source(source: str, path: str, module_name: str, function_name: str, env_id: str) -> Loaded:
    module = types.ModuleType(module_name)
    module.__file__ = path
    linecache.cache[path] = (len(source), None, source.splitlines(True), path)

    def run() -> None:
        exec(compile(source, path, "exec"), module.__dict__)

    _run_module(module, run, module_name)
    return Loaded(_find(module, module_name, function_name), {}, None)


def _load_directory(folder: Path, module_name: str, function_name: str, env_id: str) -> Loaded:
    relative = Path(*module_name.split("."))
    candidates = [folder / relative.with_suffix(".py"), folder / relative / "__init__.py"]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise InitError(
            "Runtime.ImportModuleError",
            f"Unable to import module '{module_name}': No module named '{module_name}'",
        )
    root = str(folder)
    before = set(sys.modules)
    shadowed = sys.modules.get(module_name)  # e.g. a handler module named like a standard module
    sys.path.insert(0, root)
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    sys.modules[module_name] = module
    try:
        _run_module(module, lambda: loader.exec_module(module), module_name)
        handler = _find(module, module_name, function_name)
    finally:
        sys.path.remove(root)
        private = take_private_modules(before, root)
        private[module_name] = module
        if shadowed is not None:
            sys.modules[module_name] = shadowed
        else:
            sys.modules.pop(module_name, None)
    return Loaded(handler, private, root)


def take_private_modules(before: set[str], root: str) -> dict[str, types.ModuleType]:
    """Remove from ``sys.modules`` what was imported from ``root`` since ``before``; return it."""
    prefix = root.rstrip(os.sep) + os.sep
    private = {}
    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None) or ""
        if file.startswith(prefix):
            private[name] = sys.modules.pop(name)
    return private


_OWN = str(Path(__file__).resolve().parent) + os.sep


def user_stack_trace(error: BaseException) -> list[str]:
    """The exception's traceback as the Python runtime formats ``stackTrace``: user frames only."""
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if not f.filename.startswith(_OWN) and not f.filename.startswith("<frozen")
    ]
    # Plain tuples, as the runtime formats them: no column carets on Python 3.11+.
    return traceback.format_list([(f.filename, f.lineno or 0, f.name, f.line) for f in frames])
