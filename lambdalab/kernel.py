"""A fast kernel for the command line's synchronous scenarios: one statistical function, Poisson traffic.

It computes exactly what the general engine (:mod:`lambdalab.invoke`) computes
for that case, with the same seeded random stream consumed in the same order,
so the summaries are identical (``tests/test_kernel.py`` checks it over random
scenarios). It is faster because it is one loop over plain tuples: no request
or environment objects, no method calls per request, arrivals kept out of the
heap. Handler code, logs, records, asynchronous invocation and event sources
need the general engine.

The model it mirrors: a request takes the most recently used idle environment
or, if admitted by the concurrency rules (reserved concurrency or the
unreserved pool, then the era's scaling rate), creates one: platform steps,
then INIT (cut at the era's INIT cap and repeated inside INVOKE), then the
handler. A timeout resets the environment: it waits like an idle one, and the
next request it serves runs INIT again first (a suppressed init, inside INVOKE
and under the timeout). A waiting one is reaped when its sampled lifetime has
passed, by at most one pending timer per environment.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from functools import partial

from .coldstart import ColdStartModel
from .distributions import Dist
from .metrics import _BUCKETS_PER_E, Recorder
from .pricing import price_sheet
from .quotas import BURST_BY_REGION_2019, Quotas

_INIT_START, _INIT_DONE, _DONE, _REAP = 0, 1, 2, 3
_INF = math.inf


def _draw(dist: Dist, rng: random.Random) -> Callable[[], float]:
    """A zero-argument draw from ``dist`` giving exactly what ``dist.sample(rng)`` gives."""
    a, b = dist.a, dist.b
    if dist.may_exceed_cap:  # a tail beyond MAX_SECONDS: the cut costs a call, so only where it can matter
        return partial(dist.sample, rng)
    if dist.kind == "const":
        return lambda: a
    if dist.kind == "exp":
        if a <= 0:
            return lambda: 0.0
        lam, expovariate = 1.0 / a, rng.expovariate
        return lambda: expovariate(lam)
    if dist.kind == "lognormal":
        gauss, exp = rng.gauss, math.exp
        return lambda: a * exp(b * gauss(0.0, 1.0))
    uniform = rng.uniform
    return lambda: uniform(a, b)


class StatisticalKernel:
    """Poisson synchronous traffic at ``rate`` until ``until`` against one statistical function."""

    def __init__(
        self,
        *,
        seed: int,
        quotas: Quotas,
        cold_start: ColdStartModel,
        duration: Dist,
        init_duration: Dist | None,
        error_rate: float,
        memory_mb: int,
        timeout: float,
        reserved: int | None,
        account_limit: int,
        rate: float,
        until: float,
        region: str = "us-east-1",
    ) -> None:
        self.rng = rng = random.Random(seed)
        self.q, self.model = quotas, cold_start
        self.duration, self.init = duration, init_duration or cold_start.runtime_init
        self.error_rate, self.memory, self.timeout = error_rate, memory_mb, float(timeout)
        self.limit = reserved if reserved is not None else account_limit  # the only function: its pool
        prices = price_sheet(quotas.era)
        self.unit, self.init_billed = prices.billing_granularity_ms, prices.init_billed
        self.burst = quotas.burst_concurrency if quotas.scaling_per_function else BURST_BY_REGION_2019.get(region, 500)
        self.tokens, self.refilled, self.episode = float(quotas.burst_concurrency), 0.0, _INF
        self.rate, self.until = rate, until
        self.recorder = Recorder(keep_records=False)
        self.total_busy = 0
        self.heap: list[tuple] = [(_INF, 0, _DONE, None)]  # type: ignore[type-arg]  # sentinel: never popped
        self.seq = 0
        self.idle: dict[int, list] = {}  # type: ignore[type-arg]  # LIFO: popitem() takes the most recent
        self.created = 0
        first = rng.expovariate(rate)
        self.next_arrival = first if first < until else _INF

    def run(self, until: float) -> None:
        """Process everything up to ``until`` (arrivals included), like ``Simulation.run(until)``."""
        self._loop(until, drain=False)

    def drain(self) -> None:
        """Process until no request is in flight, like the CLI's drain of the general engine."""
        self._loop(_INF, drain=True)

    def _loop(self, until: float, drain: bool) -> None:
        rng, heap, idle, rec, model, q = self.rng, self.heap, self.idle, self.recorder, self.model, self.q
        push, pop, log1p, ceil, rand = heapq.heappush, heapq.heappop, math.log1p, math.ceil, rng.random
        expovariate, rate, stop = rng.expovariate, self.rate, self.until
        draw_duration, draw_init, draw_idle = (_draw(d, rng) for d in (self.duration, self.init, model.idle_lifetime))
        draw_steps = [_draw(d, rng) for d in (model.sandbox, model.code_download, model.unpack)]
        error_rate, timeout, memory, limit = self.error_rate, self.timeout, self.memory, self.limit
        unit, init_billed, cap = self.unit, self.init_billed, q.init_cap_s
        per_function, step, period, burst = q.scaling_per_function, q.scaling_step, q.scaling_period_s, self.burst
        refill = step / period
        envs, busy, last, area_envs, area_busy = rec.envs, rec.busy, rec._last, rec._area_envs, rec._area_busy
        peak_envs, peak_busy, billed_gbs = rec.peak_envs, rec.peak_busy, rec.billed_gb_seconds
        hist = {b: [n, rec.latency_sums[b]] for b, n in rec.latency_histogram.items()}
        n_success = n_error = n_timeout = n_throttled = cold_starts = 0
        total_busy, seq, next_arrival, now = self.total_busy, self.seq, self.next_arrival, 0.0
        while not (drain and total_busy == 0):
            if next_arrival <= heap[0][0]:
                if next_arrival > until or next_arrival == _INF:
                    break
                # -- an arrival: admission, then a warm start now or a cold start ------------------------------
                now = arrival = next_arrival
                env = idle.popitem()[1] if idle else None
                throttled = total_busy >= limit
                if not throttled and env is None:  # a new environment: the era's scaling rule
                    if per_function:
                        tokens = self.tokens + (now - self.refilled) * refill
                        self.tokens = tokens = step if tokens > step else tokens
                        self.refilled = now
                        if tokens < 1:
                            throttled = True
                        else:
                            self.tokens = tokens - 1
                    elif total_busy >= burst:
                        if self.episode == _INF:
                            self.episode = now
                        throttled = total_busy >= burst + step * (now - self.episode) / period
                if throttled:
                    if env is not None:
                        idle[env[4]] = env
                    n_throttled += 1
                else:
                    total_busy += 1
                    span = now - last
                    if span:
                        area_envs += envs * span
                        area_busy += busy * span
                        last = now
                    busy += 1
                    if busy > peak_busy:
                        peak_busy = busy
                    if env is None:  # cold: platform steps, then INIT
                        envs += 1
                        if envs > peak_envs:
                            peak_envs = envs
                        self.created += 1
                        # expires_at, reap time, generation, busy, key, reset
                        env = [0.0, _INF, 0, True, self.created, False]
                        delay = draw_steps[0]() + draw_steps[1]() + draw_steps[2]()
                        seq += 1
                        push(heap, (now + delay, seq, _INIT_START, (env, arrival)))
                    else:  # warm: INVOKE now, after a suppressed init if a timeout reset it
                        env[3] = True
                        duration = 0.0
                        if env[5]:
                            env[5] = False
                            duration = draw_init()
                        duration += draw_duration()
                        if duration >= timeout:
                            end = now + timeout
                            item = (env, arrival, 0.0, timeout, 2, False)
                        else:
                            end = now + duration
                            item = (env, arrival, 0.0, duration, 1 if error_rate and rand() < error_rate else 0, False)
                        seq += 1
                        push(heap, (end, seq, _DONE, item))
                gap = expovariate(rate)
                next_arrival = now + gap if now + gap < stop else _INF
                continue
            if heap[0][0] > until:
                break
            now, _, kind, item = pop(heap)
            if kind == _DONE:
                # -- a response: bill, record; the environment waits, reset if it timed out -----------------
                env, arrival, cold_init, duration, result, cold = item
                billed_s = duration + cold_init if init_billed else duration
                billed_gbs += max(1, ceil(billed_s * 1000 / unit - 1e-9)) * unit * memory / 1_024_000
                span = now - last
                if span:
                    area_envs += envs * span
                    area_busy += busy * span
                    last = now
                busy -= 1
                env[3] = False
                idle[env[4]] = env
                env[0] = expires_at = now + draw_idle()
                if env[1] > expires_at:  # no reaping timer due by then: arm one
                    env[2] += 1
                    env[1] = expires_at
                    seq += 1
                    push(heap, (expires_at, seq, _REAP, (env, env[2])))
                if result == 2:  # timeout: the environment is reset
                    env[5] = True
                    n_timeout += 1
                elif result:
                    n_error += 1
                else:
                    n_success += 1
                total_busy -= 1
                if total_busy <= burst:
                    self.episode = _INF
                if cold:
                    cold_starts += 1
                latency = (now - arrival) * 1000
                bucket = int(log1p(latency) * _BUCKETS_PER_E)
                entry = hist.get(bucket)
                if entry is None:
                    hist[bucket] = [1, latency]
                else:
                    entry[0] += 1
                    entry[1] += latency
            elif kind == _REAP:
                env, generation = item
                if generation != env[2]:
                    continue  # superseded by an earlier reaping time
                env[1] = _INF
                if env[3] is not False:
                    continue  # busy or gone: its next idle period arms a timer
                if now < env[0]:
                    env[2] += 1
                    env[1] = env[0]
                    seq += 1
                    push(heap, (env[0], seq, _REAP, (env, env[2])))
                    continue
                del idle[env[4]]
                span = now - last
                if span:
                    area_envs += envs * span
                    area_busy += busy * span
                    last = now
                envs -= 1
                env[3] = None
            elif kind == _INIT_START:
                env, arrival = item
                init, redo = draw_init(), 0.0
                if cap is not None and init > cap:  # cut at the cap, repeated inside INVOKE
                    init, redo = cap, init
                seq += 1
                push(heap, (now + init, seq, _INIT_DONE, (env, arrival, init, redo)))
            else:  # _INIT_DONE: the first INVOKE of a new environment
                env, arrival, init, redo = item
                duration = draw_duration() + redo
                if duration >= timeout:
                    end = now + timeout
                    done = (env, arrival, init, timeout, 2, True)
                else:
                    end = now + duration
                    done = (env, arrival, init, duration, 1 if error_rate and rand() < error_rate else 0, True)
                seq += 1
                push(heap, (end, seq, _DONE, done))
        self.next_arrival, self.total_busy, self.seq = next_arrival, total_busy, seq
        rec.envs, rec.busy, rec._last, rec._area_envs, rec._area_busy = envs, busy, last, area_envs, area_busy
        rec.peak_envs, rec.peak_busy, rec.billed_gb_seconds = peak_envs, peak_busy, billed_gbs
        served = n_success + n_error + n_timeout
        rec.requests_total += served + n_throttled
        rec.throttle_attempts += n_throttled
        rec.billed_requests += served
        rec.cold_starts += cold_starts
        for name, count in (
            ("success", n_success),
            ("error", n_error),
            ("timeout", n_timeout),
            ("throttled", n_throttled),
        ):
            if count:
                rec.outcomes[name] += count
        for bucket, entry in hist.items():
            rec.latency_histogram[bucket] = int(entry[0])
            rec.latency_sums[bucket] = float(entry[1])
