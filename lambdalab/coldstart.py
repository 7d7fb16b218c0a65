"""How long a cold start takes, step by step, and how long an idle environment lives.

The seminar lists the steps of a cold start (S1.11.1): create the ENI (VPC
functions, 2019 model: 10-15 s), create the container, load and unpack the
package, start and initialise the runtime, then run the function. Lambda
reports only the INIT part (runtime start plus the function's module-level
code) as ``Init Duration``; the earlier steps add latency without appearing in
the log.

Defaults, per era:

- **INIT**: Python hello-world ``Init Duration`` about 85 ms (lambda-perf,
  https://maxday.github.io/lambda-perf/, Python 3.12, measured daily; the
  notes record August 2026). For 2019 we keep a median of 200 ms, the order
  of magnitude measured for Python 3.7 at the time (an estimate, not a
  published AWS value). Code run by the function's INIT adds its own
  virtual time.
- **platform steps** (sandbox, download, unpack): not published by AWS;
  modelled as 50 ms, 10 ms and 10 ms.
- **ENI**: 10-15 s to create one in 2019 (the seminar). Before Hyperplane an ENI
  served the environments of one function (same subnets and security groups) up
  to 3 GB of their memory: AWS sized them as "Projected peak concurrent
  executions * (Memory in GB / 3GB)"
  (https://github.com/awsdocs/aws-lambda-developer-guide/blob/00675ec49300cf24e449ba8399a55c0346665528/doc_source/vpc.md).
  So only a cold start that finds no ENI with room creates one (:class:`EniPool`).
  Since the Hyperplane ENIs (rolled out 27 September - 28 November 2019) the ENI
  is made when the function is configured, and a cold start pays nothing for it
  (https://aws.amazon.com/blogs/compute/announcing-improved-vpc-networking-for-aws-lambda-functions/).
- **idle lifetime**: undocumented. Measured at 25-60 minutes in early 2019 and
  about 10 minutes since mid-2019
  (https://www.mikhail.io/serverless/coldstarts/aws/; the notes' sources).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .distributions import Dist
from .quotas import Era

if TYPE_CHECKING:
    from .lifecycle import ExecutionEnvironment


@dataclass(frozen=True)
class ColdStartModel:
    """Durations, in seconds, of each cold-start step and of an idle environment's life."""

    sandbox: Dist
    code_download: Dist
    unpack: Dist
    runtime_init: Dist
    eni: Dist | None
    """Creating one ENI for a VPC function (:class:`EniPool`); ``None`` where ENIs are made at configuration time."""
    idle_lifetime: Dist

    def __post_init__(self) -> None:
        for name in ("sandbox", "code_download", "unpack", "runtime_init", "eni", "idle_lifetime"):
            value = getattr(self, name)
            if not isinstance(value, Dist) and not (name == "eni" and value is None):
                raise TypeError(
                    f"ColdStartModel.{name} must be a Dist (Dist.parse('exp:0.2') makes one), not {value!r}"
                )

    def platform_delay(self, rng: random.Random) -> float:
        """Time before INIT starts that every cold start pays: sandbox, download, unpack. A VPC function's
        wait for its ENI is not here: only the cold starts that create an ENI pay for it, and those that
        join one still being made wait for the rest (:class:`EniPool`)."""
        return self.sandbox.sample(rng) + self.code_download.sample(rng) + self.unpack.sample(rng)


COLD_START_2019 = ColdStartModel(
    sandbox=Dist("const", 0.05),
    code_download=Dist("const", 0.01),
    unpack=Dist("const", 0.01),
    runtime_init=Dist("lognormal", 0.2, 0.25),
    eni=Dist("uniform", 10.0, 15.0),
    idle_lifetime=Dist("uniform", 1500.0, 3600.0),
)

COLD_START_TODAY = ColdStartModel(
    sandbox=Dist("const", 0.05),
    code_download=Dist("const", 0.01),
    unpack=Dist("const", 0.01),
    runtime_init=Dist("lognormal", 0.085, 0.15),
    eni=None,
    idle_lifetime=Dist("const", 600.0),
)


def cold_start_model(era: Era) -> ColdStartModel:
    return COLD_START_2019 if era is Era.SEMINAR_2019 else COLD_START_TODAY


ENI_SHARE_MB = 3072
"""Memory of the environments one 2019 ENI served: "Memory in GB / 3GB" in AWS's sizing rule."""


def eni_capacity(memory_mb: int) -> int:
    """Environments one 2019 ENI served: ``floor(3072 / memory_mb)``, at least 1 (24 at 128 MB, 1 at 3,008 MB)."""
    return max(1, ENI_SHARE_MB // memory_mb)


class Eni:
    """One 2019 ENI: when it is attached, and the environments using it."""

    __slots__ = ("members", "pool", "queued", "ready_at", "released", "seq")

    def __init__(self, pool: EniPool, ready_at: float, seq: int) -> None:
        self.pool, self.ready_at, self.seq = pool, ready_at, seq
        self.members: set[ExecutionEnvironment] = set()
        self.queued = False  # in the pool's heap of ENIs with room
        self.released = False


class EniPool:
    """The 2019 ENIs of one function version for one VPC configuration and memory size.

    A new environment joins the ENI with room that is attached soonest (waiting for the rest of its
    creation if it is still being made), or creates one and waits ``eni`` for it. An ENI is released
    when its last environment shuts down: AWS deleted idle ENIs after a while it did not document;
    lambdalab keeps none. O(log n) per join or leave.
    """

    __slots__ = ("capacity", "enis", "open", "seq")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.enis: set[Eni] = set()
        self.open: list[tuple[float, int, Eni]] = []  # ENIs that had room when pushed, soonest attached first
        self.seq = 0

    def join(self, env: ExecutionEnvironment, now: float, creation: Callable[[], float]) -> tuple[Eni, float]:
        """Attach ``env`` to an ENI; return the ENI and how long ``env`` waits for it (``creation()``
        draws a new ENI's creation time)."""
        open_ = self.open
        while open_:
            eni = open_[0][2]
            if not eni.released and len(eni.members) < self.capacity:
                break
            heapq.heappop(open_)
            eni.queued = False
        else:
            self.seq += 1
            eni = Eni(self, now + creation(), self.seq)
            self.enis.add(eni)
            self._offer(eni)
        eni.members.add(env)
        if len(eni.members) >= self.capacity and open_ and open_[0][2] is eni:
            heapq.heappop(open_)
            eni.queued = False
        return eni, max(0.0, eni.ready_at - now)

    def leave(self, eni: Eni, env: ExecutionEnvironment) -> None:
        """``env`` shut down: the ENI gains room, or is released with its last environment."""
        if env not in eni.members:
            return
        eni.members.remove(env)
        if not eni.members:
            eni.released = True
            self.enis.discard(eni)
        else:
            self._offer(eni)

    def _offer(self, eni: Eni) -> None:
        if not eni.queued:
            eni.queued = True
            heapq.heappush(self.open, (eni.ready_at, eni.seq, eni))
