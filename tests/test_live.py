"""The Run buttons without a browser: which cells run live and why, the browser's kernel, the vendored files.

- ``runnable``: imports, IPython syntax, names taken from cells that cannot run, the reasons;
  chapter 1's verdicts.
- The kernel the worker loads (``static/lambdalab/live/kernel.py``), driven by CPython: streams,
  the last expression, errors, ``display``, rich reprs and plotly figures as Jupyter stores them.
- ``vendor``: the trimmed plotly wheel is a valid wheel, the lock file lists what the site serves,
  pins match requirements.txt and VENDORED.md.
- The built pages: bars, reasons, the page data and run.js only where they belong.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import concurrent.futures
import functools
import hashlib
import io
import json
import sys
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import BuiltBook
from lambdalab_book import live, vendor
from lambdalab_book.compare import first_difference
from lambdalab_book.runnable import names, plan_cells, pyodide_stdlib

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "01_why_serverless.ipynb"
KERNEL = ROOT / "tools" / "lambdalab_book" / "static" / "lambdalab" / "live" / "kernel.py"


@functools.cache
def stdlib() -> frozenset[str]:
    """The vendored Pyodide's standard library (from the cache that the book build fills)."""
    return pyodide_stdlib(vendor.prepare().stdlib)


def plans(*sources: str) -> list[Any]:
    return plan_cells(list(enumerate(sources)), stdlib())


def verdicts(*sources: str) -> list[str]:
    return ["live" if p.live else p.reason for p in plans(*sources)]


# --- Which cells run live ---------------------------------------------------------------------


def test_standard_library_lambdalab_and_plotly_run_live() -> None:
    assert (
        verdicts(
            "import json, math\nfrom collections import Counter",
            "import lambdalab as ll\nfrom lambdalab import figures",
            "import plotly.graph_objects as go\nimport plotly.io as pio",
            "from __future__ import annotations\nimport zoneinfo, tomllib",
        )
        == ["live"] * 4
    )


def test_packages_the_browser_lacks_are_named() -> None:
    assert verdicts(
        "import pandas as pd", "import numpy", "import ipywidgets as widgets", "from IPython import display"
    ) == [
        "uses pandas, which does not run in the browser",
        "uses numpy, which does not run in the browser",
        "uses ipywidgets, whose controls need a Jupyter kernel",
        "uses IPython, which only Jupyter's kernel provides",
    ]
    assert verdicts("import plotly.express as px", "from plotly import figure_factory") == [
        "uses plotly.express, which needs numpy, not available in the browser",
        "uses plotly.figure_factory, which needs numpy, not available in the browser",
    ]
    assert verdicts("def f():\n    import pandas\n    return pandas")[0].startswith("uses pandas")
    assert verdicts("from . import helpers") == ["imports from a local module, which is not on this site"]
    assert verdicts("import tkinter") == ["uses tkinter, which the browser's Python does not include"]


def test_ipython_syntax_needs_jupyter_but_a_plain_syntax_error_runs() -> None:
    assert verdicts("%timeit sum(range(10))", "!ls -l", "files = !ls", "%%time\nx = 1", "len?") == [
        "uses the IPython command `%timeit sum(range(10))`, which needs Jupyter",
        "uses the shell command `!ls -l`, which needs Jupyter",
        "uses the shell command `files = !ls`, which needs Jupyter",
        "uses the IPython command `%%time`, which needs Jupyter",
        "uses the IPython command `len?`, which needs Jupyter",
    ]
    assert verdicts("x = (") == ["live"], "a deliberate SyntaxError shows as in Jupyter"
    assert verdicts("print('%d' % 3)\ns = '''\n%not a magic\n'''") == ["live"]


def test_a_name_from_a_cell_that_cannot_run_carries_the_reason() -> None:
    result = verdicts(
        "import lambdalab as ll",
        "import pandas as pd\ntable = pd.DataFrame()",
        "rows = len(table)",  # uses table, defined by the pandas cell
        "print(rows)",  # uses rows: the reason goes down the chain
        "print(ll.__name__)",
    )
    assert result == [
        "live",
        "uses pandas, which does not run in the browser",
        "uses `table`, defined by a cell that needs pandas",
        "uses `rows`, defined by a cell that needs pandas",
        "live",
    ]


def test_the_last_definition_counts() -> None:
    assert verdicts("import ipywidgets\nx = 1", "x = 2", "print(x)") == [
        "uses ipywidgets, whose controls need a Jupyter kernel",
        "live",
        "live",
    ]
    assert (
        verdicts("x = 2", "import ipywidgets\nx = 1", "print(x)")[2]
        == "uses `x`, defined by a cell that needs ipywidgets"
    )


