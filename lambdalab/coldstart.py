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
- **ENI**: 10-15 s per cold start of a VPC function in 2019 (the seminar);
  since the Hyperplane ENIs of late 2019 the ENI is made when the function is
  configured, not at cold start
  (https://aws.amazon.com/blogs/compute/announcing-improved-vpc-networking-for-aws-lambda-functions/).
- **idle lifetime**: undocumented. Measured at 25-60 minutes in early 2019 and
  about 10 minutes since mid-2019
  (https://www.mikhail.io/serverless/coldstarts/aws/; the notes' sources).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .distributions import Dist
from .quotas import Era


@dataclass(frozen=True)
class ColdStartModel:
    """Durations, in seconds, of each cold-start step and of an idle environment's life."""

    sandbox: Dist
    code_download: Dist
    unpack: Dist
    runtime_init: Dist
    eni: Dist | None
    """Per cold start of a VPC function; ``None`` where ENIs are made at configuration time."""
    idle_lifetime: Dist

    def __post_init__(self) -> None:
        for name in ("sandbox", "code_download", "unpack", "runtime_init", "eni", "idle_lifetime"):
            value = getattr(self, name)
            if not isinstance(value, Dist) and not (name == "eni" and value is None):
                raise TypeError(
                    f"ColdStartModel.{name} must be a Dist (Dist.parse('exp:0.2') makes one), not {value!r}"
                )

    def platform_delay(self, rng: random.Random, in_vpc: bool) -> float:
        """Time before INIT starts: ENI (if any), sandbox, download, unpack."""
        delay = self.sandbox.sample(rng) + self.code_download.sample(rng) + self.unpack.sample(rng)
        if in_vpc and self.eni is not None:
            delay += self.eni.sample(rng)
        return delay


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
