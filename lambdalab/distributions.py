"""Random durations for statistical scenarios: ``const:X``, ``exp:MEAN``,
``lognormal:MEDIAN,SIGMA`` and ``uniform:A,B``, in seconds.

A :class:`Dist` samples from the simulation's seeded RNG, so runs repeat.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

FORMS = "const:X, exp:MEAN, lognormal:MEDIAN,SIGMA or uniform:A,B (seconds)"


@dataclass(frozen=True)
class Dist:
    """A distribution of non-negative durations in seconds."""

    kind: str
    a: float
    b: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("const", "exp", "lognormal", "uniform"):
            raise ValueError(f"unknown distribution {self.kind!r}: use {FORMS}")
        if not (math.isfinite(self.a) and math.isfinite(self.b)) or self.a < 0 or self.b < 0:
            raise ValueError(f"{self}: parameters must be finite and >= 0")
        if self.kind == "uniform" and self.b < self.a:
            raise ValueError(f"uniform:{self.a:g},{self.b:g}: need A <= B")
        if self.kind == "lognormal" and self.a <= 0:
            raise ValueError("lognormal: the median must be > 0")

    @classmethod
    def parse(cls, text: str | float | Dist) -> Dist:
        """Parse ``"exp:0.2"`` and friends; a bare number means ``const``."""
        if isinstance(text, Dist):
            return text
        if isinstance(text, (int, float)):
            return cls("const", float(text))
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
        kind = self.kind
        if kind == "const":
            return self.a
        if kind == "exp":
            return rng.expovariate(1.0 / self.a) if self.a > 0 else 0.0
        if kind == "lognormal":
            return self.a * math.exp(self.b * rng.gauss(0.0, 1.0))
        return rng.uniform(self.a, self.b)

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
