"""What a workload costs on Lambda (an always-on fleet for comparison: :mod:`lambdalab.fleet`).

Lambda bills requests and compute (GB-seconds: memory in GB times billed
duration), after a monthly free tier. Two price sheets, us-east-1:

- **2019** (the seminar): $0.20 per million requests, $0.00001667 per GB-second,
  duration rounded *up to 100 ms*, x86_64 only, the INIT phase of managed
  runtimes not billed.
- **today**: the same request price; duration rounded up to *1 ms* (since
  1 Dec 2020); arm64 (Graviton2, since Sep 2021) about 20 % cheaper per
  GB-second; volume tiers per month; ephemeral storage above 512 MB billed
  per GB-second; the INIT phase billed for every configuration since
  1 Aug 2025.

Both sheets keep the free tier of 1 million requests and 400,000 GB-seconds a
month, shared by the architectures.

**Provisioned concurrency** (launched in December 2019, so in the 2019 sheet at
its launch prices though the 2019 emulator refuses it) bills the concurrency
configured, per GB-second, for the time it is configured, rounded up to five
minutes; requests served by provisioned environments pay a lower duration price
(and the usual request price); requests above it run on demand. The free tier
does not apply to a function with provisioned concurrency. us-east-1: 2019
(x86_64) $0.000004167 per GB-s configured and $0.000009722 per GB-s of duration;
today x86_64 $0.0000041667 and $0.0000097222, arm64 $0.0000033334 and
$0.0000077778 (:func:`lambda_cost` with ``provisioned=``).

Sources:
- https://aws.amazon.com/lambda/pricing/ (prices, tiers, free tier, storage, provisioned concurrency)
- https://aws.amazon.com/blogs/aws/new-provisioned-concurrency-for-lambda-functions/ (December 2019)
- https://aws.amazon.com/blogs/aws/new-for-aws-lambda-1ms-billing-granularity-adds-cost-savings/
- https://aws.amazon.com/blogs/aws/aws-lambda-functions-powered-by-aws-graviton2-processor-run-your-functions-on-arm-and-get-up-to-34-better-price-performance/
- https://aws.amazon.com/blogs/compute/introducing-tiered-pricing-for-aws-lambda/ (tiers, August 2022)
- https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/

A month is 730 hours, as in AWS's pricing pages and calculator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from .quotas import Era, quotas

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
MB_PER_GB = 1024


class Architecture(str, Enum):
    """The instruction set architecture of a function (``Architectures`` in the API)."""

    X86_64 = "x86_64"
    ARM64 = "arm64"


@dataclass(frozen=True)
class PriceTier:
    """A GB-second price that applies up to ``up_to_gb_seconds`` a month (``None``: no bound)."""

    up_to_gb_seconds: float | None
    usd_per_gb_second: float


@dataclass(frozen=True)
class ProvisionedPrices:
    """Provisioned concurrency's prices for one architecture."""

    usd_per_gb_second: float
    """Per GB-second of concurrency configured, used or not."""
    usd_per_gb_second_duration: float
    """Per GB-second of duration of the requests that provisioned environments serve."""


PROVISIONED_BILLING_S = 300
"""Provisioned concurrency's configured time is rounded up to five minutes."""


@dataclass(frozen=True)
class PriceSheet:
    """Lambda's on-demand prices in one era (us-east-1)."""

    era: Era
    usd_per_request: float
    compute_tiers: dict[Architecture, tuple[PriceTier, ...]] = field(hash=False)
    billing_granularity_ms: int
    free_requests: int
    free_gb_seconds: float
    init_billed: bool
    usd_per_storage_gb_second: float
    """Ephemeral storage configured above the 512 MB included; 0 where not configurable."""
    provisioned: dict[Architecture, ProvisionedPrices] = field(default_factory=dict, hash=False)


