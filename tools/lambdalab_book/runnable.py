"""Which code cells of a notebook can run in the reader's browser, and why the others cannot.

Decided at build time from the cells' source alone (``ast``), for the "Run" buttons (``live``).
A cell runs live when:

- it is Python without IPython syntax (``%magic``, ``%%cell magic``, ``!shell``, ``name?``);
- its imports are the standard library as Pyodide has it, ``lambdalab`` and ``plotly`` (not
  ``plotly.express`` or ``plotly.figure_factory``, which need numpy); and
- every name it takes from earlier cells was last defined by a cell that runs live, so that "Run
  all above" rebuilds what it needs. Names are followed at the level of the notebook's namespace:
  what each cell binds at module level (assignments, ``def``, ``class``, ``import``, ``for``/``with``
  targets, ``global`` in a function) and what it reads from outside (a read at module level before
  the cell binds the name, or a global read inside a function or lambda that the cell never binds).
  It is a static approximation: ``exec``, ``globals()[...]`` and attributes are not followed.

A cell that cannot run keeps a plain reason (``Plan.reason``), such as "uses pandas, which does
not run in the browser" or "uses `rows`, defined by a cell that needs ipywidgets"; a page shows
it in place of the button. A cell that is not valid Python (and has no IPython syntax) runs, as
in Jupyter, to show its SyntaxError.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Third-party packages the browser has (wheels served by the site).
BROWSER_PACKAGES = frozenset({"lambdalab", "plotly"})
#: Modules of those packages that still need what the browser lacks.
BLOCKED = {"plotly.express": "numpy", "plotly.figure_factory": "numpy"}
#: C modules compiled into Pyodide 314.0.8's interpreter (``sys.builtin_module_names``); its
#: pure-Python standard library is the content of ``python_stdlib.zip`` (``vendor.stdlib_modules``).
#: tests/test_live.py checks this list against the vendored Pyodide.
PYODIDE_BUILTINS = frozenset(
    [
        "_abc",
        "_ast",
        "_asyncio",
        "_bisect",
        "_blake2",
        "_bz2",
        "_codecs",
        "_codecs_cn",
        "_codecs_hk",
        "_codecs_iso2022",
        "_codecs_jp",
        "_codecs_kr",
        "_codecs_tw",
        "_collections",
        "_contextvars",
        "_csv",
        "_ctypes",
        "_datetime",
        "_decimal",
        "_elementtree",
        "_functools",
        "_heapq",
        "_hmac",
        "_imp",
        "_io",
        "_json",
        "_locale",
        "_lsprof",
        "_lzma",
        "_md5",
        "_multibytecodec",
        "_opcode",
        "_operator",
        "_pickle",
        "_posixsubprocess",
        "_pyodide_core",
        "_queue",
        "_random",
        "_remote_debugging",
        "_sha1",
        "_sha2",
        "_sha3",
        "_signal",
        "_socket",
        "_sqlite3",
        "_sre",
        "_stat",
        "_statistics",
        "_string",
        "_struct",
        "_suggestions",
        "_symtable",
        "_sysconfig",
        "_testbuffer",
        "_testcapi",
        "_testclinic",
        "_testclinic_limited",
        "_testinternalcapi",
        "_testlimitedcapi",
        "_thread",
        "_tokenize",
        "_tracemalloc",
        "_types",
        "_typing",
        "_warnings",
        "_weakref",
        "_xxtestfuzz",
        "_zoneinfo",
        "_zstd",
        "array",
        "atexit",
        "binascii",
        "builtins",
        "cmath",
        "errno",
        "faulthandler",
        "fcntl",
        "gc",
        "itertools",
        "marshal",
        "math",
        "mmap",
        "posix",
        "pyexpat",
        "select",
        "sys",
        "termios",
        "time",
        "unicodedata",
        "xxsubtype",
        "zlib",
    ]
)
#: Names only IPython's kernel defines; ``display`` the browser's kernel defines too.
IPYTHON_ONLY = frozenset({"get_ipython", "In", "Out"})
KERNEL_NAMES = frozenset({"display", "_", "__name__", "__builtins__", "__doc__"})
#: Why a package cannot run in the browser, when there is more to say than that it is missing.
WHY = {
    "ipywidgets": "uses ipywidgets, whose controls need a Jupyter kernel",
    "IPython": "uses IPython, which only Jupyter's kernel provides",
}
#: IPython-only lines: %magic and %%cell magic, !shell, name? help, and x = !shell or x = %magic.
MAGIC = re.compile(r"\s*(%%?\w|!|[\w.]+\?\??\s*$|[\w.\[\], ]+=\s*[!%]\w)")
SHELL = re.compile(r"\s*([\w.\[\], ]+=\s*)?!")


@dataclass(frozen=True)
class Plan:
    """One code cell's verdict: whether it runs live, and if not, why (and what it needs)."""

    index: int  # the cell's index in the notebook (markdown cells counted)
    live: bool
    reason: str = ""  # empty when live
    needs: str = ""  # what the cell needs that the browser lacks: "pandas", "IPython magics", ...
    defines: frozenset[str] = field(default_factory=frozenset)
    uses: frozenset[str] = field(default_factory=frozenset)
    packages: tuple[str, ...] = ()  # the browser's packages it imports (wheels to install)


