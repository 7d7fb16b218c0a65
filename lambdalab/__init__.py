"""lambdalab: learn AWS Lambda on a virtual clock.

So far: the two quota presets (the seminar's 2019 values and today's), the
Lambda API's exceptions, and the cost model of Lambda against an always-on
fleet (:mod:`lambdalab.pricing`).
"""

from .errors import (
    InvalidParameterValueException,
    LambdaError,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    TooManyRequestsException,
    ValidationException,
)
from .pricing import (
    Architecture,
    FleetBill,
    InstanceType,
    LambdaBill,
    LambdaWorkload,
    fleet_cost,
    lambda_cost,
    lambda_vcpus,
    price_sheet,
    requests_per_month,
)
from .quotas import Era, Quotas, quotas

__version__ = "0.1.0"

__all__ = [
    "Architecture",
    "Era",
    "FleetBill",
    "InstanceType",
    "InvalidParameterValueException",
    "LambdaBill",
    "LambdaError",
    "LambdaWorkload",
    "Quotas",
    "RequestEntityTooLargeException",
    "ResourceNotFoundException",
    "TooManyRequestsException",
    "ValidationException",
    "fleet_cost",
    "lambda_cost",
    "lambda_vcpus",
    "price_sheet",
    "quotas",
    "requests_per_month",
]