def test_names_follow_python_scopes() -> None:
    def uses(source: str) -> set[str]:
        return set(names(ast.parse(source))[1])

    assert uses("for era in eras:\n    print(era)") == {"eras"}
    assert uses("def f(a, b=default):\n    c = a + b\n    return c + later\nlater = 1") == {"default"}
    assert uses("def f():\n    return g()\ndef g():\n    return outside") == {"outside"}
    assert uses("squares = [x * x for x in xs if x > limit]") == {"xs", "limit"}
    assert uses("total += 1") == {"total"}
    assert uses("total = 0\ntotal += 1") == set()
    assert uses("f = lambda rate, peak=p: rate * peak * k") == {"p", "k"}
    assert uses("class A(Base):\n    size = 3\n    double = size * 2\n    def m(self):\n        return helper") == {
        "Base",
        "helper",
    }
    assert uses("try:\n    pass\nexcept ValueError as error:\n    print(error)") == set()
    assert uses("print(display, len, __name__)") == set(), "the kernel's display and the builtins"
    defined, _ = names(ast.parse("def f():\n    global counter\n    counter = 1\nimport os.path\nx = y = 0"))
    assert defined == {"f", "counter", "os", "x", "y"}


def test_ipython_only_names() -> None:
    assert verdicts("get_ipython().run_line_magic('time', 'x')") == [
        "uses `get_ipython`, which only Jupyter's IPython kernel provides"
    ]


def test_chapter_one_runs_live_but_its_pandas_and_widget_cells() -> None:
    notebook = json.loads(CHAPTER.read_text())
    cells = [(i, "".join(c["source"])) for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]
    result = {p.index: p for p in plan_cells(cells, stdlib())}
    off = {i: p.reason for i, p in result.items() if not p.live}
    assert all("pandas" in r or "ipywidgets" in r for r in off.values()), off
    assert any("pandas" in r for r in off.values()) and any("ipywidgets" in r for r in off.values())
    live_share = sum(p.live for p in result.values()) / len(result)
    assert live_share >= 0.5, f"only {live_share:.0%} of chapter 1's code cells run live"


def test_the_standard_library_is_pyodides() -> None:
    small = pyodide_stdlib(["json", "asyncio"])
    assert {"json", "asyncio", "math", "sys", "_json"} <= small and "tkinter" not in small
    assert {"hashlib", "zipfile", "logging", "tempfile", "zoneinfo"} <= stdlib(), "what lambdalab needs"
    assert not {"tkinter", "idlelib", "venv"} & stdlib()


# --- The browser's kernel, under CPython ------------------------------------------------------


@pytest.fixture
def kernel_module() -> Iterator[types.ModuleType]:
    """kernel.py as the worker loads it (no bytecode written next to the site's files)."""
    module = types.ModuleType("lambdalab_live_kernel")
    module.__file__ = str(KERNEL)
    saved = sys.stdout, sys.stderr
    exec(compile(KERNEL.read_text(), str(KERNEL), "exec"), module.__dict__)
    try:
        yield module
    finally:
        sys.stdout, sys.stderr = saved


class Session:
    """A kernel and the outputs it sent for each run."""

    def __init__(self, module: types.ModuleType) -> None:
        from IPython.lib.pretty import pretty

        self.sent: list[dict[str, Any]] = []
        self.kernel = module.Kernel(lambda text: self.sent.append(json.loads(text)), pretty)

    def run(self, source: str) -> tuple[str, list[dict[str, Any]]]:
        self.sent = []
        # A thread of its own: Playwright's sync API may hold this thread's event loop (browser tests).
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            result = json.loads(pool.submit(asyncio.run, self.kernel.run(source)).result())
        return result["status"], merged(self.sent)


