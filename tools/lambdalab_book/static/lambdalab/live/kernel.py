"""Lambda Lab's kernel for the reader's browser: run a cell as IPython would, report nbformat outputs.

Loaded by ``worker.mjs`` into Pyodide (and importable by CPython, where the tests drive it). One
``Kernel`` holds one page's namespace. ``run(source)`` executes a cell as IPython does: every
statement, then the last one, if it is an expression, is displayed (not after a trailing ``;``),
and its value becomes ``_``. What the cell shows goes out as it happens, one JSON document per
output, through the ``emit`` callable, shaped as nbformat stores outputs so that the page can
compare them with the notebook's:

- ``stream`` (stdout, stderr), buffered and sent at the end of a line once ``FLUSH_SECONDS``
  passed since the last send (so a long loop's prints appear as it runs), and at the end;
- ``execute_result`` / ``display_data`` with a mime bundle: ``_repr_mimebundle_`` and the
  ``_repr_*_`` methods, and ``text/plain`` from IPython's own pretty printer when the page ships
  it (``pretty.py``), else ``repr``; ``display(...)`` is defined in the namespace;
- plotly figures as ``application/vnd.plotly.v1+json``, built by plotly's own ``plotly_mimetype``
  renderer (what a Jupyter kernel stores): ``fig.show()``, ``plotly.io.show`` and a figure as the
  last expression;
- ``error`` with ``ename``, ``evalue`` and an IPython-like ``traceback`` (the cell's frames as
  ``Cell In[n], line k`` with the line marked, the kernel's own frames left out).
"""

from __future__ import annotations

import ast
import base64
import builtins
import inspect
import io
import json
import linecache
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

FLUSH_SECONDS = 0.05
MAX_PENDING = 65536  # characters buffered before they are sent, whatever the time
#: IPython's formatters, in its order: method name and mime type.
REPR_METHODS = (
    ("_repr_html_", "text/html"),
    ("_repr_markdown_", "text/markdown"),
    ("_repr_svg_", "image/svg+xml"),
    ("_repr_png_", "image/png"),
    ("_repr_jpeg_", "image/jpeg"),
    ("_repr_latex_", "text/latex"),
    ("_repr_json_", "application/json"),
)
PLOTLY_MIME = "application/vnd.plotly.v1+json"


