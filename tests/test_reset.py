"""A timeout or a crash resets the execution environment; its next request runs a suppressed init.

AWS, "Failures during the invoke phase"
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html): "If the Lambda function
crashes or times out during the Invoke phase, Lambda resets the execution environment ... If this
environment is used for a new invocation, Lambda re-initializes the extension and runtime together with
the next invocation", "the Lambda reset does not clear the /tmp directory content", and for the
suppressed init "Lambda doesn't explicitly report an additional INIT phase in CloudWatch Logs ... the
duration in the REPORT line includes an additional INIT duration + the INVOKE duration"; in AWS's example
the REPORT line comes 2.5 s after START for a Duration of 3,022.91 ms.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import lambdalab as ll
from lambdalab.invoke import InvocationResult
from lambdalab.lifecycle import EnvState, ExecutionEnvironment, IllegalTransition
from support import call, create_from_source, messages, source_service

STATEFUL = """\
import time

print("INIT ran")
time.sleep(0.5)
calls = 0


def handler(event, context):
    global calls
    calls += 1
    time.sleep(event.get("sleep", 0))
    if event.get("fail"):
        raise ValueError("bad input")
    return calls
"""


def _stamped(aws: ll.Lambda) -> list[tuple[int, str]]:
    return [(event.timestamp, event.message) for _, event in aws.log_group("f").events()]


def test_the_next_request_runs_init_again_in_the_same_environment() -> None:
    aws = source_service()
    create_from_source(aws, STATEFUL, timeout=3)
    first, second = call(aws), call(aws)
    assert (first.json(), second.json()) == (1, 2)
    timed_out = call(aws, event={"sleep": 10})
    after = call(aws)
    assert timed_out.outcome == "timeout"
    assert after.json() == 1  # module state starts again: a new runtime process ran the module code
    assert len({first.env_id, second.env_id, timed_out.env_id, after.env_id}) == 1
    assert [first.cold, after.cold] == [True, False]  # a suppressed init is not a cold start
    assert after.init_duration == 0.0
    assert after.duration == pytest.approx(0.25 + 0.5)  # runtime start and module code, inside INVOKE
    assert call(aws).json() == 2 and call(aws).duration == 0.0  # warm again


def test_its_logs_show_no_init_phase_and_start_comes_when_the_init_ends() -> None:
    aws = source_service()
    create_from_source(aws, STATEFUL, timeout=3)
    call(aws, event={"sleep": 10})
    before = len(_stamped(aws))
    after = call(aws)
    lines = _stamped(aws)[before:]
    texts = [m for _, m in lines]
    assert texts[0] == "INIT ran"  # the module's print, written by the suppressed init
    assert texts[1].startswith(f"START RequestId: {after.request_id}")
    assert not [m for m in texts if m.startswith(("INIT_START", "INIT_REPORT"))]
    report = texts[-1]
    assert report.startswith(f"REPORT RequestId: {after.request_id}")
    assert "\tDuration: 750.00 ms\t" in report and "Init Duration" not in report
    start_ms, report_ms = lines[1][0], lines[-1][0]
    assert report_ms - start_ms == 0  # the handler itself took no time: START came after the 750 ms
    assert len({s for s, _ in aws.log_group("f").events()}) == 1  # one log stream: one environment


def test_the_suppressed_init_is_billed_and_counts_against_the_timeout() -> None:
    aws = source_service()
    create_from_source(aws, STATEFUL, timeout=1)
    call(aws, event={"sleep": 5})
    after = call(aws, event={"sleep": 0.2})
    assert after.outcome == "success" and after.duration == pytest.approx(0.95)
    assert "\tDuration: 950.00 ms\tBilled Duration: 950 ms\t" in messages(aws)[-1]
    call(aws, event={"sleep": 5})
    cut = call(aws, event={"sleep": 0.3})  # 0.75 s of INIT + 0.3 s of handler > 1 s
    assert cut.outcome == "timeout" and cut.duration == 1.0


def test_a_handler_exception_does_not_reset_the_environment() -> None:
    aws = source_service()
    create_from_source(aws, STATEFUL)
    call(aws)
    failed = call(aws, event={"fail": True})
    assert failed.outcome == "error" and failed.json()["errorType"] == "ValueError"
    assert call(aws).json() == 3  # the runtime caught it and lives on
    assert aws.functions["f"].environments[failed.env_id].resets == 0


def test_a_crash_resets_it_too_and_the_record_counts_resets() -> None:
    source = (
        "import sys\n\ndef handler(event, context):\n    if event.get('exit'):\n        sys.exit(1)\n    return 1\n"
    )
    aws = source_service(keep_records=True)
    create_from_source(aws, source)
    call(aws)
    call(aws, event={"exit": True})
    call(aws)
    call(aws, event={"exit": True})
    assert call(aws).json() == 1
    envs = aws.environments()
    assert envs.resets.tolist() == [2] and envs.invocations.tolist() == [5]
    assert envs.reason.tolist() == [None]
    aws.sim.run()
    envs = aws.environments()
    assert envs.reason.tolist() == ["reaped"] and envs.resets.tolist() == [2]


def test_a_reset_environment_waits_like_an_idle_one_and_is_reaped() -> None:
    aws = source_service()  # idle lifetime 600 s
    create_from_source(aws, STATEFUL, timeout=1)
    timed_out = call(aws, event={"sleep": 5})
    env = aws.functions["f"].environments[timed_out.env_id]
    assert env.state is EnvState.RESET and not env.busy
    aws.sim.run(until=aws.sim.now + 599)
    assert env.state is EnvState.RESET
    aws.sim.run()
    assert env.state is EnvState.SHUT_DOWN and timed_out.env_id not in aws.functions["f"].environments
    assert call(aws).cold


def test_a_failing_suppressed_init_answers_its_error_and_stays_reset() -> None:
    source = """\
