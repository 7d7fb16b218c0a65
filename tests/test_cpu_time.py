"""CPU-time mode (lambdalab.cputime.CpuClock): the CPU handler code uses moves the virtual clock,
at the function's share of a vCPU.

Lambda allots CPU in proportion to memory, 1,769 MB being one vCPU
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html); an on-demand INIT runs on
a full vCPU, a provisioned one at the memory's share
(https://serverlessland.com/content/service/lambda/guides/effectively-running-java-on-serverless/init-heavy-lifting).

The mode measures the host's CPU, so no test depends on exact values: handlers burn a known amount
of process CPU (``time.process_time()``, which the sandbox leaves alone), which gives each duration
a firm lower bound, and the upper bounds are generous.
"""

from __future__ import annotations

import math
import signal
import time
from typing import Any

import pytest

import lambdalab as ll
from lambdalab.cputime import CpuClock
from lambdalab.virtualtime import Clock, Deadline
from support import SPIN, STUBBORN, call, create_from_source, messages, source_service

SHARE_128 = 1769 / 128  # virtual seconds per CPU second at 128 MB: 13.8

BURN = """\
import time


def burn(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
"""


def cpu_service(**kwargs: Any) -> ll.Lambda:
    """A Lambda whose engine runs code on CpuClock (what ``Lambda(cpu_time=True)`` sets)."""
    aws = source_service(**kwargs)
    aws.engine.clock_class = CpuClock
    return aws


def burner(aws: ll.Lambda, seconds: float, name: str = "f", **settings: Any) -> None:
    """A function whose handler burns ``seconds`` of CPU and returns ``"done"``."""
    source = BURN + f"\n\ndef handler(event, context):\n    burn({seconds})\n    return 'done'\n"
    create_from_source(aws, source, name, **settings)


# -- durations -------------------------------------------------------------------------------------------


def test_cpu_work_takes_longer_with_less_memory() -> None:
    """configuration-memory.html: CPU in proportion to memory, one vCPU at 1,769 MB; one thread goes
    no faster above it."""
    aws = cpu_service()
    for memory in (128, 1769, 3008):
        burner(aws, 0.05, f"m{memory}", memory_size=memory, timeout=10)
    small, full, large = (call(aws, f"m{memory}") for memory in (128, 1769, 3008))
    assert small.outcome == full.outcome == large.outcome == "success"
    assert 0.05 * SHARE_128 <= small.duration < 2 * 0.05 * SHARE_128  # about 0.69 s
    assert 0.05 <= full.duration < 0.1
    assert 0.05 <= large.duration < 0.1
    assert SHARE_128 / 2 < small.duration / full.duration < SHARE_128 * 2
    assert small.billed_duration_ms >= 691


def test_the_default_clock_counts_no_cpu() -> None:
    """Deterministic by default: CPU work takes no virtual time, whatever the memory."""
    aws = source_service()
    burner(aws, 0.02)
    result = call(aws)
    assert result.outcome == "success"
    assert result.duration == 0.0
    assert not Clock.measures_cpu and Clock(0, 1, 0, 1, "").cpu_left() == math.inf


def test_sleep_and_compute_still_move_the_clock() -> None:
    """``lambdalab.compute`` keeps its own rule (cpu_seconds / min(threads, vcpus)); its own CPU and a
    sleep's are next to nothing."""
    aws = cpu_service()
    source = """\
import time

import lambdalab


def handler(event, context):
    time.sleep(0.5)
    lambdalab.compute(1.0)
    return "done"
"""
    create_from_source(aws, source, "full", memory_size=1769)
    create_from_source(aws, source, "small", memory_size=128, timeout=30)
    full, small = call(aws, "full"), call(aws, "small")
    assert 1.5 <= full.duration < 1.6
    assert 0.5 + SHARE_128 <= small.duration < 0.5 + SHARE_128 + 0.5


def test_cpu_in_threads_the_handler_starts_is_counted() -> None:
    """Every thread of the function shares its CPU: their total CPU is counted."""
    aws = cpu_service()
    source = """\
import threading
import time


def burn():
    start = time.thread_time()
    while time.thread_time() - start < 0.03:
        pass


def handler(event, context):
    worker = threading.Thread(target=burn)
    worker.start()
    worker.join()
    return "done"
"""
    create_from_source(aws, source, memory_size=1769)
    result = call(aws)
    assert result.json() == "done"
    assert 0.03 <= result.duration < 0.5