def merged(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive stream outputs of one stream as one (what the page and nbformat keep)."""
    out: list[dict[str, Any]] = []
    for output in outputs:
        if out and output["output_type"] == "stream" and out[-1].get("name") == output["name"]:
            out[-1] = {**out[-1], "text": out[-1]["text"] + output["text"]}
        else:
            out.append(output)
    return out


def test_kernel_streams_results_and_the_last_expression(kernel_module: types.ModuleType) -> None:
    session = Session(kernel_module)
    status, outputs = session.run("import sys\nprint('a')\nprint('b', file=sys.stderr)\nx = [1, 2]\nx")
    assert status == "ok"
    assert outputs == [
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stderr", "text": "b\n"},
        {"output_type": "execute_result", "execution_count": 1, "data": {"text/plain": "[1, 2]"}, "metadata": {}},
    ]
    assert session.run("x;")[1] == [], "a trailing semicolon hides the value"
    assert session.run("y = 3")[1] == [] and session.run("None")[1] == []
    assert session.run("_")[1][0]["data"]["text/plain"] == "[1, 2]", "_ holds the last value shown"
    assert session.run("list(range(40))")[1][0]["data"]["text/plain"].count("\n") == 39, "IPython's pretty layout"
    assert session.run("import asyncio\nawait asyncio.sleep(0)\n'awaited'")[1][0]["data"]["text/plain"] == "'awaited'"


def test_kernel_errors_look_like_ipythons(kernel_module: types.ModuleType) -> None:
    session = Session(kernel_module)
    status, outputs = session.run("def f():\n    return 1 / 0\n\nf()")
    assert status == "error" and len(outputs) == 1
    error = outputs[0]
    assert (error["output_type"], error["ename"], error["evalue"]) == ("error", "ZeroDivisionError", "division by zero")
    text = "\n".join(error["traceback"])
    assert "Cell In[1], line 4" in text and "----> 4 f()" in text and "----> 2     return 1 / 0" in text
    assert "kernel.py" not in text, "the kernel's own frames are left out"
    status, outputs = session.run("x = (")
    assert outputs[0]["ename"] == "SyntaxError" and "Cell In[2], line 1" in "\n".join(outputs[0]["traceback"])
    assert session.run("print('before')\nraise SystemExit(3)")[1][0]["text"] == "before\n"
    assert session.run("undefined_name")[1][0]["ename"] == "NameError"


def test_kernel_displays_rich_reprs(kernel_module: types.ModuleType) -> None:
    session = Session(kernel_module)
    source = (
        "class Table:\n"
        "    def _repr_html_(self):\n        return '<table></table>'\n"
        "    def _repr_png_(self):\n        return b'PNG'\n"
        "    def __repr__(self):\n        return 'Table()'\n"
        "display(Table(), 'text')\nTable"
    )
    status, outputs = session.run(source)
    assert status == "ok"
    assert outputs[0] == {
        "output_type": "display_data",
        "data": {
            "text/html": "<table></table>",
            "image/png": base64.b64encode(b"PNG").decode(),
            "text/plain": "Table()",
        },
        "metadata": {},
    }
    assert outputs[1]["data"] == {"text/plain": "'text'"}
    assert outputs[2]["data"] == {"text/plain": "__main__.Table"}, "a class shows its name, not its instances' reprs"


def test_kernel_sends_plotly_figures_as_jupyter_stores_them(kernel_module: types.ModuleType) -> None:
    """Chapter 1's figure cell, run by the kernel, gives the notebook's stored figure (fig.show())."""
    notebook = json.loads(CHAPTER.read_text())
    session = Session(kernel_module)
    figure = None
    for index, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or not any(plan.live for plan in plans(source)):
            continue
        if "fig.show()" in source:
            status, outputs = session.run(source)
            assert status == "ok", outputs
            figure = index
            stored = cell["outputs"][0]["data"]
            assert [o["output_type"] for o in outputs] == ["display_data"]
            assert first_difference(stored, outputs[0]["data"]) is None
            break
        session.run(source)
    assert figure is not None, "chapter 1 has a figure cell"
    status, outputs = session.run("go.Figure(go.Scatter(x=[1], y=[2]))")
    assert [o["output_type"] for o in outputs] == ["display_data"], "a figure as last expression shows itself"
    assert list(outputs[0]["data"]) == ["application/vnd.plotly.v1+json"]


# --- Vendored files ---------------------------------------------------------------------------


def record_ok(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        record_name = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        listed = {}
        for line in archive.read(record_name).decode().splitlines():
            path, digest, size = line.rsplit(",", 2)
            listed[path] = (digest, size)
        for name in archive.namelist():
            if name == record_name or name.endswith("/"):
                continue
            content = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
            if listed.pop(name) != (f"sha256={expected}", str(len(content))):
                return False
        return set(listed) == {record_name}


def test_trimming_keeps_a_valid_deterministic_wheel() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("pkg/__init__.py", "x = 1\n")
        archive.writestr("pkg/big/data.js", "0" * 1000)
        archive.writestr("pkg-1.0.data/data/share/x.js", "1")
        archive.writestr("pkg-1.0.dist-info/METADATA", "Name: pkg\nVersion: 1.0\n")
        archive.writestr("pkg-1.0.dist-info/RECORD", "stale\n")
    trimmed = vendor.trim_wheel(out.getvalue(), ("pkg/big/", "pkg-1.0.data/"))
    assert trimmed == vendor.trim_wheel(out.getvalue(), ("pkg/big/", "pkg-1.0.data/"))
    with zipfile.ZipFile(io.BytesIO(trimmed)) as archive:
        assert archive.namelist() == ["pkg/__init__.py", "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/RECORD"]
    assert record_ok(trimmed)
    assert vendor.wheel_imports(trimmed) == ["pkg"]


def test_pins_come_from_requirements_and_are_listed_in_vendored_md() -> None:
    vendored_md = (ROOT / "tools" / "lambdalab_book" / "static" / "VENDORED.md").read_text()
    assert f"`pyodide` {vendor.PYODIDE_VERSION}" in vendored_md and vendor.PYODIDE_INTEGRITY in vendored_md
    for name in vendor.BROWSER_WHEELS:
        filename = vendor.wheel_name(name)
        assert filename in vendor.WHEEL_SHA256, f"requirements.txt pins {filename}: pin its sha256 in vendor.py"
        assert f"`{name}` {vendor.pinned_version(name)}" in vendored_md, f"VENDORED.md lists {filename}"


def test_the_site_serves_pyodide_and_the_wheels_the_lock_file_lists(built_book: BuiltBook) -> None:
    live_dir = built_book.html / "_static" / vendor.LIVE
    pyodide = live_dir / "pyodide"
    assert sorted(p.name for p in pyodide.iterdir()) == sorted(
        [*vendor.PYODIDE_FILES, "NOTICE.md", "pyodide-lock.json"]
    )
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    assert set(lock["packages"]) == {"lambdalab", *vendor.BROWSER_WHEELS}
    assert lock["packages"]["plotly"]["depends"] == ["narwhals", "packaging"]
    for package in lock["packages"].values():
        wheel = (pyodide / package["file_name"]).resolve()
        data = wheel.read_bytes()
        assert hashlib.sha256(data).hexdigest() == package["sha256"], wheel.name
        assert record_ok(data), f"{wheel.name}: RECORD does not match its files"
    plotly = (live_dir / "wheels" / vendor.wheel_name("plotly")).read_bytes()
    with zipfile.ZipFile(io.BytesIO(plotly)) as archive:
        files = archive.namelist()
    assert "plotly/package_data/plotly.min.js" not in files and not any("/datasets/" in f for f in files)
    assert "plotly/package_data/templates/plotly.json" in files, "templates stay: plotly.io needs them"
    assert len(plotly) < 4_500_000
    for name in ("run.js", "worker.mjs", "kernel.py", "pretty.py"):
        assert (live_dir / name).is_file(), name
    assert not list(built_book.html.rglob("__pycache__"))


# --- The built pages --------------------------------------------------------------------------


def page_data(path: Path) -> dict[str, Any] | None:
    text = path.read_text()
    start = text.find(f'<script type="application/json" id="{live.DATA_ID}">')
    if start < 0:
        return None
    body = text[text.index(">", start) + 1 : text.index("</script>", start)]
    data: dict[str, Any] = json.loads(body.replace("<\\/", "</"))
    return data


def test_pages_carry_bars_and_data_only_where_there_is_code(built_book: BuiltBook) -> None:
    for page in built_book.pages():
        html = page.read_text()
        data = page_data(page)
        has_code = 'class="cell docutils container"' in html or "cell tag_" in html
        assert (data is not None) == has_code, page.name
        assert ("lambdalab/live/run.js" in html) == bool(data and any(c["live"] for c in data["cells"])), page.name
        assert "pyodide" not in html.lower(), f"{page.name} names Pyodide before the reader presses Run"
    chapter = built_book.html / "chapters" / "01_why_serverless.html"
    data = page_data(chapter)
    assert data is not None
    html = chapter.read_text()
    for cell in data["cells"]:
        if not cell["rendered"]:
            continue
        assert f'id="ll-cell-{cell["index"]}"' in html
        if cell["live"] and cell["number"] is None:  # its code hidden (a self-check): runs for "Run all above" only
            assert cell["source"] and "reason" not in cell
        elif cell["live"]:
            assert f'aria-label="Run code cell {cell["number"]}"' in html
            assert cell["source"] and "reason" not in cell
        else:
            assert f"This cell {cell['reason']}." in html
    share = sum(c["live"] for c in data["cells"]) / len(data["cells"])
    assert share >= 0.5
    assert data["sizes"]["python"] > 1_000_000 and data["sizes"]["plotly"] > 1_000_000