PRICES_2019 = PriceSheet(
    era=Era.SEMINAR_2019,
    usd_per_request=0.20 / 1e6,
    compute_tiers={Architecture.X86_64: (PriceTier(None, 0.00001667),)},
    billing_granularity_ms=100,
    free_requests=1_000_000,
    free_gb_seconds=400_000,
    init_billed=False,
    usd_per_storage_gb_second=0.0,
    provisioned={Architecture.X86_64: ProvisionedPrices(0.000004167, 0.000009722)},
)

PRICES_TODAY = PriceSheet(
    era=Era.TODAY,
    usd_per_request=0.20 / 1e6,
    compute_tiers={
        Architecture.X86_64: (
            PriceTier(6e9, 0.0000166667),
            PriceTier(15e9, 0.0000150000),
            PriceTier(None, 0.0000133334),
        ),
        Architecture.ARM64: (
            PriceTier(7.5e9, 0.0000133334),
            PriceTier(18.75e9, 0.0000120001),
            PriceTier(None, 0.0000106667),
        ),
    },
    billing_granularity_ms=1,
    free_requests=1_000_000,
    free_gb_seconds=400_000,
    init_billed=True,
    usd_per_storage_gb_second=0.0000000309,
    provisioned={
        Architecture.X86_64: ProvisionedPrices(0.0000041667, 0.0000097222),
        Architecture.ARM64: ProvisionedPrices(0.0000033334, 0.0000077778),
    },
)


def price_sheet(era: Era | str) -> PriceSheet:
    """The price sheet of ``era`` (``"2019"`` or ``"today"``)."""
    return PRICES_2019 if quotas(era).era is Era.SEMINAR_2019 else PRICES_TODAY


def billed_duration_ms(duration_ms: float, granularity_ms: int) -> int:
    """Round a duration up to the billing unit, as the ``Billed Duration`` of a REPORT line.

    At least one unit is billed: a 0.4 ms invocation bills 1 ms today, 100 ms in 2019.
    """
    _check_non_negative("duration_ms", duration_ms)
    return max(1, math.ceil(duration_ms / granularity_ms - 1e-9)) * granularity_ms


def compute_cost(gb_seconds: float, architecture: Architecture | str, prices: PriceSheet) -> float:
    """USD for ``gb_seconds`` of compute in a month, through the sheet's volume tiers."""
    _check_non_negative("gb_seconds", gb_seconds)
    arch = _architecture(architecture, prices)
    cost, lower = 0.0, 0.0
    for tier in prices.compute_tiers[arch]:
        upper = math.inf if tier.up_to_gb_seconds is None else tier.up_to_gb_seconds
        cost += max(0.0, min(gb_seconds, upper) - lower) * tier.usd_per_gb_second
        lower = upper
    return cost


@dataclass(frozen=True)
class LambdaWorkload:
    """A month of invocations of one function, each of the same duration.

    ``cold_starts`` of the requests also run an INIT phase of
    ``init_duration_ms``, billed only where the price sheet bills INIT.
    """

    requests: float
    duration_ms: float
    memory_mb: int = 128
    architecture: Architecture = Architecture.X86_64
    ephemeral_storage_mb: int = 512
    cold_starts: float = 0
    init_duration_ms: float = 0.0

    def __post_init__(self) -> None:
        for name in ("requests", "duration_ms", "cold_starts", "init_duration_ms"):
            _check_non_negative(name, getattr(self, name))
        if self.cold_starts > self.requests:
            raise ValueError(
                f"cold_starts ({self.cold_starts:g}) cannot exceed requests ({self.requests:g}): "
                "each cold start serves one request."
            )


@dataclass(frozen=True)
class ProvisionedConcurrency:
    """Provisioned concurrency configured on the workload's function.

    ``environments`` are kept initialised for ``hours`` of the month (billed in five-minute steps).
    ``requests_served`` is how many of the workload's requests they serve; by default as many as they
    can hold busy back to back (all of them when the traffic fits), the rest running on demand.
    """

    environments: int
    hours: float = HOURS_PER_MONTH
    requests_served: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.environments, bool) or not isinstance(self.environments, int) or self.environments < 1:
            raise ValueError(f"environments must be a whole number >= 1, not {self.environments!r}")
        _check_non_negative("hours", self.hours)
        if self.hours > HOURS_PER_MONTH:
            raise ValueError(f"hours must be at most a month ({HOURS_PER_MONTH}), got {self.hours:g}")
        if self.requests_served is not None:
            _check_non_negative("requests_served", self.requests_served)


