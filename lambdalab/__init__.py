"""lambdalab: learn AWS Lambda on a virtual clock.

A :class:`Simulation` owns the clock; a :class:`Lambda` service on it runs
functions (real ``handler(event, context)`` code, or duration models) through
cold and warm starts, concurrency limits and throttles, and records logs,
metrics and bills. Two presets of Lambda's documented behaviour: ``era="2019"``
(the seminar's) and ``era="today"``.
"""

from . import figures, teach
from .code import Code
from .coldstart import ColdStartModel
from .config import FunctionConfig, VpcConfig
from .distributions import Dist
from .errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaError,
    ParamValidationError,
    ProvisionedConcurrencyConfigNotFoundException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
    ValidationException,
    WaiterError,
)
from .fleet import FleetBill, InstanceType, fleet_cost
from .lifecycle import EnvState, IllegalTransition
from .pricing import (
    Architecture,
    LambdaBill,
    LambdaWorkload,
    ProvisionedConcurrency,
    lambda_cost,
    lambda_vcpus,
    price_sheet,
    requests_per_month,
)
from .quotas import Era, Quotas, quotas
from .request import InvocationResult
from .runtime import compute
from .service import Lambda
from .sim import Simulation
from .traffic import at_times, poisson

__version__ = "0.1.0"

__all__ = [
    "Architecture",
    "Code",
    "ColdStartModel",
    "Dist",
    "EnvState",
    "Era",
    "FleetBill",
    "FunctionConfig",
    "IllegalTransition",
    "InstanceType",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "InvocationResult",
    "Lambda",
    "LambdaBill",
    "LambdaError",
    "LambdaWorkload",
    "ParamValidationError",
    "ProvisionedConcurrency",
    "ProvisionedConcurrencyConfigNotFoundException",
    "Quotas",
    "RequestEntityTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "Simulation",
    "TooManyRequestsException",
    "ValidationException",
    "VpcConfig",
    "WaiterError",
    "at_times",
    "compute",
    "figures",
    "fleet_cost",
    "lambda_cost",
    "lambda_vcpus",
    "poisson",
    "price_sheet",
    "quotas",
    "requests_per_month",
    "teach",
]