import os
import time

if os.path.exists("/tmp/broken"):
    raise RuntimeError("bad state in /tmp")


def handler(event, context):
    if event.get("break"):
        open("/tmp/broken", "w").close()
        time.sleep(10)
    return "ok"
"""
    aws = source_service()
    create_from_source(aws, source, timeout=3)
    call(aws)
    assert call(aws, event={"break": True}).outcome == "timeout"
    failed = call(aws)
    assert failed.outcome == "init_error" and failed.function_error == "Unhandled"
    assert failed.json()["errorType"] == "RuntimeError"
    assert failed.json()["errorMessage"] == "bad state in /tmp"
    assert failed.duration == 0.25  # the runtime's start; the module raised at once
    env = aws.functions["f"].environments[failed.env_id]
    assert env.state is EnvState.RESET and env.resets == 2
    assert "[ERROR] RuntimeError: bad state in /tmp" in "".join(messages(aws))


def test_a_model_function_pays_its_init_again_after_a_timeout() -> None:
    cold_start = ll.ColdStartModel(*(ll.Dist("const", 0.0),) * 3, ll.Dist("const", 0.4), None, ll.Dist("const", 600))
    aws = ll.Lambda(ll.Simulation(seed=1), cold_start=cold_start)
    aws.create_function("m", duration="const:2", timeout=1)
    results: list[InvocationResult] = []
    for expected in (1, 2):
        aws.submit("m", b"{}", callback=results.append)
        aws.sim.run_until(lambda: len(results) == expected)  # noqa: B023 (run at once)
    assert [r.outcome for r in results] == ["timeout", "timeout"]  # 0.4 s of INIT + 2 s > 1 s, again
    assert [r.cold for r in results] == [True, False] and results[0].env_id == results[1].env_id


def test_a_reset_provisioned_environment_runs_init_again_at_once() -> None:
    """Provisioned concurrency keeps "initialized execution environments ... always available in advance of
    invocations" (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html): lambdalab runs the
    reset environment's INIT again at once, so the next request does not pay it."""
    aws = source_service(keep_records=True)
    create_from_source(aws, STATEFUL, timeout=1)
    aws.publish_version(FunctionName="f")
    aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)
    aws.sim.run(until=60)

    def available() -> int:
        config = aws.get_provisioned_concurrency_config(FunctionName="f", Qualifier="1")
        return int(config["AvailableProvisionedConcurrentExecutions"])

    assert available() == 1
    timed_out = call(aws, "f:1", {"sleep": 5})
    env = aws.functions["f"].published["1"].environments[timed_out.env_id]
    assert env.state is EnvState.INITIALIZING and available() == 0
    aws.sim.run(until=aws.sim.now + 1)
    assert env.state is EnvState.IDLE and available() == 1
    after = call(aws, "f:1")
    assert after.env_id == timed_out.env_id and after.duration == 0.0 and after.json() == 1
    assert aws.environments().resets.tolist() == [1]
    assert aws.environments().init_start.tolist() == [0.0]  # the record keeps the first INIT's times