@dataclass(frozen=True)
class LambdaBill:
    """The monthly Lambda bill of a workload, in USD, itemised.

    ``compute_cost`` is every request's duration (provisioned environments' at their price);
    ``provisioned_cost`` the concurrency configured, used or not.
    """

    requests: float
    billed_duration_ms: int
    gb_seconds: float
    request_cost: float
    compute_cost: float
    storage_cost: float
    free_tier_credit: float
    provisioned_cost: float = 0.0
    provisioned_gb_seconds: float = 0.0
    """GB-seconds of provisioned concurrency configured."""
    requests_provisioned: float = 0.0
    """Requests served by provisioned environments."""

    @property
    def total(self) -> float:
        return self.request_cost + self.compute_cost + self.provisioned_cost + self.storage_cost - self.free_tier_credit


def lambda_cost(
    workload: LambdaWorkload,
    era: Era | str = Era.TODAY,
    *,
    free_tier: bool = True,
    provisioned: ProvisionedConcurrency | None = None,
) -> LambdaBill:
    """Bill ``workload`` at the era's prices, checking its memory and storage against the era's quotas.

    With ``provisioned``, the function has provisioned concurrency: its configured GB-seconds are billed,
    the requests it serves pay its duration price, and the free tier does not apply.

    >>> bill = lambda_cost(LambdaWorkload(1.2e6, 1000, 1024), provisioned=ProvisionedConcurrency(1000, hours=2))
    >>> round(bill.provisioned_cost, 2), round(bill.compute_cost, 2), round(bill.total, 2)
    (30.0, 11.67, 41.91)
    """
    prices = price_sheet(era)
    limits = quotas(era)
    limits.check_memory(workload.memory_mb)
    arch = _architecture(workload.architecture, prices)
    storage = workload.ephemeral_storage_mb
    if not limits.ephemeral_storage_min_mb <= storage <= limits.ephemeral_storage_max_mb:
        raise ValueError(
            f"ephemeral_storage_mb {storage} is outside {limits.ephemeral_storage_min_mb}-"
            f"{limits.ephemeral_storage_max_mb} MB for era {limits.era.value}."
        )

    unit = prices.billing_granularity_ms
    billed = billed_duration_ms(workload.duration_ms, unit)
    billed_seconds = workload.requests * billed / 1000
    if prices.init_billed and workload.cold_starts:
        # A cold invocation bills INIT plus handler time, rounded up together.
        cold = billed_duration_ms(workload.init_duration_ms + workload.duration_ms, unit)
        billed_seconds += workload.cold_starts * (cold - billed) / 1000
    gb = workload.memory_mb / MB_PER_GB
    gb_seconds = billed_seconds * gb

    request_cost = workload.requests * prices.usd_per_request
    extra_storage_gb = (storage - 512) / MB_PER_GB
    storage_cost = billed_seconds * extra_storage_gb * prices.usd_per_storage_gb_second
    if provisioned is not None:
        return _with_provisioned(workload, provisioned, prices, arch, billed, gb_seconds, request_cost, storage_cost)
    compute = compute_cost(gb_seconds, arch, prices)
    credit = 0.0
    if free_tier:
        credit += min(workload.requests, prices.free_requests) * prices.usd_per_request
        credit += compute - compute_cost(max(0.0, gb_seconds - prices.free_gb_seconds), arch, prices)
    return LambdaBill(workload.requests, billed, gb_seconds, request_cost, compute, storage_cost, credit)


