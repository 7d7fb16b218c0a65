"""``lambdalab simulate``: the JSON contract, determinism, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

KEYS = {
    "requests",
    "cold_starts",
    "cold_start_probability",
    "throttles",
    "throttle_probability",
    "errors",
    "mean_environments",
    "mean_busy_environments",
    "mean_idle_environments",
    "peak_environments",
    "latency_p50_ms",
    "latency_p99_ms",
    "billed_gb_seconds",
    "cost_usd",
    "wall_seconds",
}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lambdalab", *args], capture_output=True, text=True)


def test_json_has_the_documented_fields_and_repeats_with_the_seed() -> None:
    args = (
        "simulate",
        "--arrival-rate",
        "5",
        "--duration",
        "lognormal:0.1,0.5",
        "--sim-seconds",
        "600",
        "--seed",
        "4",
        "--json",
    )
    first, second = cli(*args), cli(*args)
    assert first.returncode == 0, first.stderr
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert set(a) >= KEYS
    a.pop("wall_seconds"), b.pop("wall_seconds")
    assert a == b
    assert 2500 < a["requests"] < 3500
    assert a["cold_starts"] >= 1 and a["throttles"] == 0 and a["errors"] == 0
    assert a["latency_p50_ms"] < a["latency_p99_ms"]
    assert a["cost_usd"] > 0 and a["billed_gb_seconds"] > 0


def test_era_2019_bills_in_100_ms_units() -> None:
    def billed(era: str) -> float:
        out = cli(
            "simulate",
            "--arrival-rate",
            "5",
            "--duration",
            "const:0.01",
            "--sim-seconds",
            "200",
            "--era",
            era,
            "--json",
        )
        return float(json.loads(out.stdout)["billed_gb_seconds"])

    assert billed("2019") > 5 * billed("today")


def test_concurrency_limit_throttles() -> None:
    out = json.loads(
        cli(
            "simulate",
            "--arrival-rate",
            "50",
            "--duration",
            "const:1",
            "--concurrency-limit",
            "10",
            "--sim-seconds",
            "100",
            "--json",
        ).stdout
    )
    assert out["throttles"] > 0 and out["peak_environments"] <= 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--arrival-rate", "1", "--duration", "gamma:1"), "const:X"),
        (("--arrival-rate", "0", "--duration", "const:1"), "must be > 0"),
        (("--arrival-rate", "1", "--duration", "const:1", "--memory", "100"), "memorySize"),
        (("--arrival-rate", "1", "--duration", "const:1", "--memory", "200", "--era", "2019"), "64 MB steps"),
    ],
)
def test_bad_input_is_a_clear_error(args: tuple[str, ...], message: str) -> None:
    out = cli("simulate", *args, "--json")
    assert out.returncode == 2
    assert message in out.stderr


def test_text_summary() -> None:
    out = cli("simulate", "--arrival-rate", "2", "--duration", "const:0.1", "--sim-seconds", "100")
    assert out.returncode == 0
    assert "cold starts" in out.stdout and "latency" in out.stdout


def test_async_with_retries_and_a_dead_letter_queue() -> None:
    out = cli(
        "simulate",
        "--arrival-rate",
        "20",
        "--duration",
        "const:0.05",
        "--error-rate",
        "0.5",
        "--invocation-type",
        "Event",
        "--max-retry-attempts",
        "1",
        "--dead-letter-queue",
        "--sim-seconds",
        "600",
        "--seed",
        "2",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert {"succeeded", "retries", "dead_lettered", "dropped"} <= set(s)
    assert s["succeeded"] + s["dead_lettered"] + s["dropped"] == s["requests"]
    assert s["dropped"] == 0 and abs(s["dead_lettered"] / s["requests"] - 0.25) < 0.03  # 0.5 ** 2
    assert s["retries"] > 0


def test_sync_errors_are_not_retried() -> None:
    s = json.loads(
        cli(
            "simulate",
            "--arrival-rate",
            "10",
            "--duration",
            "const:0.05",
            "--error-rate",
            "0.2",
            "--sim-seconds",
            "300",
            "--json",
        ).stdout
    )
    assert s["retries"] == 0 and s["dead_lettered"] == 0
    assert s["succeeded"] + s["errors"] == s["requests"]


def test_retry_options_need_event_invocations() -> None:
    out = cli("simulate", "--arrival-rate", "1", "--duration", "const:1", "--max-retry-attempts", "1", "--json")
    assert out.returncode == 2 and "--invocation-type Event" in out.stderr
