"""Random durations for statistical scenarios: ``const:X``, ``exp:MEAN``,
``lognormal:MEDIAN,SIGMA`` and ``uniform:A,B``, in seconds.

A :class:`Dist` samples from the simulation's seeded RNG, so runs repeat.
Parameters are finite, at least 0 and at most :data:`MAX_SECONDS` (1e9 s,
about 32 years: "never" for an idle lifetime); a lognormal's SIGMA is at most
:data:`MAX_SIGMA` (10: its 99th percentile is then 1.3e10 times its median).
A draw above ``MAX_SECONDS`` (the far tail of a wide lognormal or exponential)
is cut to it, so no distribution can overflow the clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

FORMS = "const:X, exp:MEAN, lognormal:MEDIAN,SIGMA or uniform:A,B (seconds)"
MAX_SECONDS = 1e9
"""The largest parameter a distribution takes, in seconds (about 32 years)."""
MAX_SIGMA = 10.0
"""The largest SIGMA of a lognormal: beyond it draws overflow a float (at 10 the 99th percentile is already
1.3e10 times the median, the largest draw about 5e37 times)."""


@dataclass(frozen=True)
class Dist:
    """A distribution of non-negative durations in seconds."""

    kind: str
    a: float
    b: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("const", "exp", "lognormal", "uniform"):
            raise ValueError(f"unknown distribution {self.kind!r}: use {FORMS}")
        for value in (self.a, self.b):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"distribution parameters are numbers of seconds, not {value!r}")
            if isinstance(value, int) and value > MAX_SECONDS:  # before math.isfinite: a huge int overflows it
                raise ValueError(f"{self.kind}: parameters must be at most 1e9 s (about 32 years)")
        if not (math.isfinite(self.a) and math.isfinite(self.b)) or self.a < 0 or self.b < 0:
            raise ValueError(f"{self}: parameters must be finite and >= 0")
        if self.kind == "lognormal" and self.b > MAX_SIGMA:
            raise ValueError(
                f"{self}: SIGMA must be at most {MAX_SIGMA:g} (at 10 the 99th percentile is already 1.3e10 times "
                "the median; larger values overflow)"
            )
        if max(self.a, self.b) > MAX_SECONDS:
            raise ValueError(f"{self}: parameters must be at most 1e9 s (about 32 years)")
        if self.kind == "uniform" and self.b < self.a:
            raise ValueError(f"uniform:{self.a:g},{self.b:g}: need A <= B")
        if self.kind == "lognormal" and self.a <= 0:
            raise ValueError("lognormal: the median must be > 0")

    @classmethod
    def parse(cls, text: str | float | Dist) -> Dist:
        """Parse ``"exp:0.2"`` and friends; a bare number means ``const``."""
        if isinstance(text, Dist):
            return text
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            return cls("const", text if isinstance(text, float) or text > MAX_SECONDS else float(text))
        if not isinstance(text, str):
            raise TypeError(f"a distribution is a string ({FORMS}), a number or a Dist, not {text!r}")
        kind, _, params = text.strip().partition(":")
        try:
            values = [float(v) for v in params.split(",")] if params else []
            if not params and kind:
                return cls("const", float(kind))
        except ValueError:
            raise ValueError(f"cannot read distribution {text!r}: use {FORMS}") from None
        arity = {"const": 1, "exp": 1, "lognormal": 2, "uniform": 2}
        if kind not in arity or len(values) != arity[kind]:
            raise ValueError(f"cannot read distribution {text!r}: use {FORMS}")
        return cls(kind, *values)

    def sample(self, rng: random.Random) -> float:
        """One draw from ``rng``, cut at :data:`MAX_SECONDS`."""
        kind = self.kind
        if kind == "const":
            return self.a
        if kind == "exp":
            return min(rng.expovariate(1.0 / self.a), MAX_SECONDS) if self.a > 0 else 0.0
        if kind == "lognormal":
            return min(self.a * math.exp(self.b * rng.gauss(0.0, 1.0)), MAX_SECONDS)
        return rng.uniform(self.a, self.b)

    @property
    def may_exceed_cap(self) -> bool:
        """Whether a draw can reach :data:`MAX_SECONDS` (and be cut): the kernel skips the cut otherwise."""
        if self.kind == "exp":
            return self.a * 37.5 >= MAX_SECONDS  # expovariate's largest draw: -log(2**-53) = 36.7 means
        if self.kind == "lognormal":
            return self.a * math.exp(self.b * 8.6) >= MAX_SECONDS  # gauss's largest: sqrt(-2 log 2**-53) = 8.57
        return False

    @property
    def mean(self) -> float:
        if self.kind in ("const", "exp"):
            return self.a
        if self.kind == "lognormal":
            return self.a * math.exp(self.b**2 / 2)
        return (self.a + self.b) / 2

    def __str__(self) -> str:
        if self.kind in ("const", "exp"):
            return f"{self.kind}:{self.a:g}"
        return f"{self.kind}:{self.a:g},{self.b:g}"
