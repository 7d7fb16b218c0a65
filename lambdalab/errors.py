"""The exceptions that the Lambda API raises, under AWS's own names.

Each carries the HTTP status code and error code that the Lambda API returns,
so code written against ``botocore`` error handling reads the same here.
Source: the "Errors" section of each action in the Lambda API reference, e.g.
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors
and https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#API_CreateFunction_Errors
"""

from __future__ import annotations

from typing import ClassVar


class LambdaError(Exception):
    """Base class: an error response of the Lambda service.

    ``message`` is what AWS says, word for word; ``str(error)`` is ``"<Code>: <message>"``.
    ``hint``, when set, is lambdalab's own note for a learner (for example which era allows a
    value), kept apart so that nobody mistakes it for AWS's words.
    """

    status_code: ClassVar[int] = 400

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def code(self) -> str:
        """The error code, as in ``botocore``'s ``error.response["Error"]["Code"]``."""
        return type(self).__name__

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ValidationException(LambdaError, ValueError):
    """A request parameter broke a constraint of the API model (status 400).

    The message has AWS's form: ``1 validation error detected: Value '50' at
    'memorySize' failed to satisfy constraint: Member must have value greater
    than or equal to 128``.
    """


class InvalidParameterValueException(LambdaError, ValueError):
    """A parameter is valid in form but not accepted by Lambda (status 400)."""


class RequestEntityTooLargeException(LambdaError, ValueError):
    """The request payload exceeds the invocation payload quota (status 413)."""

    status_code = 413


class ResourceNotFoundException(LambdaError, LookupError):
    """The function, version or alias does not exist (status 404)."""

    status_code = 404


class ProvisionedConcurrencyConfigNotFoundException(LambdaError, LookupError):
    """The function has no provisioned concurrency configuration (status 404;
    https://docs.aws.amazon.com/lambda/latest/api/API_DeleteProvisionedConcurrencyConfig.html#API_DeleteProvisionedConcurrencyConfig_Errors)."""

    status_code = 404


class ResourceConflictException(LambdaError):
    """The resource already exists, e.g. a function of that name (status 409)."""

    status_code = 409


class InvalidRequestContentException(LambdaError, ValueError):
    """The request body could not be parsed as JSON (status 400)."""


class TooManyRequestsException(LambdaError):
    """Throttled: a concurrency or rate quota is exhausted (status 429).

    ``reason`` is one of AWS's ``Reason`` values, e.g.
    ``ConcurrentInvocationLimitExceeded`` or
    ``ReservedFunctionConcurrentInvocationLimitExceeded``.
    """

    status_code = 429

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def constraint_error(value: object, field: str, constraint: str) -> ValidationException:
    """Build AWS's single-constraint ``ValidationException``."""
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
    )


def check_whole_range(value: object, field: str, name: str, low: int, high: int, hint_high: str | None = None) -> None:
    """A whole-number parameter within ``[low, high]``, with AWS's constraint messages.

    ``hint_high`` becomes the ``hint`` of the error for a value above ``high``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterValueException(f"{name} must be a whole number, not {value!r}.")
    if value < low:
        raise constraint_error(value, field, f"Member must have value greater than or equal to {low}")
    if value > high:
        error = constraint_error(value, field, f"Member must have value less than or equal to {high}")
        error.hint = hint_high
        raise error
