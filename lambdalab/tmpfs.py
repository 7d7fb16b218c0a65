"""Each execution environment's own ``/tmp``: a private host folder behind the usual file APIs.

On Lambda, each execution environment has its own ``/tmp``, the only writable path: 512 MB, or the
function's ephemeral storage up to 10,240 MB
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-ephemeral-storage.html). It persists for
the environment's lifetime, so a warm invocation finds what INIT or an earlier invocation wrote, and it
is gone with the environment (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
lambdalab runs many environments in one process, so here:

- While INIT or a handler runs (:class:`lambdalab.runtime.sandbox` pushes its ``Sandbox`` on
  :data:`ACTIVE`), ``/tmp`` and the paths under it (``str``, ``bytes`` or ``os.PathLike``, normalised, so
  ``/tmp/../etc`` is ``/etc``; relative ones after ``os.chdir("/tmp")``, which moves the environment's
  current folder, not the process's) name the environment's own host folder
  (``lambdalab-tmp-<pid>-...`` in the host's temporary folder). It is made on first use and deleted when
  the environment shuts down (``ExecutionEnvironment.to(SHUT_DOWN)``: reaped, retired, deprovisioned, its
  first INIT failed), when it is garbage-collected, or at exit; a killed process's are swept away by the
  next process that installs the wrappers. A reset (a timeout or a crash) keeps it for the environment's
  suppressed init, as AWS documents.
- The wrappers, installed once per process with the first ``Sandbox``, translate the paths: ``open``
  (``io.open``, and the copies IPython, ``tarfile``, ``bz2`` and ``lzma`` keep), the ``os`` functions
  that take paths, ``shutil.copyfile``, ``tempfile.gettempdir`` and ``sqlite3.connect``; so ``os.path``,
  ``pathlib``, ``os.makedirs``, ``os.walk``, ``glob``, ``shutil``, ``tempfile``, ``zipfile``, ``tarfile``
  and ``logging.FileHandler`` work too.
  Error messages, ``file.name``, ``os.getcwd()``, ``os.readlink`` and ``DirEntry.path`` give ``/tmp``
  names. Outside handler code a wrapper checks :data:`ACTIVE` and calls the real function; the import
  system (``posix`` and ``_io``) never meets them. Code that never touches ``/tmp`` pays a push and a
  pop per run, no more.
- ``tempfile.gettempdir()`` is ``/tmp`` (or the environment's ``TMPDIR``, ``TEMP`` or ``TMP`` folder).
  ``shutil.disk_usage("/tmp")`` and ``os.statvfs("/tmp")`` report the ephemeral storage as the size.
  A write through a file from ``open`` (or ``os.open`` then ``open``, as ``tempfile`` does), or a
  ``shutil.copyfile``, that would take the files' total size past it raises
  ``OSError(ENOSPC, "No space left on device")``, as a full ``/tmp`` does.

How far it goes: sizes are apparent sizes (a sparse file counts in full; folders count nothing).
Writes that bypass Python's file objects (``os.write`` on ``mkstemp``'s descriptor, ``os.truncate``,
``mmap``, ``sqlite3`` and other C libraries) are not checked as they happen, only counted when a checked
write next finds the disk nearly full. Names bound before the wrappers were installed (``from os import
stat`` in a module imported earlier), C libraries, ``sqlite3`` URIs, subprocesses and code that runs
outside the handler (a finaliser) see the host's paths; the code folder, ``sys.path`` entries and
lambdalab's own file access stay the host's even under the host's ``/tmp``. While code runs, every
thread's calls count as its own. The rest of the file system is the host's and writable (Lambda's is
read-only). Nothing is installed on Windows. No signals, threads or subprocesses: in Pyodide the host
folder is in MEMFS.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import io
import os
import pathlib
import posixpath
import shutil
import stat
import sys
import sysconfig
import tempfile
import types
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Protocol

__all__ = ["ACTIVE", "Disk", "install"]

ENOSPC, ENOTDIR = 28, 20  # Linux's errno values, as Lambda reports them, also where the host's differ (Pyodide)


class Sandbox(Protocol):
    """What this module uses of :class:`lambdalab.runtime.Sandbox` (which imports this module)."""

    tmp: Disk | None
    storage_mb: int
    path: str | None


ACTIVE: list[Sandbox] = []
"""The sandbox of the code running now (at most one: runs never overlap)."""

_REAL: dict[str, Any] = {}  # the functions the wrappers stand in for
_ROOTS: set[str] = set()  # the live environments' host folders
_FDS: dict[int, Disk] = {}  # descriptors os.open gave for writing in a /tmp, until open() wraps them
_THIS, _OWN = __file__, os.path.dirname(__file__) + os.sep
# The standard library's folders: sysconfig's, and where ``os`` was loaded from (in Pyodide a zip file,
# /lib/python314.zip, while sysconfig says //lib/python3.14).
_STDLIB = tuple({os.path.normpath(sysconfig.get_paths()["stdlib"]) + os.sep, os.path.dirname(os.__file__) + os.sep})
_host_tmp = ""
_real_open: Any = builtins.open


class Disk:
    """One environment's ``/tmp``: its host folder (made now), its size and what writes have used."""

    __slots__ = ("__weakref__", "close", "cwd", "limit", "root", "tempdir", "used")

    def __init__(self, limit: int) -> None:
        while True:
            root = f"{_host_tmp}/lambdalab-tmp-{os.getpid()}-{os.urandom(6).hex()}"
            try:
                _REAL["mkdir"](root, 0o700)
                break
            except FileExistsError:
                continue
        _ROOTS.add(root)
        self.root, self.limit, self.used = root, limit, 0
        self.cwd: str | None = None  # the code's current folder, once it moved into /tmp
        self.tempdir: str | None = None
        self.close = weakref.finalize(self, _remove, root)  # once: at shutdown, when collected, or at exit

    def reserve(self, grow: int) -> None:
        """Charge ``grow`` more bytes; once the count passes the size, measure the folder; ENOSPC if full."""
        if self.used + grow > self.limit:
            self.used = self.measure()
            if self.used + grow > self.limit:
                raise OSError(ENOSPC, "No space left on device")
        self.used += grow

    def measure(self) -> int:
        """The apparent size of the files in the folder."""
        total = 0
        for folder, _, files in os.walk(self.root):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(folder, name)).st_size
        return total