def test_a_surplus_reset_provisioned_environment_is_shut_down_not_initialised() -> None:
    aws = source_service()
    create_from_source(aws, STATEFUL, timeout=1)
    aws.publish_version(FunctionName="f")
    aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=2)
    aws.sim.run(until=60)
    box: list[InvocationResult] = []
    aws.submit("f:1", b'{"sleep": 5}', callback=box.append)
    aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)
    aws.sim.run(until=aws.sim.now + 5)
    states = sorted(e.state.value for e in aws.functions["f"].published["1"].environments.values())
    assert box[0].outcome == "timeout" and states == ["idle"]


def test_the_reset_state_has_only_its_legal_moves() -> None:
    env = ExecutionEnvironment("e", "f", 0.0)
    for state in (EnvState.INITIALIZING, EnvState.INVOKING, EnvState.RESET, EnvState.INVOKING, EnvState.RESET):
        env.to(state)
    with pytest.raises(IllegalTransition, match="reset -> idle"):
        env.to(EnvState.IDLE)
    idle = ExecutionEnvironment("i", "f", 0.0)
    idle.to(EnvState.INITIALIZING)
    idle.to(EnvState.IDLE)
    with pytest.raises(IllegalTransition, match="idle -> reset"):
        idle.to(EnvState.RESET)


@pytest.mark.parametrize("era", ["2019", "today"])
def test_both_eras_reset_and_keep_the_environment(era: str) -> None:
    aws = source_service(era=era)
    create_from_source(aws, STATEFUL, timeout=3)
    timed_out, after = call(aws, event={"sleep": 10}), call(aws)
    assert timed_out.env_id == after.env_id and after.json() == 1


# -- the suppressed init's own failures -------------------------------------------------------------------

ARMED = """\
import os
import sys
import time

if os.path.exists("/tmp/armed"):
    MODE = open("/tmp/armed").read()
    if MODE == "slow":
        time.sleep(5)
        open("/tmp/after-sleep", "w").close()
    elif MODE == "spin":
        while True:
            pass
    elif MODE == "exit":
        sys.exit(4)


def handler(event, context):
    if event.get("arm"):
        open("/tmp/armed", "w").write(event["arm"])
        time.sleep(10)  # times out: the next request runs the module again
    return os.path.exists("/tmp/after-sleep")
"""


def _armed(mode: str, timeout: float = 3) -> tuple[ll.Lambda, InvocationResult]:
    aws = source_service()
    aws.engine.real_time_limit_s = 0.3  # a spinning INIT is stopped after 0.3 real seconds
    create_from_source(aws, ARMED, timeout=timeout)
    assert call(aws).json() is False
    assert call(aws, event={"arm": mode}).outcome == "timeout"
    return aws, call(aws)


def test_a_suppressed_init_that_outlasts_the_timeout_is_cut_at_it() -> None:
    aws, cut = _armed("slow")
    assert cut.outcome == "timeout" and cut.duration == 3.0
    assert cut.json()["errorType"] == "Sandbox.Timedout"
    lines = _stamped(aws)
    start = next(t for t, m in lines if m.startswith(f"START RequestId: {cut.request_id}"))
    report = next(t for t, m in lines if m.startswith(f"REPORT RequestId: {cut.request_id}"))
    assert start <= report
    assert call(aws).outcome == "timeout"  # and again
    box = aws.functions["f"].environments[cut.env_id].sandbox
    assert box is not None and box.tmp is not None
    assert os.listdir(box.tmp.root) == ["armed"]  # the module code was stopped in its sleep, both times


def test_a_suppressed_init_that_never_ends_times_out_the_request() -> None:
    _, cut = _armed("spin")
    assert cut.outcome == "timeout" and cut.duration == 3.0


def test_sys_exit_in_module_code_is_a_runtime_exit_error_not_a_crash_of_the_simulation() -> None:
    aws, failed = _armed("exit")
    assert failed.outcome == "init_error"
    assert failed.json() == {
        "errorMessage": f"RequestId: {failed.request_id} Error: Runtime exited with error: exit status 4",
        "errorType": "Runtime.ExitError",
    }
    assert aws.functions["f"].environments[failed.env_id].state is EnvState.RESET
    assert "\tStatus: error\tError Type: Runtime.ExitError\t" in messages(aws)[-1]
    cold = source_service()
    create_from_source(cold, "import sys\nsys.exit(2)\n\ndef handler(event, context):\n    return 1\n")
    first = call(cold)
    assert first.outcome == "init_error" and first.json()["errorType"] == "Runtime.ExitError"
    assert cold.functions["f"].environments == {}  # a failed first INIT ends the environment