# -- reading the clock -----------------------------------------------------------------------------------

READS = (
    BURN
    + """
import datetime


def read(context):
    return [
        time.time(),
        time.monotonic(),
        time.perf_counter(),
        time.time_ns() / 1e9,
        datetime.datetime.now().timestamp(),
        context.get_remaining_time_in_millis() / -1000,
    ]


def handler(event, context):
    before = read(context)
    burn(0.02)
    after = read(context)
    return [b - a for a, b in zip(before, after)]
"""
)


@pytest.mark.parametrize("memory", [128, 1769])
def test_every_clock_the_code_reads_moves_with_its_cpu(memory: int) -> None:
    """time.time/monotonic/perf_counter, datetime.now() and context.get_remaining_time_in_millis()."""
    aws = cpu_service()
    create_from_source(aws, READS, memory_size=memory, timeout=10)
    rate = SHARE_128 if memory == 128 else 1.0
    moved = call(aws).json()
    for seconds in moved:
        assert 0.02 * rate - 0.002 <= seconds < 0.02 * rate * 2 + 0.01  # datetime and the context: to the ms


def test_log_lines_are_stamped_with_the_cpu_used_so_far() -> None:
    aws = cpu_service()
    source = BURN + "\n\ndef handler(event, context):\n    print('before')\n    burn(0.02)\n    print('after')\n"
    create_from_source(aws, source, memory_size=128)
    call(aws)
    stamps = {event.message: event.timestamp for _, event in aws.log_group("f").events()}
    assert 0.02 * SHARE_128 * 1000 - 2 <= stamps["after"] - stamps["before"] < 0.02 * SHARE_128 * 2000


# -- the timeout -----------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers on this platform")
@pytest.mark.parametrize("source", [SPIN, STUBBORN], ids=["spins", "catches-and-spins"])
def test_a_cpu_loop_times_out_at_the_function_timeout(source: str) -> None:
    """A loop that never reads the clock is stopped by the real-time guard when its CPU has taken
    virtual time to the timeout (1 s at 128 MB: about 72 ms of CPU), not at the real-time limit."""
    aws = cpu_service()  # the real-time limit stays at its 60 s
    create_from_source(aws, source, memory_size=128, timeout=1)
    started = time.perf_counter()
    result = call(aws)
    assert time.perf_counter() - started < 20  # about 0.1 s; CPU time lags real time on a busy machine
    assert result.outcome == "timeout"
    assert result.duration == 1.0
    assert result.json() == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds",
    }
    lines = messages(aws)
    assert not any(line.startswith("lambdalab: stopped") for line in lines)
    assert any("Task timed out after 1.00 seconds" in line for line in lines)
    burner(aws, 0.001, "next")
    assert call(aws, "next").json() == "done"  # the guard does not fire later


def test_cpu_past_the_deadline_is_a_timeout_even_if_the_handler_returns() -> None:
    """Without the guard nothing stops the loop, but the CPU it used is counted when it returns."""
    aws = cpu_service(real_time_limit_s=None)
    burner(aws, 0.1, memory_size=128, timeout=1)  # 1.38 s of virtual time
    result = call(aws)
    assert result.outcome == "timeout"
    assert result.duration == 1.0


@pytest.mark.parametrize("read", ["time.time()", "time.sleep(0)", "context.get_remaining_time_in_millis()"])
def test_the_code_stops_at_its_first_clock_read_past_the_deadline(read: str) -> None:
    aws = cpu_service(real_time_limit_s=None)
    handler = f"""
def handler(event, context):
    burn(0.1)
    print("before")
    try:
        {read}
    except Exception:
        print("caught")
    print("after")
"""
    create_from_source(aws, BURN + "\n" + handler, memory_size=128, timeout=1)
    result = call(aws)
    assert result.outcome == "timeout"
    lines = messages(aws)
    assert "before" in lines  # writing a line is not reading the clock
    assert "after" not in lines and "caught" not in lines


# -- INIT ------------------------------------------------------------------------------------------------