def _remove(root: str) -> None:
    shutil.rmtree(root, ignore_errors=True)
    _ROOTS.discard(root)


def _sweep() -> None:
    """Delete the folders of processes that ended without cleaning up (killed): their names hold their pid."""
    for name in os.listdir(_host_tmp):
        pid = name.split("-")[2] if name.startswith("lambdalab-tmp-") and name.count("-") == 3 else ""
        try:
            os.kill(int(pid), 0)  # raises ProcessLookupError if there is no such process
        except ProcessLookupError:
            shutil.rmtree(os.path.join(_host_tmp, name), ignore_errors=True)
        except (ValueError, OSError, AttributeError):  # not ours, not allowed, or no os.kill (Pyodide)
            pass


def _disk(box: Sandbox) -> Disk:
    if box.tmp is None:
        box.tmp = Disk(box.storage_mb * 1024 * 1024)
    return box.tmp


def _virtual(path: Any, box: Sandbox) -> str | None:
    """The normalised ``/tmp`` path that ``path`` names in the running environment, or None."""
    try:
        text = os.fsdecode(path)
    except TypeError:
        return None  # a descriptor, or no path at all: the real function decides
    if not text.startswith("/"):
        if not text or box.tmp is None or box.tmp.cwd is None:
            return None
        text = f"{box.tmp.cwd}/{text}"
    elif "tmp" not in text:
        return None
    text = posixpath.normpath(text)
    if (text == "/tmp" or text.startswith("/tmp/")) and not _exempt(text, box):
        return text
    return None


def _exempt(text: str, box: Sandbox) -> bool:
    """A host path under the host's /tmp: an environment's folder, the code folder, a ``sys.path`` entry,
    or a path that lambdalab's own code reads (INIT's loader)."""
    for folder in (*_ROOTS, box.path or "", *sys.path):
        folder = folder.rstrip("/")
        if folder.startswith("/tmp/") and (text + "/").startswith(folder + "/"):
            return True
    frame: Any = sys._getframe(1)
    while frame is not None:  # the nearest caller outside this module and the standard library decides
        name = frame.f_code.co_filename
        if name != _THIS:
            if name.startswith(_OWN):
                return True
            if not name.startswith("<frozen") and (not name.startswith(_STDLIB) or "-packages" in name):
                return False
        frame = frame.f_back
    return False


