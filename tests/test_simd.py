"""Strict nbval a second time with numpy's dispatched SIMD code switched off.

The stored outputs must not depend on the CPU (see ``lambdalab_book.compare``). numpy picks
optimised kernels at run time (AVX2, AVX-512 on x86-64; ASIMD extensions, SVE on arm64) and
``NPY_DISABLE_CPU_FEATURES`` turns them off, so this run takes the baseline paths another
machine would take. The subprocess is given the notebooks only, so it never collects this file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from lambdalab_book import execute

GUARD = "LAMBDALAB_SIMD_SUBPROCESS"

PROBE = textwrap.dedent(
    """
    import json
    try:
        from numpy._core import _multiarray_umath as umath  # numpy 2
    except ImportError:
        from numpy.core import _multiarray_umath as umath  # numpy 1
    print(json.dumps({"dispatch": list(umath.__cpu_dispatch__), "features": umath.__cpu_features__}))
    """
)


def probe(env: dict[str, str] | None = None) -> dict[str, object]:
    """numpy's dispatch targets and the CPU features it uses, in a fresh interpreter.

    ``-W error::ImportWarning`` turns numpy's complaint about a name it cannot disable into an
    error here, instead of a stderr line inside a notebook's output.
    """
    done = subprocess.run(
        [sys.executable, "-W", "error::ImportWarning", "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if done.returncode != 0:
        return {}
    result: dict[str, object] = json.loads(done.stdout)
    return result


def features_to_disable() -> list[str]:
    """The dispatched features this CPU supports, minus any name numpy would refuse."""
    found = probe()
    dispatch, features = found.get("dispatch", []), found.get("features", {})
    assert isinstance(dispatch, list) and isinstance(features, dict)
    names = [name for name in dispatch if features.get(name)]
    usable = []
    for name in names:
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": name}
        off = probe(env).get("features", {})
        if isinstance(off, dict) and off.get(name) is False:
            usable.append(name)
    return usable


@pytest.mark.skipif(GUARD in os.environ, reason="already inside the SIMD-off nbval run")
def test_nbval_passes_with_simd_dispatch_off() -> None:
    names = features_to_disable()
    if not names:
        pytest.skip("numpy dispatches no SIMD feature on this CPU that could be switched off")
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(names), GUARD: "1"}
    features = probe(env).get("features", {})
    assert isinstance(features, dict)
    assert not any(features.get(name) for name in names), f"numpy kept {names} on"
    notebooks = [str(p.relative_to(execute.ROOT)) for p in execute.notebooks()]
    if not notebooks:
        pytest.skip("no notebooks")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--color=no", *notebooks],
        cwd=execute.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, f"NPY_DISABLE_CPU_FEATURES={' '.join(names)}\n{done.stdout}\n{done.stderr}"