def test_a_crash_reports_its_status_and_error_type_today_only() -> None:
    source = "import sys\n\ndef handler(event, context):\n    sys.exit(1)\n"
    for era, status in (("today", "\tStatus: error\tError Type: Runtime.ExitError\t"), ("2019", None)):
        aws = source_service(era=era)
        create_from_source(aws, source)
        call(aws)
        report = messages(aws)[-1]
        assert report.startswith("REPORT") and (status in report if status else "Status" not in report)


def test_the_new_runtime_starts_outside_the_old_ones_working_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # the host's folder, which INIT starts in: anything but /tmp itself
    source = """\
import os
import tempfile
import time

print("INIT cwd", os.getcwd(), tempfile.gettempdir())


def handler(event, context):
    os.chdir("/tmp")
    seen = os.getcwd()
    time.sleep(event.get("sleep", 0))
    return seen
"""
    aws = source_service()
    create_from_source(aws, source, timeout=1)
    assert call(aws).json() == "/tmp"
    call(aws, event={"sleep": 5})
    call(aws)
    inits = [m for m in messages(aws) if m.startswith("INIT cwd")]
    assert len(inits) == 2 and inits[0] == inits[1]  # the new runtime's folder is not the old one's /tmp
    assert inits[1].split()[2] != "/tmp"


# -- resets meet the other moves ---------------------------------------------------------------------------


def test_a_new_configuration_retires_a_reset_environment() -> None:
    aws = source_service(keep_records=True)
    create_from_source(aws, STATEFUL, timeout=1)
    timed_out = call(aws, event={"sleep": 5})
    aws.update_function_configuration(FunctionName="f", MemorySize=256)
    after = call(aws)
    assert after.env_id != timed_out.env_id and after.cold
    reasons = aws.environments().reason.tolist()
    assert len(reasons) == 2 and reasons[0] == "retired" and not isinstance(reasons[1], str)


def test_an_asynchronous_retry_runs_in_the_reset_environment() -> None:
    aws = source_service()
    create_from_source(aws, STATEFUL, timeout=1)
    call(aws, event={"sleep": 0.3})
    aws.invoke(FunctionName="f", InvocationType="Event", Payload=b'{"sleep": 5}')
    aws.sim.run()
    frame = aws.requests()
    rows = list(zip(frame.attempt.tolist(), frame.outcome.tolist(), frame.env_id.tolist(), strict=True))
    assert [r[:2] for r in rows] == [(1, "success"), (1, "timeout"), (2, "timeout"), (3, "timeout")]
    assert len({r[2] for r in rows}) == 1  # every retry ran in the one environment, after a suppressed init


def test_statistical_functions_add_the_suppressed_init_to_their_drawn_duration() -> None:
    cold_start = ll.ColdStartModel(*(ll.Dist("const", 0.0),) * 3, ll.Dist("const", 0.4), None, ll.Dist("const", 600))
    aws = ll.Lambda(ll.Simulation(seed=3), cold_start=cold_start, keep_records=True)
    aws.create_function("m", duration="exp:0.3", timeout=1)
    ll.at_times(aws, "m", [2.0 * k for k in range(3000)])  # one at a time: one environment
    aws.sim.run()
    frame = aws.requests()
    outcomes, durations = frame.outcome.tolist(), frame.duration.tolist()
    after = [
        d
        for before, o, d in zip(outcomes, outcomes[1:], durations[1:], strict=False)
        if before == "timeout" and o != "timeout"
    ]
    others = [
        d
        for before, o, d in zip(outcomes, outcomes[1:], durations[1:], strict=False)
        if before != "timeout" and o != "timeout"
    ]
    assert len(after) > 30 and len(set(frame.env_id.tolist())) == 1
    assert min(after) >= 0.4 > min(others)  # exp(0.3) alone is below 0.4 three times in four
    short = [d for d in others if d < 0.6]  # those that would have fitted under the timeout with the INIT
    assert sum(after) / len(after) - 0.4 == pytest.approx(sum(short) / len(short), abs=0.05)
