"""The exceptions that the Lambda API raises, under AWS's own names.

Each carries the HTTP status code and error code that the Lambda API returns,
so code written against ``botocore`` error handling reads the same here.
Source: the "Errors" section of each action in the Lambda API reference, e.g.
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors
and https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#API_CreateFunction_Errors
"""

from __future__ import annotations

from typing import Any, ClassVar


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


class ParamValidationError(ValueError, TypeError):
    """botocore's client-side ``ParamValidationError``: the SDK checks a request against the API model before
    sending it, so the service never sees it (no status code, no request id).

    ``str(error)`` is botocore's text, ``Parameter validation failed:`` then one line per problem
    (``report``), in botocore's forms: ``Invalid type for parameter Payload, value: {'a': 1}, type: <class
    'dict'>, valid types: <class 'bytes'>, <class 'bytearray'>, file-like object`` or ``Unknown parameter in
    input: "EphemeralStorage", must be one of: FunctionName, ...`` (``botocore/exceptions.py`` and
    ``botocore/validate.py``, https://github.com/boto/botocore). ``hint``, when set, is lambdalab's note for a
    learner: Python 3.11+ prints it under the message in a traceback (an exception note), apart from
    botocore's words. A ``ValueError`` and a ``TypeError``, so existing ``except`` clauses still catch it.
    """

    def __init__(self, report: str, hint: str | None = None) -> None:
        self.report = report
        self.message = f"Parameter validation failed:\n{report}"
        super().__init__(self.message)
        self.hint = hint
        if hint:
            self.__notes__ = [f"lambdalab: {hint}"]  # what add_note() does, also on Python 3.10 (shown from 3.11)

    def __str__(self) -> str:
        return self.message


class WaiterError(Exception):
    """botocore's ``WaiterError``: a waiter (:mod:`lambdalab.waiters`) met a failure state, an error it does not
    expect, or its last attempt. ``str(error)`` is botocore's ``Waiter <name> failed: <reason>``;
    ``last_response`` the last answer it read (``botocore/exceptions.py``, https://github.com/boto/botocore)."""

    def __init__(self, name: str, reason: str, last_response: dict[str, Any]) -> None:
        super().__init__(f"Waiter {name} failed: {reason}")
        self.name, self.reason, self.last_response = name, reason, last_response


def invalid_type(name: str, value: object, valid_types: str) -> str:
    """botocore's report line for a parameter of the wrong type (``ValidationErrors._format_error``)."""
    return f"Invalid type for parameter {name}, value: {value}, type: {type(value)}, valid types: {valid_types}"


def unknown_parameter(name: str, valid_names: list[str] | tuple[str, ...]) -> str:
    """botocore's report line for a parameter the API model does not have."""
    return f'Unknown parameter in input: "{name}", must be one of: {", ".join(valid_names)}'


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
