"""Invoke's ``ClientContext``: data about the calling client, passed to the handler as ``context.client_context``.

The caller sends up to 3,583 bytes of base64-encoded JSON
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html); Lambda passes it to the function
for synchronous invocations only. A value that is not base64 of a JSON object is refused with
``InvalidRequestContentException: Client context must be a valid Base64-encoded JSON object.``

The Python runtime (``awslambdaric``'s ``lambda_context.py``) turns the object into a
``ClientContext`` with the attributes ``client``, ``custom`` and ``env`` (each ``None`` when
absent), ``client`` into a ``Client`` with ``installation_id``, ``app_title``,
``app_version_name``, ``app_version_code`` and ``app_package_name``; ``custom`` and ``env`` stay
dictionaries (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html).

>>> import base64, json
>>> import lambdalab as ll
>>> aws = ll.Lambda(ll.Simulation(seed=1))
>>> _ = aws.create_function("who", lambda event, context: context.client_context.custom["tenant"])
>>> data = {"custom": {"tenant": "acme"}, "client": {"app_title": "Orders"}}
>>> response = aws.invoke(FunctionName="who", ClientContext=base64.b64encode(json.dumps(data).encode()).decode())
>>> response["Payload"].read()
b'"acme"'
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import InvalidRequestContentException, constraint_error

MAX_BYTES = 3583
"""Base64 bytes of ``ClientContext`` an Invoke request may carry."""


class Client:
    """``context.client_context.client``: the calling app, as the mobile SDKs describe it."""

    __slots__ = ("app_package_name", "app_title", "app_version_code", "app_version_name", "installation_id")

    def __init__(self, data: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, data.get(name))


class ClientContext:
    """``context.client_context``: ``client`` (a :class:`Client` or ``None``), ``custom`` and ``env``."""

    __slots__ = ("client", "custom", "env")

    def __init__(self, data: dict[str, Any]) -> None:
        client = data.get("client")
        self.client = Client(client) if isinstance(client, dict) else client
        self.custom = data.get("custom")
        self.env = data.get("env")

    def __repr__(self) -> str:
        return f"ClientContext(client={self.client!r}, custom={self.custom!r}, env={self.env!r})"


def decode(value: str | bytes) -> dict[str, Any]:
    """Check an Invoke request's ``ClientContext`` as Lambda does; return the decoded JSON object."""
    raw = value.encode() if isinstance(value, str) else bytes(value)
    if len(raw) > MAX_BYTES:
        shown = raw[:40].decode(errors="replace") + "..."
        raise constraint_error(shown, "clientContext", f"Member must have length less than or equal to {MAX_BYTES}")
    try:
        data = json.loads(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError):
        data = None
    if not isinstance(data, dict):
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.")
    return data


def client_context(data: dict[str, Any] | None) -> ClientContext | None:
    """The object the handler sees (a new one for each invocation), or ``None`` without a client context."""
    return None if data is None else ClientContext(data)
