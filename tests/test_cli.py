"""``lambdalab simulate``: the JSON contract, determinism, errors."""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from typing import Any

import pytest

from lambdalab import cli as cli_module
from lambdalab.cli import parser, simulate, strict_json

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


def strict(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity, which are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def refused(*args: str) -> str:
    """Run ``lambdalab simulate ARGS``; it must fail as argparse does: status 2, one line on stderr."""
    out = cli("simulate", *args)
    assert out.returncode == 2, out.stdout
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(("lambdalab simulate: error: ", "lambdalab: error: ")), out.stderr
    return lines[0]


WIDE = "lognormal:1,1000"  # once: OverflowError: math range error, from inside the simulation


@pytest.mark.parametrize(
    "args",
    [
        ("--duration", WIDE),
        ("--duration", "const:0.1", "--init-duration", WIDE),
        ("--duration", "const:0.1", "--idle-timeout", WIDE),
        ("--duration", WIDE, "--invocation-type", "Event"),
    ],
)
def test_a_lognormal_that_would_overflow_is_refused(args: tuple[str, ...]) -> None:
    line = refused("--arrival-rate", "1", "--sim-seconds", "100", *args, "--json")
    assert "SIGMA must be at most 10" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--arrival-rate", "inf"), "argument --arrival-rate: must be a finite number"),
        (("--arrival-rate", "nan"), "argument --arrival-rate: must be a finite number"),
        (("--arrival-rate", "-1"), "argument --arrival-rate: must be > 0"),
        (("--arrival-rate", "ten"), "argument --arrival-rate: not a number"),
        (("--arrival-rate", "1", "--sim-seconds", "inf"), "argument --sim-seconds: must be a finite number"),
        (("--arrival-rate", "1e-9", "--sim-seconds", "1e12"), "argument --sim-seconds: must be at most 1e9"),
        (("--arrival-rate", "1", "--error-rate", "nan"), "argument --error-rate: must be a finite number"),
        (("--arrival-rate", "1", "--error-rate", "1.5"), "argument --error-rate: must be a probability"),
        (("--arrival-rate", "1", "--memory", "1e3"), "argument --memory: invalid int value"),
        (("--arrival-rate", "1", "--max-requests", "0"), "argument --max-requests: must be at least 1"),
        (("--arrival-rate", "1", "--duration-typo", "1"), "unrecognized arguments: --duration-typo 1"),
        (("--sim-seconds", "1"), "the following arguments are required: --arrival-rate"),
    ],
)
def test_numbers_that_cannot_run_are_argparse_errors(args: tuple[str, ...], message: str) -> None:
    assert message in refused(*args, "--duration", "const:0.1", "--json")


@pytest.mark.parametrize(
    ("rate", "span", "requests"),
    [("1e9", "10", "10,000,000,000"), ("10", "1e9", "10,000,000,000"), ("1000", "100000", "100,000,000")],
)
def test_a_scenario_too_big_to_finish_is_refused_with_its_size_and_time(rate: str, span: str, requests: str) -> None:
    """``--arrival-rate 1e9 --sim-seconds 10`` once ran for hours."""
    line = refused("--arrival-rate", rate, "--sim-seconds", span, "--duration", "const:0.1", "--json")
    assert f"about {requests} requests, more than --max-requests 10,000,000" in line
    assert "requests a second measured on a sample" in line and "it would take about" in line
    assert "--max-requests " + requests.replace(",", "") in line  # how to insist


def test_max_requests_lets_a_bigger_scenario_run() -> None:
    args = ("--arrival-rate", "100", "--sim-seconds", "50", "--duration", "const:0.1", "--json")
    assert "--max-requests 1,000" in refused(*args, "--max-requests", "1000")
    out = cli("simulate", *args, "--max-requests", "6000")
    assert out.returncode == 0, out.stderr
    assert 4000 < strict(out.stdout)["requests"] < 6000


@pytest.mark.parametrize("kind", ["RequestResponse", "Event"])
def test_no_requests_is_null_in_strict_json_and_n_a_in_text(kind: str) -> None:
    """Zero requests once printed NaN, which is not JSON."""
    args = ("--arrival-rate", "1", "--sim-seconds", "0.0001", "--duration", "const:1", "--invocation-type", kind)
    out = cli("simulate", *args, "--json")
    assert out.returncode == 0, out.stderr
    s = strict(out.stdout)
    assert s["requests"] == 0
    for key in ("cold_start_probability", "throttle_probability", "latency_p50_ms", "latency_p99_ms"):
        assert s[key] is None
    text = cli("simulate", *args).stdout
    assert "nan" not in text.lower() and "(n/a of served requests)" in text and "p50 n/a, p99 n/a" in text


def test_every_summary_is_strict_json() -> None:
    summary = {"a": math.nan, "b": math.inf, "c": -math.inf, "d": 1.5, "e": 3, "f": "today"}
    assert strict(strict_json(summary)) == {"a": None, "b": None, "c": None, "d": 1.5, "e": 3, "f": "today"}


def sample_args(*extra: str) -> argparse.Namespace:
    return parser().parse_args(
        ["simulate", "--arrival-rate", "20", "--duration", "exp:0.3", "--sim-seconds", "300", "--seed", "3", *extra]
    )


@pytest.mark.parametrize("extra", [(), ("--invocation-type", "Event", "--error-rate", "0.3")])
def test_long_runs_show_progress_on_stderr_and_the_same_numbers(
    extra: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = simulate(sample_args(*extra))
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(cli_module, "PROGRESS_AFTER_S", 0.0)  # as if the run were slow
    loud = simulate(sample_args(*extra), progress=True)
    err = capsys.readouterr().err
    assert "lambdalab simulate: 10%: 30/300 simulated s in 0 wall s" in err
    assert "lambdalab simulate: 100%: 300/300 simulated s" in err
    quiet.pop("wall_seconds"), loud.pop("wall_seconds")
    assert quiet == loud  # advancing in steps changes nothing


def test_short_runs_show_no_progress(capsys: pytest.CaptureFixture[str]) -> None:
    simulate(sample_args(), progress=True)
    assert capsys.readouterr().err == ""


def test_a_namespace_built_by_hand_is_checked_too() -> None:
    args = sample_args()
    args.sim_seconds = math.inf
    with pytest.raises(ValueError, match="--sim-seconds must be a finite number > 0"):
        simulate(args)
    args = sample_args()
    args.arrival_rate = math.nan
    with pytest.raises(ValueError, match="--arrival-rate must be a finite number > 0"):
        simulate(args)


def test_max_retry_attempts_needs_todays_era() -> None:
    """In 2019 an event was retried twice, fixed: PutFunctionEventInvokeConfig came on 25 November 2019."""
    out = cli(
        "simulate", "--era", "2019", "--arrival-rate", "1", "--duration", "const:1",
        "--invocation-type", "Event", "--max-retry-attempts", "0", "--json",
    )  # fmt: skip
    assert out.returncode == 2 and "needs --era today" in out.stderr