def test_an_on_demand_init_runs_on_a_full_vcpu() -> None:
    """Serverless Land (AWS): "On-demand Lambda functions use a full vCPU (non-throttled) [...] during
    its initialization phase"."""
    aws = cpu_service()
    source = BURN + "\nburn(0.05)\n\n\ndef handler(event, context):\n    return 'done'\n"
    create_from_source(aws, source, memory_size=128)
    result = call(aws)
    assert result.cold and result.json() == "done"
    assert 0.25 + 0.05 <= result.init_duration < 0.25 + 0.2  # 0.25 s of cold start, then the code's CPU


def burn_host(seconds: float) -> None:
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass


def measured(clock: CpuClock, seconds: float) -> float:
    """The clock's virtual time for ``seconds`` of CPU between begin_run and end_run."""
    clock.begin_run()
    burn_host(seconds)
    clock.end_run()
    return clock.elapsed


def test_a_provisioned_init_runs_at_the_memory_share() -> None:
    """Serverless Land: "For provisioned concurrency, there is no cpu burst"; its INIT serves no request."""
    vcpus = 128 / 1769
    provisioned = measured(CpuClock(0.0, math.inf, 0.0, vcpus, ""), 0.01)
    on_demand = measured(CpuClock(0.0, math.inf, 0.0, vcpus, "a-request-id"), 0.01)
    handler = measured(CpuClock(0.0, 100.0, 0.0, vcpus, "a-request-id"), 0.01)
    assert 0.01 * SHARE_128 <= provisioned < 0.02 * SHARE_128
    assert 0.01 <= on_demand < 0.02
    assert 0.01 * SHARE_128 <= handler < 0.02 * SHARE_128


# -- the clock itself ------------------------------------------------------------------------------------


def test_the_clock_counts_only_while_the_code_runs() -> None:
    clock = CpuClock(10.0, 10.05, 0.0, 1.0, "id")
    burn_host(0.01)
    assert clock.elapsed == 0.0 and clock.now() == 10.0  # not running yet
    clock.begin_run()
    burn_host(0.01)
    assert clock.elapsed >= 0.01
    assert clock.cpu_left() <= 0.04
    burn_host(0.05)
    with pytest.raises(Deadline):
        clock.now()
    clock.log("a line is written after the deadline all the same")
    clock.end_run()
    assert clock.expired and clock.elapsed == pytest.approx(0.05)
    burn_host(0.01)
    assert clock.elapsed == pytest.approx(0.05) and clock.cpu_left() == 0.0  # final: no raise after the run
    [(stamp, text)] = clock.lines
    assert stamp == pytest.approx(10.05) and text == "a line is written after the deadline all the same"


def test_a_host_speed_scales_the_cpu() -> None:
    fast = CpuClock.with_host_speed(2.0)
    assert issubclass(fast, CpuClock) and fast.host_speed == 2.0 and CpuClock.host_speed == 1.0
    assert 0.02 <= measured(fast(0.0, 100.0, 0.0, 1.0, "id"), 0.01) < 0.04
    aws = cpu_service()
    aws.engine.clock_class = fast
    burner(aws, 0.01, memory_size=1769)
    assert 0.02 <= call(aws).duration < 0.1


@pytest.mark.parametrize("speed", [0, -1.0, math.nan, math.inf, True, "2"])
def test_a_host_speed_is_a_positive_finite_number(speed: Any) -> None:
    with pytest.raises(ValueError, match="host_speed"):
        CpuClock.with_host_speed(speed)


def test_the_service_switch() -> None:
    """``Lambda(cpu_time=True)`` turns CPU mode on; a number is the host's speed; anything else is refused."""
    assert ll.Lambda(ll.Simulation()).engine.clock_class is Clock
    assert ll.Lambda(ll.Simulation(), cpu_time=True).engine.clock_class is CpuClock
    faster = ll.Lambda(ll.Simulation(), cpu_time=2.0).engine.clock_class
    assert issubclass(faster, CpuClock) and faster is not CpuClock
    for bad, error in (("yes", TypeError), (-1.0, ValueError), (float("nan"), ValueError)):
        with pytest.raises(error):
            ll.Lambda(ll.Simulation(), cpu_time=bad)  # type: ignore[arg-type]
