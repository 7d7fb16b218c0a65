"""What an always-on server fleet sized for the peak costs: the alternative Lambda is compared with.

Source: https://aws.amazon.com/ec2/pricing/on-demand/ (m5.large, Linux, us-east-1). A month is
730 hours, as in AWS's pricing pages and calculator (:data:`lambdalab.pricing.HOURS_PER_MONTH`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .pricing import HOURS_PER_MONTH, SECONDS_PER_MONTH, _check_non_negative


@dataclass(frozen=True)
class InstanceType:
    """An always-on virtual machine: its on-demand price and its size."""

    name: str
    vcpus: int
    memory_gib: float
    usd_per_hour: float


M5_LARGE = InstanceType("m5.large", vcpus=2, memory_gib=8, usd_per_hour=0.096)
"""General purpose, Linux on-demand in us-east-1: $0.096 an hour in 2019 and today."""


@dataclass(frozen=True)
class FleetBill:
    """The monthly cost of a fleet of identical instances sized for the peak."""

    instance: InstanceType
    instances: int
    peak_requests_per_second: float
    peak_concurrency: float
    total: float


def fleet_cost(
    requests: float,
    duration_ms: float,
    *,
    peak_to_average: float = 3.0,
    instance: InstanceType = M5_LARGE,
    vcpu_per_request: float = 1.0,
    target_utilisation: float = 0.7,
    min_instances: int = 2,
) -> FleetBill:
    """Size an always-on fleet for the peak of ``requests`` a month and price it.

    The peak rate is the average rate times ``peak_to_average``; by Little's law
    the peak holds ``rate x duration`` requests in flight, each keeping
    ``vcpu_per_request`` of a vCPU busy (:func:`lambdalab.pricing.lambda_vcpus` gives the share
    Lambda allots to a memory size, for a like-for-like comparison). Instances
    run at most ``target_utilisation`` busy; at least ``min_instances`` run for
    redundancy (two Availability Zones), whether or not any request arrives.
    """
    for name, value in (
        ("requests", requests),
        ("duration_ms", duration_ms),
        ("peak_to_average", peak_to_average),
        ("target_utilisation", target_utilisation),
        ("vcpu_per_request", vcpu_per_request),
    ):
        _check_non_negative(name, value)
    if not isinstance(instance, InstanceType):
        raise TypeError(f"instance is an InstanceType (e.g. lambdalab.fleet.M5_LARGE), not {instance!r}")
    if isinstance(min_instances, bool) or not isinstance(min_instances, int):
        raise TypeError(f"min_instances must be a whole number, not {min_instances!r}")
    if peak_to_average < 1:
        raise ValueError(f"peak_to_average must be >= 1 (the peak is never below the average), got {peak_to_average}")
    if not 0 < target_utilisation <= 1:
        raise ValueError(f"target_utilisation must be in (0, 1], got {target_utilisation}")
    if not vcpu_per_request > 0 or min_instances < 1:
        raise ValueError(
            f"vcpu_per_request must be > 0 (got {vcpu_per_request}) and min_instances >= 1 (got {min_instances})"
        )
    peak_rate = requests / SECONDS_PER_MONTH * peak_to_average
    peak_concurrency = peak_rate * duration_ms / 1000
    per_instance = instance.vcpus / vcpu_per_request * target_utilisation
    needed = peak_concurrency / per_instance
    if not needed < 1e15:  # a float's integers stop being exact near 9e15: no such fleet
        raise ValueError(
            f"the peak ({peak_concurrency:.3g} requests in flight) needs "
            f"{f'{needed:.3g}' if needed < math.inf else 'uncountably many'} instances: "
            "lower requests, duration_ms or peak_to_average, or raise target_utilisation"
        )
    count = max(min_instances, math.ceil(needed - 1e-9))
    return FleetBill(instance, count, peak_rate, peak_concurrency, count * instance.usd_per_hour * HOURS_PER_MONTH)
