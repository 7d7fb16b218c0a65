"""``Lambda.environments()``: one row per execution environment, with pandas and without (issue 10)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import lambdalab as ll
from lambdalab import table
from lambdalab.lifecycle import SHUTDOWN_REASONS

CRASH = "import sys\ndef handler(event, context):\n    if event.get('crash'):\n        sys.exit(1)\n    return 1\n"


def scenario(with_pandas: bool | None) -> tuple[ll.Lambda, Any]:
    """Reaped (one of them reset once), retired, deprovisioned and failed-INIT environments, and live ones."""
    previous = table.use_pandas(with_pandas)
    try:
        aws = ll.Lambda(ll.Simulation(seed=5))
        aws.create_function("app", ll.Code.from_source(CRASH, "app.py"), handler="app.handler")
        aws.invoke(FunctionName="app")
        aws.invoke(FunctionName="app", Payload=b'{"crash": true}')  # reset: the runtime goes, the environment stays
        aws.invoke(FunctionName="app")  # the same environment, after a suppressed init
        aws.sim.run(aws.sim.now + 7200)  # reaped
        aws.invoke(FunctionName="app")
        aws.update_function_configuration(FunctionName="app", MemorySize=256)  # retired
        aws.invoke(FunctionName="app")
        aws.create_function("broken", ll.Code.from_source("raise ValueError('no')\n", "app.py"), handler="app.h")
        aws.invoke(FunctionName="broken")  # INIT failed
        aws.create_function("pc", duration=0.1)
        aws.publish_version(FunctionName="pc")
        aws.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="1", ProvisionedConcurrentExecutions=2)
        aws.sim.run(aws.sim.now + 60)
        aws.invoke(FunctionName="pc", Qualifier="1")
        aws.delete_provisioned_concurrency_config(FunctionName="pc", Qualifier="1")  # deprovisioned
        return aws, aws.environments()
    finally:
        table.use_pandas(previous)


def test_every_environment_has_one_row_with_its_life_and_why_it_ended() -> None:
    aws, frame = scenario(False)
    assert isinstance(frame, table.Table)
    t = {name: frame[name].tolist() for name in frame.columns}
    assert list(frame.columns) == [
        "function", "version", "environment", "log_stream", "provisioned", "created", "init_start", "init_end",
        "shut_down", "reason", "invocations", "resets",
    ]  # fmt: skip
    reasons = [r for r in t["reason"] if r is not None]
    assert set(reasons) == set(SHUTDOWN_REASONS)
    for i in range(len(frame)):
        assert t["created"][i] <= t["init_start"][i] <= t["init_end"][i]
        assert (t["shut_down"][i] is None) is (t["reason"][i] is None)
        if t["shut_down"][i] is not None:
            assert t["init_end"][i] <= t["shut_down"][i]
    app = [i for i in range(len(frame)) if t["function"][i] == "app"]
    assert [t["reason"][i] for i in app] == ["reaped", "retired", None]
    assert [t["invocations"][i] for i in app] == [3, 1, 1]  # the reset one served the crash and the next
    assert [t["resets"][i] for i in app] == [1, 0, 0]
    live = [i for i in app if t["shut_down"][i] is None]
    assert [t["environment"][i] for i in live] == list(aws.functions["app"].environments)
    assert all(s in aws.log_group("app").streams for s in (t["log_stream"][i] for i in app))
    pc = [i for i in range(len(frame)) if t["function"][i] == "pc"]
    assert [(t["version"][i], t["provisioned"][i], t["reason"][i]) for i in pc] == [("1", True, "deprovisioned")] * 2
    assert sum(t["invocations"][i] for i in pc) == 1


def test_the_table_is_the_same_with_and_without_pandas() -> None:
    pytest.importorskip("pandas")
    _, with_pandas = scenario(True)
    _, without = scenario(False)
    assert list(with_pandas.columns) == list(without.columns)
    for name in without.columns:
        got = [None if isinstance(v, float) and math.isnan(v) else v for v in with_pandas[name].tolist()]
        assert got == without[name].tolist(), name


def test_no_records_no_table() -> None:
    aws = ll.Lambda(ll.Simulation(seed=1), keep_records=False, logs=False)
    aws.create_function("f", duration=0.1)
    aws.invoke(FunctionName="f")
    with pytest.raises(RuntimeError, match="keep_records=True"):
        aws.environments()
