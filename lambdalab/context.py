"""The context object a Python handler receives, with the AWS Python attributes.

https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
Its clock is the simulation's: ``get_remaining_time_in_millis()`` counts down
in virtual time, including time the handler spent in ``time.sleep``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class CognitoIdentity:
    """``context.identity``: the Amazon Cognito identity that authorized the request. The Python
    runtime always gives one; both attributes are ``None`` unless the caller was a Cognito identity
    (awslambdaric's ``lambda_context.py``)."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, cognito_identity_id: str | None = None, cognito_identity_pool_id: str | None = None) -> None:
        self.cognito_identity_id = cognito_identity_id
        self.cognito_identity_pool_id = cognito_identity_pool_id

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class LambdaContext:
    """``aws_request_id``, ``function_name``, ``memory_limit_in_mb`` (a string, as on AWS), ..."""

    __slots__ = (
        "_deadline",
        "_identity",
        "_now",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "invoked_function_arn",
        "log_group_name",
        "log_stream_name",
        "memory_limit_in_mb",
    )

    def __init__(
        self,
        *,
        aws_request_id: str,
        function_name: str,
        function_version: str,
        invoked_function_arn: str,
        memory_limit_in_mb: int,
        log_group_name: str,
        log_stream_name: str,
        deadline: float,
        now: Callable[[], float],
        identity: CognitoIdentity | None = None,
        client_context: Any = None,
    ) -> None:
        self.aws_request_id = aws_request_id
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = invoked_function_arn
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self._identity = identity
        self.client_context = client_context
        self._deadline = deadline
        self._now = now

    @classmethod
    def for_invocation(
        cls,
        function: tuple[str, str, str, str],
        invoked_function_arn: str,
        aws_request_id: str,
        log_stream_name: str,
        deadline: float,
        now: Callable[[], float],
        client_context: Any = None,
    ) -> LambdaContext:
        """The engine's constructor: ``function`` is (name, version, memory as text, log group), made once
        per version; ``invoked_function_arn`` is the ARN the caller used (with its alias or version, if any)."""
        self = cls.__new__(cls)
        self.function_name, self.function_version, self.memory_limit_in_mb, self.log_group_name = function
        self.invoked_function_arn = invoked_function_arn
        self.aws_request_id = aws_request_id
        self.log_stream_name = log_stream_name
        self.client_context = client_context
        self._identity = None
        self._deadline = deadline
        self._now = now
        return self

    @property
    def identity(self) -> CognitoIdentity:
        """The Cognito identity: always an object, made when first read (its ids are ``None`` unless given)."""
        if self._identity is None:
            self._identity = CognitoIdentity()
        return self._identity

    @identity.setter
    def identity(self, value: CognitoIdentity) -> None:
        self._identity = value

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out, on the virtual clock."""
        return max(0, round((self._deadline - self._now()) * 1000))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},function_name={self.function_name},"
            f"function_version={self.function_version},invoked_function_arn={self.invoked_function_arn},"
            f"memory_limit_in_mb={self.memory_limit_in_mb}])"
        )