def _host(path: Any, box: Sandbox) -> tuple[Any, Disk] | None:
    """The host path (``bytes`` for ``bytes``) and the disk, when ``path`` is in the environment's /tmp."""
    text = _virtual(path, box)
    if text is None:
        return None
    disk = _disk(box)
    host = disk.root + text[4:]
    return (os.fsencode(host) if isinstance(path, bytes) else host), disk


def _rename(error: OSError, back: dict[Any, Any]) -> None:
    """Show the code's own paths in an error, not the host's."""
    for attribute in ("filename", "filename2"):
        value = getattr(error, attribute)
        if isinstance(value, (str, bytes)) and value in back:
            setattr(error, attribute, back[value])


def _call(real: Callable[..., Any], names: tuple[str, ...], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if any(value is not None for key, value in kwargs.items() if key.endswith("dir_fd")):
        return real(*args, **kwargs)  # a name relative to a folder's descriptor
    box, new, back = ACTIVE[-1], list(args), {}
    if not args and names[0] not in kwargs and box.tmp is not None and box.tmp.cwd is not None:
        new = ["."]  # listdir() or scandir() of the current folder
    for index, name in enumerate(names):
        value: Any = new[index] if index < len(new) else kwargs.get(name)
        found = _host(value, box)
        if found is not None:
            back[found[0]] = os.fspath(value)
            if index < len(new):
                new[index] = found[0]
            else:
                kwargs[name] = found[0]
    if not back:
        return real(*args, **kwargs)
    try:
        return real(*new, **kwargs)
    except OSError as error:
        _rename(error, back)
        raise


def _wrap(real: Callable[..., Any], *names: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _call(real, names, args, kwargs) if ACTIVE else real(*args, **kwargs)

    return wrapper


class _CountedIO(io.FileIO):
    """A file of a ``/tmp`` open for writing: what it grows by is charged to the disk before it is written."""

    disk: Disk
    size: int
    append: bool

    def write(self, data: Any, /) -> int:
        start, n = (self.size if self.append else self.tell()), memoryview(data).nbytes
        if start + n > self.size:
            self.disk.reserve(start + n - self.size)
        written = super().write(data)
        self.size = max(self.size, start + (written or 0))
        return written

    def truncate(self, size: int | None = None, /) -> int:
        end = self.tell() if size is None else size
        if end > self.size:
            self.disk.reserve(end - self.size)
        self.size = end
        return super().truncate(size)


def _counted(
    disk: Disk, file: Any, mode: str, buffering: int, text: tuple[Any, ...], closefd: bool, opener: Any
) -> Any:
    """``open()``'s layers over a :class:`_CountedIO`, as ``io.open`` builds them."""
    raw = _CountedIO(file, "".join(c for c in mode if c in "rwxa+"), closefd, opener=opener)
    try:
        info = os.fstat(raw.fileno())
        raw.disk, raw.size, raw.append = disk, info.st_size, "a" in mode
        _FDS.pop(raw.fileno(), None)
        if buffering == 0:
            return raw
        size = buffering if buffering > 1 else info.st_blksize if info.st_blksize > 1 else io.DEFAULT_BUFFER_SIZE
        buffer = (io.BufferedRandom if "+" in mode else io.BufferedWriter)(raw, size)
        if "b" in mode:
            return buffer
        wrapper = io.TextIOWrapper(buffer, text[0], text[1], text[2], buffering == 1)
        wrapper.mode = mode  # type: ignore[misc]
        return wrapper
    except BaseException:
        raw.close()
        raise


def _open(  # builtins.open and io.open
    file: Any,
    mode: str = "r",
    buffering: int = -1,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
    closefd: bool = True,
    opener: Any = None,
) -> Any:
    if not ACTIVE:
        return _real_open(file, mode, buffering, encoding, errors, newline, closefd, opener)
    text, flags = (encoding, errors, newline), set(mode) if isinstance(mode, str) else {"?"}
    # Writing, and nothing that the real open() refuses (which it is left to say).
    writing = bool(flags & set("wxa+")) and flags <= set("rwxab+t") and len(flags) == len(mode) > 0
    writing = writing and not {"b", "t"} <= flags and (text == (None,) * 3 if "b" in flags else buffering != 0)
    found = None if isinstance(file, int) else _host(file, ACTIVE[-1])
    disk = _FDS.pop(file, None) if isinstance(file, int) else found[1] if found is not None else None
    if disk is None:
        return _real_open(file, mode, buffering, encoding, errors, newline, closefd, opener)
    host, name = (file, file) if found is None else (found[0], os.fspath(file))
    try:
        if writing:
            result = _counted(disk, host, mode, buffering, text, closefd, opener)
        else:
            result = _real_open(host, mode, buffering, encoding, errors, newline, closefd, opener)
    except OSError as error:
        _rename(error, {host: name})
        raise
    raw = getattr(result, "buffer", result)
    getattr(raw, "raw", raw).name = name
    return result


def _os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
    if not ACTIVE or dir_fd is not None:
        return _REAL["os_open"](path, flags, mode, dir_fd=dir_fd)  # type: ignore[no-any-return]
    fd: int = _call(_REAL["os_open"], ("path",), (path, flags, mode), {})
    found = _host(path, ACTIVE[-1])
    if found is not None and flags & (os.O_WRONLY | os.O_RDWR):
        _FDS[fd] = found[1]  # for the open(fd) that tempfile makes of it
    return fd


class _Entry:
    """A ``DirEntry`` of a ``/tmp``, its ``path`` as the code named it (``os.walk`` and ``pathlib`` use it)."""

    __slots__ = ("_entry", "path")

    def __init__(self, entry: Any, path: Any) -> None:
        self._entry, self.path = entry, path

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_entry"), name)

    def __fspath__(self) -> Any:
        return self.path


class _Entries:
    def __init__(self, entries: Any, top: Any) -> None:
        self.entries, self.top = entries, top

    def __iter__(self) -> Iterator[_Entry]:
        return self

    def __next__(self) -> _Entry:
        entry = next(self.entries)
        return _Entry(entry, posixpath.join(self.top, entry.name))

    def __enter__(self) -> _Entries:
        return self

    def close(self, *exc_info: object) -> None:
        self.entries.close()

    __exit__ = close


def _scandir(path: Any = None) -> Any:
    real = _REAL["scandir"]
    top = "." if path is None else path
    if ACTIVE and _host(top, ACTIVE[-1]) is not None:
        return _Entries(_call(real, ("path",), (top,), {}), os.fspath(top))
    return real() if path is None else real(path)


def _readlink(path: Any, *, dir_fd: int | None = None) -> Any:
    real = _REAL["readlink"]
    if not ACTIVE:
        return real(path, dir_fd=dir_fd)
    target, disk = _call(real, ("path",), (path,), {"dir_fd": dir_fd}), ACTIVE[-1].tmp
    text = os.fsdecode(target)
    if disk is not None and (text + "/").startswith(disk.root + "/"):  # a link that symlink() made
        text = "/tmp" + text[len(disk.root) :]
        return os.fsencode(text) if isinstance(target, bytes) else text
    return target


def _statvfs(path: Any) -> os.statvfs_result:
    found = _host(path, ACTIVE[-1]) if ACTIVE else None
    if found is None:
        return _REAL["statvfs"](path)  # type: ignore[no-any-return]
    real, disk = _REAL["statvfs"](found[0]), found[1]
    disk.used = disk.measure()
    free = max(0, disk.limit - disk.used) // 4096
    return os.statvfs_result(
        (4096, 4096, disk.limit // 4096, free, free, real.f_files, real.f_ffree, real.f_favail, real.f_flag, 255)
    )


def _chdir(path: Any) -> None:
    if ACTIVE and not isinstance(path, int):
        box = ACTIVE[-1]
        if box.tmp is not None and box.tmp.cwd is not None and not os.fsdecode(path).startswith("/"):
            path = posixpath.normpath(f"{box.tmp.cwd}/{os.fsdecode(path)}")  # ".." out of /tmp included
        found = _host(path, box)
        if found is not None:  # the environment's own current folder; the process's stays where it is
            if not stat.S_ISDIR(_call(_REAL["stat"], ("path",), (path,), {}).st_mode):
                raise NotADirectoryError(ENOTDIR, "Not a directory", os.fspath(path))
            found[1].cwd = "/tmp" + os.fsdecode(found[0])[len(found[1].root) :]
            return
        if box.tmp is not None:
            box.tmp.cwd = None
    _REAL["chdir"](path)


def _getcwd() -> Any:
    disk = ACTIVE[-1].tmp if ACTIVE else None
    return _REAL["getcwd"]() if disk is None or disk.cwd is None else disk.cwd


def _copyfile(src: Any, dst: Any, *, follow_symlinks: bool = True) -> Any:
    found = _host(dst, ACTIVE[-1]) if ACTIVE else None
    if found is not None:  # the copy may bypass Python's writes (sendfile): charge the source's size first
        found[1].reserve(os.stat(src).st_size)
    return _REAL["copyfile"](src, dst, follow_symlinks=follow_symlinks)


def _gettempdir() -> Any:
    if not ACTIVE:
        return _REAL["gettempdir"]()
    disk = _disk(ACTIVE[-1])
    if disk.tempdir is None:  # as tempfile finds it: once per process, so once per environment
        folders = (os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP"))
        disk.tempdir = next((os.path.abspath(f) for f in folders if f and os.path.isdir(f)), "/tmp")
    return disk.tempdir


def _connect(database: Any, *args: Any, **kwargs: Any) -> Any:
    if ACTIVE and not kwargs.get("uri") and database not in (":memory:", "", b":memory:", b""):
        found = _host(database, ACTIVE[-1])
        database = database if found is None else found[0]
    return _REAL["connect"](database, *args, **kwargs)


_ONE = ("stat", "lstat", "listdir", "mkdir", "rmdir", "remove", "unlink", "chmod", "utime", "truncate", "access")
_OS: dict[str, Callable[..., Any]] = {"open": _os_open, "scandir": _scandir, "readlink": _readlink}
_OS |= {"statvfs": _statvfs, "chdir": _chdir, "getcwd": _getcwd}
_OS["getcwdb"] = lambda: os.fsencode(_getcwd()) if ACTIVE else _REAL["getcwdb"]()


_OPENS = [("IPython.core.interactiveshell", "io_open"), ("tarfile", "bltn_open")]
_OPENS += [("bz2", "_builtin_open"), ("lzma", "_builtin_open")]


def install() -> None:
    """Put the wrappers in place, once per process (POSIX only; a no-op afterwards)."""
    global _host_tmp, _real_open
    if _REAL or os.name != "posix":
        return
    _host_tmp = tempfile.gettempdir()
    _sweep()
    patches: list[tuple[Any, str, Callable[..., Any], str]] = [
        (builtins, "open", _open, "open"),
        (io, "open", _open, "open"),
        (shutil, "copyfile", _copyfile, "copyfile"),
        (tempfile, "gettempdir", _gettempdir, "gettempdir"),
        (tempfile, "gettempdirb", lambda: os.fsencode(_gettempdir()), "gettempdirb"),
    ]
    for name in (*_ONE, "rename", "replace", "link", "symlink", *_OS):
        if hasattr(os, name):
            wrapper = _OS.get(name) or _wrap(getattr(os, name), *(("path",) if name in _ONE else ("src", "dst")))
            patches.append((os, name, wrapper, f"os_{name}" if name == "open" else name))
    try:
        import sqlite3

        patches.append((sqlite3, "connect", _connect, "connect"))
    except ImportError:  # e.g. Pyodide without its sqlite3 package
        pass
    groups = [getattr(os, f"supports_{name}") for name in ("dir_fd", "fd", "follow_symlinks", "effective_ids")]
    swap = {}
    for module, name, wrapper, key in patches:
        real = _REAL.setdefault(key, getattr(module, name))
        functools.update_wrapper(wrapper, real)
        setattr(module, name, wrapper)
        swap[real] = wrapper
        for group in groups:
            if real in group:  # shutil.rmtree and copystat ask these sets what a function can do
                group.add(wrapper)
    _real_open = _REAL["open"]
    for module_name, name in _OPENS:  # copies of open() made before now (a notebook's open() is IPython's)
        if getattr(sys.modules.get(module_name), name, None) is _real_open:
            setattr(sys.modules[module_name], name, _open)
    for module in (pathlib, tempfile):  # copies kept by classes: 3.10's pathlib accessor, tempfile's closer
        for cls in [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == module.__name__]:
            for attribute, value in list(vars(cls).items()):
                if isinstance(value, types.BuiltinFunctionType) and value in swap:
                    setattr(cls, attribute, staticmethod(swap[value]))
                elif isinstance(value, types.FunctionType) and value.__defaults__:  # ``unlink=_os.unlink``
                    value.__defaults__ = tuple(
                        swap.get(d, d) if isinstance(d, types.BuiltinFunctionType) else d for d in value.__defaults__
                    )
