"""Environments do not share what their INIT imported, as separate processes would not
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html: each execution
environment runs its own runtime process), unless the package cannot be imported twice or is named
``shared``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import lambdalab as ll
from lambdalab.code import Imports
from lambdalab.invoke import InvocationResult

HANDLER = """\
import counterlib

def handler(event, context):
    return counterlib.bump()
"""


@pytest.fixture
def counterlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A pure-Python package with module-level state, already imported by the host."""
    package = tmp_path / "counterlib"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from counterlib.state import bump\n",
    )
    (package / "state.py").write_text("calls = 0\n\ndef bump():\n    global calls\n    calls += 1\n    return calls\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import counterlib  # type: ignore[import-not-found]

    yield counterlib
    for name in [n for n in sys.modules if n == "counterlib" or n.startswith("counterlib.")]:
        del sys.modules[name]


def run(code: ll.Code, requests: list[float]) -> list[InvocationResult]:
    """Requests at the given times (two at 0 s make two environments), answered in order of arrival."""
    aws = ll.Lambda(ll.Simulation(seed=1))
    aws.create_function("f", code, handler="app.handler")
    results: list[InvocationResult] = []
    for at in requests:
        aws.sim.at(at, lambda: aws.submit("f", callback=results.append))
    aws.sim.run()
    return sorted(results, key=lambda r: (r.arrival, r.env_id))


def test_each_environment_imports_its_own_copy(counterlib: Any) -> None:
    results = run(ll.Code.from_source(HANDLER, "app.py"), [0.0, 0.0, 30.0])
    assert len({r.env_id for r in results[:2]}) == 2
    counts = {r.env_id: [] for r in results}  # type: dict[str, list[int]]
    for r in results:
        counts[r.env_id].append(r.json())
    assert sorted(counts.values()) == [[1], [1, 2]]  # each environment counts from its own start
    assert counterlib.state.calls == 0  # the host's copy was never touched
    assert sys.modules["counterlib"] is counterlib


def test_shared_packages_are_shared(counterlib: Any) -> None:
    results = run(ll.Code.from_source(HANDLER, "app.py", shared=("counterlib",)), [0.0, 0.0, 30.0])
    assert sorted(r.json() for r in results) == [1, 2, 3]
    assert counterlib.state.calls == 3
    assert sorted(r.json() for r in run(ll.Code.from_source(HANDLER, "app.py", shared=True), [0.0])) == [4]


def test_a_folder_function_imports_its_own_copy_too(counterlib: Any, tmp_path: Path) -> None:
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "app.py").write_text(HANDLER)
    results = run(ll.Code.from_directory(folder), [0.0, 0.0])
    assert [r.json() for r in results] == [1, 1]


def test_packages_with_compiled_extensions_and_the_standard_library_stay_shared() -> None:
    imports = Imports()
    import json

    import numpy

    assert imports.own(["json", "json.decoder", "numpy", "numpy.core", "lambdalab", "lambdalab.sim"]) == {}
    assert numpy and json
    with pytest.raises(TypeError, match="package names"):
        Imports("numpy")  # type: ignore[arg-type]


def test_a_failed_init_puts_the_hosts_copy_back(counterlib: Any) -> None:
    source = "import counterlib\nraise RuntimeError('no')\n"
    aws = ll.Lambda(ll.Simulation(seed=1))
    aws.create_function("f", ll.Code.from_source(source, "app.py"), handler="app.handler")
    assert aws.invoke(FunctionName="f")["FunctionError"] == "Unhandled"
    assert sys.modules["counterlib"] is counterlib


def test_a_package_first_imported_by_the_handler_is_its_environments(counterlib: Any) -> None:
    for name in [n for n in sys.modules if n.partition(".")[0] == "counterlib"]:
        del sys.modules[name]  # the host has not imported it
    lazy = "def handler(event, context):\n    import counterlib\n    return counterlib.bump()\n"
    results = run(ll.Code.from_source(lazy, "app.py"), [0.0, 0.0, 30.0])
    counts: dict[str, list[int]] = {}
    for r in results:
        counts.setdefault(r.env_id, []).append(r.json())
    assert sorted(counts.values()) == [[1], [1, 2]]
    assert "counterlib" not in sys.modules  # nothing left in the host


def test_each_environment_has_its_own_loggers() -> None:
    """``logging.getLogger`` hands each environment its own loggers, as each runtime process has its own:
    a logger configured in one environment (a handler added at INIT) is new in the next, and the host's
    registry does not see it."""
    source = (
        "import logging\n"
        "log = logging.getLogger('orders')\n"
        "configured_before = bool(log.handlers)\n"
        "log.addHandler(logging.StreamHandler())\n"
        "def handler(event, context):\n"
        "    return [configured_before, len(logging.getLogger('orders').handlers)]\n"
    )
    results = run(ll.Code.from_source(source, "app.py"), [0.0, 0.0])
    assert [r.json() for r in results] == [[False, 1], [False, 1]]
    import logging

    assert "orders" not in logging.Logger.manager.loggerDict
    shared = run(ll.Code.from_source(source, "app.py", shared=True), [0.0, 0.0])
    assert sorted(r.json() for r in shared) == [[False, 2], [True, 2]]  # one registry: the second sees the first
    del logging.Logger.manager.loggerDict["orders"]