def _with_provisioned(
    workload: LambdaWorkload,
    provisioned: ProvisionedConcurrency,
    prices: PriceSheet,
    arch: Architecture,
    billed_ms: int,
    gb_seconds: float,
    request_cost: float,
    storage_cost: float,
) -> LambdaBill:
    """The bill with provisioned concurrency: no free tier; served requests at the provisioned duration price
    (a cold start's INIT is billed on the on-demand requests only)."""
    rates = prices.provisioned[arch]
    gb = workload.memory_mb / MB_PER_GB
    configured_s = math.ceil(provisioned.hours * 3600 / PROVISIONED_BILLING_S - 1e-9) * PROVISIONED_BILLING_S
    capacity = provisioned.environments * configured_s * 1000 / billed_ms  # requests held back to back
    served = provisioned.requests_served
    if served is None:
        served = min(workload.requests, capacity)
    elif served > workload.requests or served > capacity * (1 + 1e-9):
        raise ValueError(
            f"requests_served ({served:g}) exceeds the workload's requests ({workload.requests:g}) or what "
            f"{provisioned.environments} environments can serve in {provisioned.hours:g} hours ({capacity:g})."
        )
    served_gb_seconds = served * billed_ms / 1000 * gb
    on_demand = compute_cost(max(0.0, gb_seconds - served_gb_seconds), arch, prices)
    compute = on_demand + served_gb_seconds * rates.usd_per_gb_second_duration
    pc_gb_seconds = provisioned.environments * gb * configured_s
    return LambdaBill(
        workload.requests,
        billed_ms,
        gb_seconds,
        request_cost,
        compute,
        storage_cost,
        0.0,
        pc_gb_seconds * rates.usd_per_gb_second,
        pc_gb_seconds,
        served,
    )


def usage_cost(
    requests: float,
    gb_seconds: float,
    architecture: Architecture | str = Architecture.X86_64,
    era: Era | str = Era.TODAY,
    *,
    free_tier: bool = False,
) -> float:
    """USD for measured usage: ``requests`` and billed ``gb_seconds`` (e.g. from a simulation)."""
    _check_non_negative("requests", requests)
    prices = price_sheet(era)
    if free_tier:
        requests = max(0.0, requests - prices.free_requests)
        gb_seconds = max(0.0, gb_seconds - prices.free_gb_seconds)
    return requests * prices.usd_per_request + compute_cost(gb_seconds, architecture, prices)


def lambda_vcpus(memory_mb: float, era: Era | str = Era.TODAY) -> float:
    """The vCPUs Lambda allots to ``memory_mb``: in proportion, 1,769 MB being one vCPU today and
    1,792 MB in 2019 (:attr:`lambdalab.quotas.Quotas.mb_per_vcpu`).

    https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
    """
    _check_non_negative("memory_mb", memory_mb)
    return memory_mb / quotas(era).mb_per_vcpu


def requests_per_month(per_second: float) -> float:
    """A steady rate in requests per second, as requests in a 730-hour month."""
    _check_non_negative("per_second", per_second)
    return per_second * SECONDS_PER_MONTH


def _architecture(architecture: Architecture | str, prices: PriceSheet) -> Architecture:
    try:
        arch = Architecture(architecture)
    except ValueError:
        raise ValueError(f"Unknown architecture {architecture!r}: use 'x86_64' or 'arm64'.") from None
    if arch not in prices.compute_tiers:
        raise ValueError(
            f"{arch.value} is not available in era {prices.era.value}: Lambda on arm64 (Graviton2) "
            "launched in September 2021; use era 'today'."
        )
    return arch


_LARGEST = 1e300  # an int above it is too large for the arithmetic of a bill (and for a float, above 1.8e308)


def _check_non_negative(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if value < 0 or not (value <= _LARGEST if isinstance(value, int) else math.isfinite(value)):  # no int overflow
        if isinstance(value, int) and not -_LARGEST <= value <= _LARGEST:
            shown = f"an integer of {round(value.bit_length() * math.log10(2))} digits"
        else:
            shown = f"{value:.6g}"
        raise ValueError(f"{name} must be a finite number >= 0, got {shown}")
