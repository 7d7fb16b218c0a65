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

On Lambda every environment is a process of its own, so a library's module-level state (Powertools'
``cold_start``, a client cached at import) is never shared between environments. Here they share
one Python process, so INIT imports a fresh copy of every pure-Python package it imports (the
host's copy is set aside meanwhile) and keeps it as the environment's own (:class:`Imports`).
Packages with compiled extensions (numpy, pandas, pydantic-core) cannot be imported twice in one
process and stay shared, as do the standard library and lambdalab; ``shared=`` names more
packages to share (a fresh copy of a large package costs real time at every cold start), and
``shared=True`` shares them all. A package the handler imports only when it runs, and which the
host had already imported, is the host's. Callable and factory handlers import nothing for
themselves.

File permissions: AWS runs the code as a user that does not own the package's files, so a file
without world-read permission cannot be read ("Lambda requires global read permissions on code
files and any dependent libraries", https://repost.aws/knowledge-center/lambda-deployment-package-errors,
https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-deployment.html). :meth:`Code.from_zip`
reads each entry's Unix mode (``external_attr >> 16``, for entries made on Unix, ``create_system``
3): importing a module without it, at INIT or later, raises Python's own
``PermissionError: [Errno 13] Permission denied: '/var/task/lambda_function.py'``. The runtime
turns that into errorType ``PermissionError``, not ``Runtime.ImportModuleError``: its
``_get_handler`` wraps only ``ImportError`` (awslambdaric's bootstrap.py), as logs of the 3.7 and
3.8 runtimes show (https://github.com/aws/chalice/issues/1350,
https://github.com/aws-samples/fedramp-integrated-inventory-workbook/issues/1). Entries made
elsewhere (Windows tools write ``create_system`` 0) carry no Unix mode and count as readable, as
Info-ZIP's ``unzip`` makes them (AWS does not document its unzip). Not modelled: ``open()`` of an
unreadable data file (the package's files are read from the host's folder, not ``/var/task``) and
folder permissions.

Load failures raise :class:`InitError` with the Python runtime's error types
and messages (``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``,
``Runtime.UserCodeSyntaxError``, ``Runtime.MalformedHandlerName``), from
https://github.com/aws/aws-lambda-python-runtime-interface-client (bootstrap.py).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import io
import linecache
import os
import stat
import sys
import tempfile
import traceback
import types
import weakref
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import InvalidParameterValueException, RequestEntityTooLargeException
from .quotas import QUOTAS_TODAY, Quotas

Handler = Callable[[Any, Any], Any]
TASK_ROOT = "/var/task"

EACCES = 13
"""Linux's errno for "Permission denied", which Lambda's Python reports (13), also where the host numbers
it otherwise (Pyodide's Emscripten uses 2)."""


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


_EXTENSIONS = tuple(importlib.machinery.EXTENSION_SUFFIXES)
ALWAYS_SHARED = frozenset(sys.stdlib_module_names) | {
    "lambdalab",
    "lambdalab_book",
    "__main__",
    "__mp_main__",
    # the host's own machinery: a second copy would fight the first over the process
    "IPython",
    "ipykernel",
    "ipywidgets",
    "comm",
    "traitlets",
    "jupyter_client",
    "jupyter_core",
    "tornado",
    "debugpy",
    "matplotlib_inline",
    "pytest",
    "_pytest",
    "pluggy",
    "hypothesis",
    "nbval",
    "pyodide",
    "micropip",
    "js",
    "_distutils_hack",
}
"""Packages every environment shares with the host, whatever ``shared`` says."""


class Imports:
    """Which packages an environment's INIT imports for itself: every pure-Python package not in
    :data:`ALWAYS_SHARED` or ``shared`` (see the module docstring)."""

    __slots__ = ("shared",)

    def __init__(self, shared: bool | Iterable[str] = ()) -> None:
        if isinstance(shared, str) or not isinstance(shared, (bool, Iterable)):
            raise TypeError(f"shared is True, False or package names such as ('boto3', 'botocore'), not {shared!r}")
        self.shared: frozenset[str] | None = None if shared is True else frozenset(() if shared is False else shared)

    def own(self, names: Iterable[str]) -> dict[str, list[str]]:
        """``names`` (of ``sys.modules``) grouped by top-level package, less the packages shared and those
        with a compiled module loaded."""
        groups: dict[str, list[str]] = {}
        if self.shared is None:
            return groups
        for name in names:
            top = name.partition(".")[0]
            if top not in ALWAYS_SHARED and top not in self.shared:
                groups.setdefault(top, []).append(name)
        if not groups:
            return groups
        compiled = {n.partition(".")[0] for n, m in list(sys.modules.items()) if not _pure(m)}
        return {top: group for top, group in groups.items() if top not in compiled}

    def set_aside(self) -> dict[str, types.ModuleType]:
        """Take the host's copies of the packages an environment imports for itself out of ``sys.modules``."""
        aside: dict[str, types.ModuleType] = {}
        for group in self.own(list(sys.modules)).values():
            for name in group:
                aside[name] = sys.modules.pop(name)
        return aside

    def take(self, before: set[str], aside: dict[str, types.ModuleType]) -> dict[str, types.ModuleType]:
        """Remove from ``sys.modules`` what INIT imported for itself (since ``before``), put back the host's
        copies set aside, and return the environment's own."""
        own = self.take_new(set(sys.modules) - before)
        sys.modules.update(aside)
        return own

    def take_new(self, names: Iterable[str]) -> dict[str, types.ModuleType]:
        """Remove from ``sys.modules`` those of ``names`` (newly imported) that the environment keeps as its own."""
        own: dict[str, types.ModuleType] = {}
        for group in self.own(names).values():
            for name in group:
                module = sys.modules.pop(name)
                if module is not None:
                    own[name] = module
        return own


def _pure(module: types.ModuleType | None) -> bool:
    """Whether a module is Python source (or a namespace package), so that a second copy can be made."""
    if module is None:
        return True  # an import blocked on purpose: nothing to copy
    file = getattr(module, "__file__", None)
    if file is None:
        return hasattr(module, "__path__")  # a namespace package; built-in and frozen modules are not
    return not file.endswith(_EXTENSIONS)


class Code:
    """Where a function's code comes from; see the module docstring for the choices."""

    def __init__(
        self,
        kind: str,
        target: Any,
        *,
        keep: Any = None,
        shared: bool | Iterable[str] = (),
        unreadable: frozenset[str] = frozenset(),
    ) -> None:
        self.kind = kind
        self._target = target
        self._keep = keep  # e.g. the temporary folder a zip was unpacked into
        self.imports = Imports(shared)
        self.unreadable = unreadable
        """Files of a zip package (``a/b.py``, from the task root) that AWS's runtime user cannot read."""
        if unreadable:
            root = str(target)
            _UNREADABLE[root] = unreadable
            weakref.finalize(self, _forget, root)
            if _package_path_hook not in sys.path_hooks:
                sys.path_hooks.insert(0, _package_path_hook)

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
    def from_source(
        cls, source: str, filename: str = "lambda_function.py", *, shared: bool | Iterable[str] = ()
    ) -> Code:
        """Python source of one module, named ``filename`` in the task root. ``shared``: packages that
        every environment shares instead of importing its own (see the module docstring)."""
        return cls("source", (filename, source), shared=shared)

    @classmethod
    def from_directory(cls, path: str | Path, *, shared: bool | Iterable[str] = ()) -> Code:
        folder = Path(path).resolve()
        if not folder.is_dir():
            raise InvalidParameterValueException(f"Code folder {folder} does not exist.")
        return cls("directory", folder, shared=shared)

    @classmethod
    def from_zip(
        cls, package: str | Path | bytes, quotas: Quotas = QUOTAS_TODAY, *, shared: bool | Iterable[str] = ()
    ) -> Code:
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
        unreadable = frozenset(
            "/".join(p for p in info.filename.split("/") if p not in ("", ".", ".."))
            for info in archive.infolist()
            if info.create_system == 3 and not info.is_dir() and not info.external_attr >> 16 & stat.S_IROTH
        )
        return cls("directory", Path(folder.name), keep=folder, shared=shared, unreadable=unreadable)

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
        if self.kind == "source" and Path(self._target[0]).stem != module_name:
            raise InitError(
                "Runtime.ImportModuleError",
                f"Unable to import module '{module_name}': No module named '{module_name}'",
            )
        aside = self.imports.set_aside()
        before = set(sys.modules)
        try:
            if self.kind == "source":
                filename, source = self._target
                loaded = _load_source(source, f"{TASK_ROOT}/{filename}", module_name, function_name, env_id)
            else:
                loaded = _load_directory(self._target, module_name, function_name, env_id, self.unreadable)
        finally:
            own = self.imports.take(before, aside)
        loaded.modules.update(own)
        return loaded


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


def _load_directory(
    folder: Path, module_name: str, function_name: str, env_id: str, unreadable: frozenset[str] = frozenset()
) -> Loaded:
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
    relative_name = path.relative_to(folder).as_posix()
    loader: importlib.abc.Loader = spec.loader
    if relative_name in unreadable:
        loader = _Unreadable(f"{TASK_ROOT}/{relative_name}")
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


_UNREADABLE: dict[str, frozenset[str]] = {}
"""Folders of zip packages (host paths) and their files AWS's runtime user cannot read."""


class _Unreadable(importlib.abc.Loader):
    """Loads a module file without world-read permission: Python's error at ``open``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        raise PermissionError(EACCES, "Permission denied", self.path)


class _PackageFinder(importlib.machinery.FileFinder):
    """Python's finder for a folder of a zip package, with the package's unreadable files."""

    def __init__(self, path: str, root: str, unreadable: frozenset[str]) -> None:
        super().__init__(
            path,
            (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
            (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES),
            (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
        )
        self.root, self.unreadable = root, unreadable

    def find_spec(self, fullname: str, target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        spec = super().find_spec(fullname, target)
        if spec is not None and spec.origin is not None and spec.has_location:
            relative = Path(os.path.relpath(spec.origin, self.root)).as_posix()
            if relative in self.unreadable:
                spec.loader = _Unreadable(f"{TASK_ROOT}/{relative}")
        return spec


def _package_path_hook(path: str) -> importlib.abc.PathEntryFinder:
    """``sys.path_hooks`` entry: a zip package's folders get :class:`_PackageFinder`, others the next hook."""
    for root, unreadable in _UNREADABLE.items():
        if path == root or path.startswith(root + os.sep):
            return _PackageFinder(path, root, unreadable)
    raise ImportError("not a folder of a zip package with unreadable files")


def _forget(root: str) -> None:
    _UNREADABLE.pop(root, None)
    for path in [p for p in sys.path_importer_cache if p == root or p.startswith(root + os.sep)]:
        del sys.path_importer_cache[path]


def take_private_modules(before: set[str], root: str) -> dict[str, types.ModuleType]:
    """Remove from ``sys.modules`` what was imported from ``root`` since ``before``; return it."""
    return take_from(set(sys.modules) - before, root)


def take_from(names: Iterable[str], root: str) -> dict[str, types.ModuleType]:
    """Remove from ``sys.modules`` those of ``names`` imported from ``root``; return them."""
    prefix = root.rstrip(os.sep) + os.sep
    private = {}
    for name in names:
        file = getattr(sys.modules.get(name), "__file__", None) or ""
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
