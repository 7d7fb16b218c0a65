"""The simulation: one virtual clock, one queue of timed actions, one seeded random source.

Everything in lambdalab takes a :class:`Simulation` and schedules its work on
it; nothing reads the wall clock or a global. The queue is a binary heap of
``(time, priority, seq, timer)``: ties at the same instant go by priority, then
by the order they were scheduled, so two runs with the same seed are
identical. Scheduling and cancelling are O(log n); cancelled timers are
dropped lazily and the heap is compacted when they outnumber the live ones.
"""

from __future__ import annotations

import heapq
import itertools
import math
import numbers
import operator
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

URGENT = 0
"""Priority of clean-up that must happen before anything else at the same instant."""
NORMAL = 1
"""Default priority."""
LATE = 2
"""Priority of actions that should see everything else at the same instant first."""

DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""Virtual time 0 unless the simulation is given an epoch (today's era)."""
SEMINAR_EPOCH = datetime(2019, 11, 20, tzinfo=timezone.utc)
"""Virtual time 0 of an era-2019 :class:`lambdalab.Lambda` whose simulation was given no epoch: a day of the 2019
preset (after the November 2019 runtimes, before destinations and provisioned concurrency), so that its log
timestamps, stream names, X-Ray trace ids and event times read 2019."""
_INF = math.inf


def _seconds(value: object, what: str) -> float:
    """``value`` as a finite float of seconds, or a ValueError/TypeError that says what is allowed."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number of seconds, not {value!r}")
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float
        seconds = _INF
    if not math.isfinite(seconds):
        raise ValueError(f"{what} must be a finite number of seconds, not {value!r}")
    return seconds


class Timer:
    """A scheduled action; :meth:`cancel` stops it from running."""

    __slots__ = ("action", "cancelled", "time")

    def __init__(self, time: float, action: Callable[[], object]) -> None:
        self.time = time
        self.action = action
        self.cancelled = False

    def __lt__(self, other: Timer) -> bool:  # never reached: seq breaks all ties
        return False


class Simulation:
    """The virtual clock (seconds since ``epoch``), its timer queue and a seeded RNG.

    >>> sim = Simulation(seed=1)
    >>> _ = sim.schedule(2.5, lambda: print("at", sim.now))
    >>> sim.run()
    at 2.5
    """

    def __init__(self, seed: int = 0, *, epoch: datetime | None = None) -> None:
        if isinstance(seed, bool):
            raise TypeError(f"seed must be a whole number, not {seed!r}")
        try:
            seed = operator.index(seed)
        except TypeError:
            raise TypeError(f"seed must be a whole number, not {seed!r}") from None
        if epoch is not None and not isinstance(epoch, datetime):
            raise TypeError(f"epoch must be a datetime, not {epoch!r}")
        self.now = 0.0
        self.seed = seed
        self.rng = random.Random(seed)
        self.epoch_given = epoch is not None
        """True once the epoch is fixed: given here, or settled by the first Lambda (:meth:`settle_epoch`)."""
        self._set_epoch(DEFAULT_EPOCH if epoch is None else epoch)
        self._heap: list[tuple[float, int, int, Timer]] = []
        self._seq = itertools.count()
        self._cancelled = 0
        self.steps = 0

    def _set_epoch(self, epoch: datetime) -> None:
        self.epoch = epoch if epoch.tzinfo else epoch.replace(tzinfo=timezone.utc)
        self.horizon = float(math.floor((datetime.max.replace(tzinfo=timezone.utc) - self.epoch).total_seconds()) - 1)
        """The last virtual time the calendar can show (the end of the year 9999): timers and ``run`` stop there."""

    def settle_epoch(self, default: datetime) -> None:
        """Fix the epoch: ``default`` unless one was given or already settled (the first Lambda on a simulation
        settles it: an era-2019 one to :data:`SEMINAR_EPOCH`). An explicit epoch always wins.

        >>> Simulation().epoch.year, Simulation(epoch=datetime(2030, 1, 1)).epoch.year
        (2026, 2030)
        >>> sim = Simulation()
        >>> sim.settle_epoch(SEMINAR_EPOCH); sim.settle_epoch(DEFAULT_EPOCH); sim.iso()
        '2019-11-20T00:00:00.000Z'
        """
        if not self.epoch_given:
            self._set_epoch(default)
            self.epoch_given = True

    def schedule(self, delay: float, action: Callable[[], object], priority: int = NORMAL) -> Timer:
        """Run ``action`` ``delay`` seconds from now (a finite number >= 0)."""
        if type(delay) is not float or not 0 <= delay < _INF:  # the slow path: check, say what is wrong
            delay = _seconds(delay, "delay")
            if delay < 0:
                raise ValueError(f"cannot schedule into the past (delay={delay})")
        return self.at(self.now + delay, action, priority)

    def at(self, time: float, action: Callable[[], object], priority: int = NORMAL) -> Timer:
        """Run ``action`` at virtual time ``time`` (finite, not before now)."""
        if type(time) is not float or not self.now <= time <= self.horizon:  # the slow path: say what is wrong
            time = self.check_time(time, "time")
            if time < self.now:
                raise ValueError(f"cannot schedule at {time}: the clock is already at {self.now}")
        timer = Timer(time, action)
        heapq.heappush(self._heap, (time, priority, next(self._seq), timer))
        return timer

    def check_time(self, value: object, what: str) -> float:
        """A finite time within the calendar (see :attr:`horizon`), else a ValueError/TypeError that says so."""
        seconds = _seconds(value, what)
        if seconds > self.horizon:
            raise ValueError(
                f"{what} {seconds:.6g} s is past the end of the clock's calendar: the year 9999 is "
                f"{self.horizon:.6g} s after the epoch {self.epoch:%Y-%m-%d}"
            )
        return seconds

    def cancel(self, timer: Timer | None) -> None:
        """Cancel ``timer`` if it is still pending (cancelling twice is harmless)."""
        if timer is None or timer.cancelled:
            return
        timer.cancelled = True
        self._cancelled += 1
        if self._cancelled > 1024 and self._cancelled * 2 > len(self._heap):
            self._heap[:] = [item for item in self._heap if not item[3].cancelled]  # in place: run() holds it
            heapq.heapify(self._heap)
            self._cancelled = 0

    def peek(self) -> float:
        """Time of the next pending action (``inf`` if none)."""
        heap = self._heap
        while heap and heap[0][3].cancelled:
            heapq.heappop(heap)
            self._cancelled -= 1
        return heap[0][0] if heap else float("inf")

    def step(self) -> bool:
        """Run the next pending action; return False when there is none."""
        heap = self._heap
        while heap:
            time, _, _, timer = heapq.heappop(heap)
            if timer.cancelled:
                self._cancelled -= 1
                continue
            timer.cancelled = True  # done: a later cancel() is a no-op
            self.now = time
            self.steps += 1
            timer.action()
            return True
        return False

    def run(self, until: float | None = None) -> None:
        """Run actions in time order; stop at ``until`` (the clock then reads ``until``)."""
        if until is None:
            while self.step():
                pass
            return
        until = self.check_time(until, "until")
        if until < self.now:
            raise ValueError(f"cannot run until {until}: the clock is already at {self.now}")
        heap = self._heap
        while True:
            while heap and heap[0][3].cancelled:
                heapq.heappop(heap)
                self._cancelled -= 1
            if not heap or heap[0][0] > until:
                break
            self.step()
        self.now = until

    def run_until(self, done: Callable[[], bool], limit: float = float("inf")) -> None:
        """Run until ``done()`` is true, the queue is empty or the clock passes ``limit``."""
        if limit != _INF:
            _seconds(limit, "limit")
        while not done() and self.peek() <= limit and self.step():  # step() is False once the queue is empty
            pass

    @property
    def pending(self) -> int:
        """Number of actions still scheduled."""
        return len(self._heap) - self._cancelled

    def datetime(self, time: float | None = None) -> datetime:
        """The wall-clock date of virtual ``time`` (default: now), in UTC."""
        return self.epoch + timedelta(seconds=self.now if time is None else time)

    def iso(self, time: float | None = None) -> str:
        """``2019-11-01T00:00:03.005Z``: the timestamp form of Lambda's log lines."""
        return self.datetime(time).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def epoch_ms(self, time: float | None = None) -> int:
        """Milliseconds since the Unix epoch, as CloudWatch Logs timestamps."""
        return round(self.datetime(time).timestamp() * 1000)