def pyodide_stdlib(zip_modules: Iterable[str] = ()) -> frozenset[str]:
    """What ``import`` finds in Pyodide's standard library: its zip's modules and its built-in ones.

    Without the zip's list (for tests), the build Python's ``sys.stdlib_module_names`` stands in.
    """
    modules = frozenset(zip_modules) or frozenset(sys.stdlib_module_names)
    return modules | PYODIDE_BUILTINS


def imported_modules(tree: ast.AST) -> list[str]:
    """Every module the code imports (dotted names, ``from x import y`` as ``x.y`` too), in order."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append("." * node.level + (node.module or ""))
            elif node.module:
                found.append(node.module)
                found += [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"]
    return found


def _import_problem(modules: Sequence[str], stdlib: frozenset[str]) -> tuple[str, str] | None:
    """(needs, reason) for the first import the browser cannot satisfy, or None."""
    for module in modules:
        top = module.split(".")[0]
        if module.startswith("."):
            return "a local module", "imports from a local module, which is not on this site"
        if top in BROWSER_PACKAGES:
            for blocked, needs in BLOCKED.items():
                if module == blocked or module.startswith(blocked + "."):
                    return needs, f"uses {blocked}, which needs {needs}, not available in the browser"
            continue
        if top in stdlib or top == "__future__":
            continue
        if top in sys.stdlib_module_names:
            return top, f"uses {top}, which the browser's Python does not include"
        return top, WHY.get(top, f"uses {top}, which does not run in the browser")
    return None


def ipython_syntax(source: str) -> str | None:
    """The first line with IPython-only syntax (magic, shell escape, help), shortened, or None."""
    for line in source.splitlines():
        if MAGIC.match(line):
            line = line.strip()
            return line if len(line) <= 40 else line[:39] + "\u2026"
    return None


# --- Names ----------------------------------------------------------------------------------

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _bound_here(node: ast.AST) -> set[str]:
    """Names a statement or expression binds in its own scope (not descending into nested scopes)."""
    names: set[str] = set()
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, ast.Name) and isinstance(item.ctx, (ast.Store, ast.Del)):
            names.add(item.id)
        elif isinstance(item, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in item.names if a.name != "*")
        elif isinstance(item, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and item.name:
            names.add(item.name)
        elif isinstance(item, ast.MatchMapping) and item.rest:
            names.add(item.rest)
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(item.name)
            todo += [*item.decorator_list, *_header_parts(item)]
            continue
        if isinstance(item, (ast.Lambda, *_COMPREHENSIONS)) and item is not node:
            continue
        todo += list(ast.iter_child_nodes(item))
    return names


def _header_parts(node: ast.AST) -> list[ast.AST]:
    """What a def or class evaluates where it stands: defaults, annotations, bases, keywords."""
    if isinstance(node, ast.ClassDef):
        return [*node.bases, *node.keywords]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        parts: list[ast.AST] = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        if not isinstance(node, ast.Lambda):
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            parts += [a.annotation for a in every if a is not None and a.annotation is not None]
            parts += [node.returns] if node.returns else []
        return parts
    return []


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


def _reads(node: ast.AST, local: list[set[str]], now: set[str], later: set[str], globals_: set[str]) -> None:
    """Collect global reads under ``node``: ``now`` (run where it stands) or ``later`` (function bodies).

    ``local`` is the stack of enclosing function, class and comprehension scopes' own names;
    ``globals_`` receives names a function declares ``global`` (the cell binds them when called).
    """
    deferred = len(local) > 0 and any(getattr(s, "deferred", False) for s in local)
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        if not any(node.id in scope for scope in local):
            (later if deferred else now).add(node.id)
        return
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        for part in [*getattr(node, "decorator_list", []), *_header_parts(node)]:
            _reads(part, local, now, later, globals_)
        declared = {n for s in ast.walk(node) if isinstance(s, ast.Global) for n in s.names}
        globals_.update(declared)
        body = node.body if isinstance(node.body, list) else [node.body]
        scope = _Scope(_parameters(node) | set().union(*(_bound_here(s) for s in body)) - declared, True)
        for statement in body:
            _reads(statement, [*local, scope], now, later, globals_)
        return
    if isinstance(node, ast.ClassDef):
        for part in [*node.decorator_list, *_header_parts(node)]:
            _reads(part, local, now, later, globals_)
        scope = _Scope(set().union(*(_bound_here(s) for s in node.body)), False)
        for statement in node.body:
            _reads(statement, [*local, scope], now, later, globals_)
        return
    if isinstance(node, _COMPREHENSIONS):
        generators = node.generators
        _reads(generators[0].iter, local, now, later, globals_)  # evaluated where the comprehension stands
        scope = _Scope({n for g in generators for n in _bound_here(g.target)}, False)
        inner: list[ast.AST] = [g.iter for g in generators[1:]]
        inner += [c for g in generators for c in g.ifs]
        inner += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for part in inner:
            _reads(part, [*local, scope], now, later, globals_)
        return
    for child in ast.iter_child_nodes(node):
        _reads(child, local, now, later, globals_)


class _Scope(set[str]):
    """A nested scope's own names; ``deferred`` when its body runs later (a function's)."""

    def __init__(self, names: Iterable[str], deferred: bool) -> None:
        super().__init__(names)
        self.deferred = deferred


def names(tree: ast.Module) -> tuple[frozenset[str], frozenset[str]]:
    """(names the cell binds in the notebook's namespace, names it reads from earlier cells)."""
    bound: set[str] = set()
    outside: set[str] = set()
    later: set[str] = set()
    declared_global: set[str] = set()
    for statement in tree.body:
        now: set[str] = set()
        _reads(statement, [], now, later, declared_global)
        if isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
            now.add(statement.target.id)  # x += 1 reads x first
            outside.update(now - bound)
        else:
            outside.update(now - bound - _bound_here(statement))
        bound |= _bound_here(statement)
    bound |= declared_global
    outside |= later - bound
    known = set(dir(builtins)) | KERNEL_NAMES
    return frozenset(bound), frozenset(n for n in outside if n not in known or n in IPYTHON_ONLY)


# --- Cells ----------------------------------------------------------------------------------


def plan_cells(cells: Sequence[tuple[int, str]], stdlib: frozenset[str] | None = None) -> list[Plan]:
    """The verdict for each code cell ``(index, source)``, in notebook order."""
    stdlib = stdlib if stdlib is not None else pyodide_stdlib()
    plans: list[Plan] = []
    definer: dict[str, Plan] = {}
    for index, source in cells:
        plan = _plan(index, source, stdlib, definer)
        plans.append(plan)
        for name in plan.defines:
            definer[name] = plan
    return plans


def _plan(index: int, source: str, stdlib: frozenset[str], definer: dict[str, Plan]) -> Plan:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        magic = ipython_syntax(source)
        if magic is None:
            return Plan(index, True)  # runs to show its SyntaxError, as in Jupyter
        kind = "shell command" if SHELL.match(magic) else "IPython command"
        reason = f"uses the {kind} `{magic}`, which needs Jupyter"
        return Plan(index, False, reason, "IPython commands")
    defines, uses = names(tree)
    modules = imported_modules(tree)
    packages = tuple(sorted({m.split(".")[0] for m in modules} & BROWSER_PACKAGES))
    problem = _import_problem(modules, stdlib)
    if problem is not None:
        return Plan(index, False, problem[1], problem[0], defines, uses, packages)
    for name in sorted(uses):
        if name in IPYTHON_ONLY:
            return Plan(index, False, f"uses `{name}`, which only Jupyter's IPython kernel provides", "IPython")
        source_plan = definer.get(name)
        if source_plan is not None and not source_plan.live:
            reason = f"uses `{name}`, defined by a cell that needs {source_plan.needs}"
            return Plan(index, False, reason, source_plan.needs, defines, uses, packages)
    return Plan(index, True, "", "", defines, uses, packages)