class Stream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr``: text goes to the kernel, which sends it as stream outputs."""

    def __init__(self, kernel: Kernel, name: str) -> None:
        super().__init__()
        self._kernel = kernel
        self.name_ = name

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._kernel.write(self.name_, text)
        return len(text)

    def flush(self) -> None:
        self._kernel.flush()


class Kernel:
    """One interpreter's state for one page: a namespace, an execution count, and the output streams."""

    def __init__(self, emit: Callable[[str], object], pretty: Callable[[Any], str] | None = None) -> None:
        self.emit = emit
        self.pretty = pretty or repr
        self.count = 0
        self.namespace: dict[str, Any] = {
            "__name__": "__main__",
            "__builtins__": builtins,
            "display": self.display,
        }
        self._pending: list[tuple[str, str]] = []
        self._last_flush = time.monotonic()
        self._plotly_patched = False
        self.stdout = Stream(self, "stdout")
        self.stderr = Stream(self, "stderr")
        sys.stdout, sys.stderr = self.stdout, self.stderr

    # --- outputs ------------------------------------------------------------------------------

    def write(self, name: str, text: str) -> None:
        """Buffer stream text; send it when enough time passed, so that a long loop streams."""
        if not text:
            return
        self._pending.append((name, text))
        quiet = time.monotonic() - self._last_flush >= FLUSH_SECONDS
        if (quiet and text.endswith("\n")) or sum(len(t) for _, t in self._pending) > MAX_PENDING:
            self.flush()

    def flush(self) -> None:
        """Send the buffered stream text: one output per run of the same stream."""
        pending, self._pending = self._pending, []
        self._last_flush = time.monotonic()
        merged: list[list[str]] = []
        for name, text in pending:
            if merged and merged[-1][0] == name:
                merged[-1][1] += text
            else:
                merged.append([name, text])
        for name, text in merged:
            self.emit(json.dumps({"output_type": "stream", "name": name, "text": text}))

    def _send(self, output: dict[str, Any]) -> None:
        self.flush()
        self.emit(json.dumps(output, default=str))

    def display(self, *objects: Any, raw: bool = False, **_: Any) -> None:
        """IPython's ``display``: each object as a ``display_data`` output (``raw``: already a bundle)."""
        for obj in objects:
            data = dict(obj) if raw else self.mime_bundle(obj)
            if data:
                self._send({"output_type": "display_data", "data": data, "metadata": {}})

    def mime_bundle(self, obj: Any) -> dict[str, Any] | None:
        """The mime bundle IPython's display formatter would make of ``obj`` (None: it displayed itself)."""
        if obj is None:
            return None
        self._patch_plotly()
        is_class = isinstance(obj, type)
        show_itself = None if is_class else getattr(obj, "_ipython_display_", None)
        if callable(show_itself):
            show_itself()
            return None
        data: dict[str, Any] = {}
        mimebundle = None if is_class else getattr(obj, "_repr_mimebundle_", None)
        if callable(mimebundle):
            got = mimebundle(include=None, exclude=None)
            got = got[0] if isinstance(got, tuple) else got
            data.update(got or {})
        for method, mime in REPR_METHODS:
            represent = None if is_class else getattr(obj, method, None)
            if mime in data or not callable(represent):
                continue
            value = represent()
            value = value[0] if isinstance(value, tuple) else value
            if value is None:
                continue
            if isinstance(value, bytes):
                value = base64.b64encode(value).decode("ascii")
            data[mime] = value
        data["text/plain"] = self.pretty(obj)
        return data

    def _patch_plotly(self) -> None:
        """Once plotly is installed: ``show`` sends plotly's mime bundle through this kernel."""
        if self._plotly_patched or "plotly" not in sys.modules:
            return
        import plotly.io as pio
        from plotly.io import _renderers
        from plotly.io._utils import validate_coerce_fig_to_dict

        def show(fig: Any, renderer: str | None = None, validate: bool = True, **kwargs: Any) -> None:
            fig_dict = validate_coerce_fig_to_dict(fig, validate)
            bundle = _renderers.renderers._build_mime_bundle(fig_dict, "plotly_mimetype", **kwargs)
            self.display(bundle, raw=True)

        pio.renderers.default = "plotly_mimetype"
        pio.show = show
        _renderers.show = show
        self._plotly_patched = True

    # --- running a cell -----------------------------------------------------------------------

    async def run(self, source: str) -> str:
        """Run one cell; return ``{"status": "ok"|"error", "execution_count": n}`` as JSON."""
        self.count += 1
        self._last_flush = time.monotonic()
        filename = f"<cell In[{self.count}]>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        status = "ok"
        try:
            if "plotly" not in sys.modules and _installed("plotly"):
                import plotly.io  # noqa: F401 (imported so that show is patched before the cell runs)
            self._patch_plotly()
            await self._execute(source, filename)
        except BaseException as error:  # the reader's code may raise anything, SystemExit included
            self._send(self.error_output(error))
            status = "error"
        finally:
            self.flush()
        return json.dumps({"status": status, "execution_count": self.count})

    async def _execute(self, source: str, filename: str) -> None:
        tree = ast.parse(source, filename)
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = ast.Module(body=tree.body[:-1] if last else tree.body, type_ignores=[])
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        await _maybe_await(eval(compile(body, filename, "exec", flags=flags), self.namespace))
        if last is None:
            return
        expression = ast.Expression(body=last.value)
        value = await _maybe_await(eval(compile(expression, filename, "eval", flags=flags), self.namespace))
        if value is None or _ends_with_semicolon(source):
            return
        self.namespace["_"] = value
        self._patch_plotly()
        data = self.mime_bundle(value)
        if data:
            self._send({"output_type": "execute_result", "execution_count": self.count, "data": data, "metadata": {}})

    def error_output(self, error: BaseException) -> dict[str, Any]:
        """An ``error`` output: IPython's frames (``Cell In[n], line k``, the line marked), without colours,
        its 75-dash rule (too wide for a phone) or this kernel's own frames."""
        ename = type(error).__name__
        if isinstance(error, SyntaxError):
            lines = traceback.format_exception_only(type(error), error)
            text = "".join(lines).replace(f'File "{error.filename}", line', _cell_name(error.filename or "") + ", line")
            return {"output_type": "error", "ename": ename, "evalue": str(error.msg), "traceback": text.splitlines()}
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
        out = ["Traceback (most recent call last):"]
        for frame in frames:
            out.append(_frame_header(frame))
            out.extend(_context(frame))
            out.append("")
        out.append("".join(traceback.format_exception_only(type(error), error)).rstrip("\n"))
        return {"output_type": "error", "ename": ename, "evalue": str(error), "traceback": out}


def _installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.iscoroutine(value) else value


def _ends_with_semicolon(source: str) -> bool:
    """IPython's rule: a final ``;`` (before any comment) hides the last expression's value."""
    lines = [line.split("#")[0].rstrip() for line in source.rstrip().splitlines()]
    return bool(lines) and lines[-1].endswith(";")


def _cell_name(filename: str) -> str:
    return "Cell " + filename[len("<cell ") : -1] if filename.startswith("<cell In[") else f"File {filename}"


def _frame_header(frame: traceback.FrameSummary) -> str:
    if frame.filename.startswith("<cell In["):
        return f"{_cell_name(frame.filename)}, line {frame.lineno}"
    return f"File {frame.filename}:{frame.lineno}, in {frame.name}"


def _context(frame: traceback.FrameSummary, before: int = 2) -> list[str]:
    """The frame's line marked with an arrow, after up to ``before`` lines of context (IPython's form)."""
    lineno = frame.lineno or 0
    lines = []
    for number in range(max(1, lineno - before), lineno + 1):
        text = linecache.getline(frame.filename, number).rstrip("\n")
        if number == lineno:
            lines.append("-" * max(1, 5 - len(str(number))) + f"> {number} {text}")  # ----> 4, ---> 12
        elif text:
            lines.append(f"{number:>7} {text}")
    return lines


def make(emit: Callable[[str], object]) -> Kernel:
    """A kernel whose ``text/plain`` comes from IPython's pretty printer when the page ships it."""
    try:
        from lambdalab_live_pretty import pretty  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return Kernel(emit)
    return Kernel(emit, pretty)
