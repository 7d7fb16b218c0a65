"""What happened: one record per request, CloudWatch-style metrics, and summary statistics.

Every request ends in exactly one outcome (:data:`OUTCOMES`). With
``keep_records=True`` each request's record is kept (as columns) and
:meth:`Recorder.requests` returns them as a pandas DataFrame, or as a
:class:`lambdalab.table.Table` with the same columns and values where pandas
is missing (in the browser). With
``keep_records=False`` only running statistics are kept, so memory does not
grow with the number of requests: counters, time-weighted environment counts
and a log-bucketed latency histogram (0.5 % relative resolution).

Metric names follow Lambda's CloudWatch metrics
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html):
``Invocations`` (not throttles), ``Errors`` (function errors and timeouts),
``Throttles``, ``Duration``, ``ConcurrentExecutions``; ``ColdStarts`` is ours
(AWS publishes no such metric; it reads them off ``Init Duration``).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from .table import Table, pandas

OUTCOMES = ("success", "error", "timeout", "init_error", "throttled", "dropped", "dry_run")
"""``error``: the handler raised (``FunctionError: Unhandled``); ``init_error``: INIT failed;
``dropped``: an asynchronous event Lambda gave up on; ``dry_run``: validated, not run."""

COLUMNS = (
    "request_id",
    "function",
    "invocation_type",
    "attempt",
    "arrival",
    "start",
    "end",
    "env_id",
    "cold",
    "init_duration",
    "duration",
    "billed_ms",
    "memory_mb",
    "outcome",
    "error_type",
    "version",
    "provisioned",
)
_BUCKETS_PER_E = 200  # histogram resolution: exp(1/200) - 1 = 0.5 %


class Recorder:
    """Collects request records and statistics for one simulation."""

    def __init__(self, keep_records: bool = True) -> None:
        self.keep_records = keep_records
        self.columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        self.outcomes: Counter[str] = Counter()
        self.requests_total = 0
        self.cold_starts = 0
        self.throttle_attempts = 0
        self.billed_gb_seconds = 0.0
        self.billed_requests = 0
        self.provisioned_gb_seconds = 0.0  # billed GB-seconds of requests that provisioned environments served
        self.latency_histogram: Counter[int] = Counter()
        self.latency_sums: dict[int, float] = {}
        self.latencies: list[float] = []
        # time-weighted environment counts
        self.envs = 0
        self.busy = 0
        self.peak_envs = 0
        self.peak_busy = 0
        self._area_envs = 0.0
        self._area_busy = 0.0
        self._last = 0.0
        self.busy_max_by_second: dict[int, int] = {}

    def env_change(self, now: float, d_envs: int, d_busy: int) -> None:
        """An environment appeared/disappeared (``d_envs``) or became busy/idle (``d_busy``)."""
        span = now - self._last
        if span:
            self._area_envs += self.envs * span
            self._area_busy += self.busy * span
            self._last = now
        self.envs += d_envs
        self.busy += d_busy
        if self.envs > self.peak_envs:
            self.peak_envs = self.envs
        if d_busy > 0:
            if self.busy > self.peak_busy:
                self.peak_busy = self.busy
            if self.keep_records:  # per-second maxima feed cloudwatch(); statistics mode stays flat
                second = int(now)
                if self.busy > self.busy_max_by_second.get(second, 0):
                    self.busy_max_by_second[second] = self.busy

    def record(
        self,
        request_id: str,
        function: str,
        invocation_type: str,
        attempt: int,
        arrival: float,
        start: float,
        end: float,
        env_id: str,
        cold: bool,
        init_duration: float,
        duration: float,
        billed_ms: int,
        memory_mb: int,
        outcome: str,
        error_type: str,
        version: str = "$LATEST",
        provisioned: bool = False,
    ) -> None:
        """The one final record of a request: ``version`` ran it, in a provisioned environment or not."""
        self.requests_total += 1
        self.outcomes[outcome] += 1
        if cold:
            self.cold_starts += 1
        if billed_ms:
            self.billed_gb_seconds += billed_ms * memory_mb / 1_024_000
            self.billed_requests += 1
            if provisioned:
                self.provisioned_gb_seconds += billed_ms * memory_mb / 1_024_000
        if outcome not in ("throttled", "dropped", "dry_run"):
            latency_ms = (end - arrival) * 1000
            if self.keep_records:
                self.latencies.append(latency_ms)
            else:
                bucket = int(math.log1p(latency_ms) * _BUCKETS_PER_E)
                self.latency_histogram[bucket] += 1
                self.latency_sums[bucket] = self.latency_sums.get(bucket, 0.0) + latency_ms
        if self.keep_records:
            c = self.columns
            for name, value in zip(
                COLUMNS,
                (
                    request_id,
                    function,
                    invocation_type,
                    attempt,
                    arrival,
                    start,
                    end,
                    env_id,
                    cold,
                    init_duration,
                    duration,
                    billed_ms,
                    memory_mb,
                    outcome,
                    error_type,
                    version,
                    provisioned,
                ),
                strict=True,
            ):
                c[name].append(value)

    def finish(self, now: float) -> None:
        """Close the time averages at ``now`` (call before reading them)."""
        self.env_change(now, 0, 0)

    def mean_envs(self, span: float) -> float:
        return self._area_envs / span if span > 0 else 0.0

    def mean_busy(self, span: float) -> float:
        return self._area_busy / span if span > 0 else 0.0

    def latency_percentile(self, q: float) -> float:
        """Latency (ms, arrival to response) at quantile ``q`` of completed requests; NaN if none."""
        if self.keep_records:
            if not self.latencies:
                return math.nan
            ordered = sorted(self.latencies)
            return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]
        total = sum(self.latency_histogram.values())
        if not total:
            return math.nan
        rank = max(1, math.ceil(q * total))
        seen = 0
        for bucket in sorted(self.latency_histogram):
            seen += self.latency_histogram[bucket]
            if seen >= rank:  # the mean of the bucket's latencies: exact when they are all equal
                return self.latency_sums[bucket] / self.latency_histogram[bucket]
        raise AssertionError("unreachable")

    def requests(self) -> Any:
        """Every request's record (needs ``keep_records=True``): a pandas DataFrame, or without pandas a
        :class:`~lambdalab.table.Table` of the same columns and values."""
        if not self.keep_records:
            raise RuntimeError("records were not kept: create the simulation with keep_records=True")
        pd = pandas()
        return Table(self.columns) if pd is None else pd.DataFrame(self.columns, columns=list(COLUMNS))

    def cloudwatch(self, period: float = 60.0) -> Any:
        """CloudWatch-style metrics per ``period`` seconds, as a DataFrame indexed by period start; without pandas
        a :class:`~lambdalab.table.Table` of the same numbers whose first column, ``period``, is its index."""
        if isinstance(period, bool) or not isinstance(period, (int, float)) or not 0 < period <= 1e9:
            raise ValueError(f"period must be a number of seconds > 0 (at most 1e9), not {period!r}")
        pd = pandas()
        if pd is None:
            return self._cloudwatch_table(period)

        frame = self.requests()
        frame = frame[frame.outcome != "dry_run"]
        bucket = (frame.arrival // period * period).rename("period")
        ran = frame.outcome.isin(["success", "error", "timeout", "init_error"])
        grouped = (
            pd.DataFrame(
                {
                    "Invocations": ran,
                    "Errors": frame.outcome.isin(["error", "timeout", "init_error"]),
                    "Throttles": frame.outcome == "throttled",
                    "ColdStarts": frame.cold,
                }
            )
            .groupby(bucket)
            .sum()
        )
        durations = (frame.duration * 1000).where(ran).groupby(bucket)
        grouped["DurationAverage"] = durations.mean()
        grouped["DurationMaximum"] = durations.max()
        concurrency = pd.Series(self.busy_max_by_second, dtype="float64")
        if len(concurrency):
            grouped["ConcurrentExecutions"] = concurrency.groupby(concurrency.index // period * period).max()
        else:
            grouped["ConcurrentExecutions"] = 0.0
        return grouped.fillna({"ConcurrentExecutions": 0.0})

    def _cloudwatch_table(self, period: float) -> Table:
        """:meth:`cloudwatch` in plain Python: the same sums, maxima and means (pandas' compensated sum)."""
        if not self.keep_records:
            raise RuntimeError("records were not kept: create the simulation with keep_records=True")
        c = self.columns
        buckets: dict[float, tuple[Counter[str], list[float]]] = {}
        for arrival, outcome, cold, duration in zip(c["arrival"], c["outcome"], c["cold"], c["duration"], strict=True):
            if outcome != "dry_run":
                outcomes, ran = buckets.setdefault(arrival // period * period, (Counter(), []))
                outcomes[outcome] += 1
                outcomes["ColdStarts"] += bool(cold)
                if outcome in _RAN:
                    ran.append(duration * 1000)
        busy: dict[float, int] = {}
        for second, n in self.busy_max_by_second.items():
            start = second // period * period
            busy[start] = max(n, busy.get(start, 0))
        starts = sorted(buckets)
        counts = [buckets[start][0] for start in starts]
        durations = [buckets[start][1] for start in starts]
        columns: dict[str, list[Any]] = {
            "period": starts,
            "Invocations": [sum(n[o] for o in _RAN) for n in counts],
            "Errors": [sum(n[o] for o in _RAN[1:]) for n in counts],
            "Throttles": [n["throttled"] for n in counts],
            "ColdStarts": [n["ColdStarts"] for n in counts],
            "DurationAverage": [_mean(d) for d in durations],
            "DurationMaximum": [max(d, default=math.nan) for d in durations],
            "ConcurrentExecutions": [float(busy.get(start, 0)) for start in starts],
        }
        return Table(columns, index="period")


_RAN = ("success", "error", "timeout", "init_error")
"""Outcomes CloudWatch counts as ``Invocations``; all but the first are ``Errors``."""


def _mean(values: list[float]) -> float:
    """The mean as pandas' groupby computes it (Kahan-compensated sum, then one division); NaN if none."""
    total = compensation = 0.0
    for value in values:
        y = value - compensation
        t = total + y
        compensation = t - total - y
        if compensation != compensation:  # an infinity: no compensation (pandas GH#50367)
            compensation = 0.0
        total = t
    return total / len(values) if values else math.nan
