"""CloudWatch Logs as Lambda writes to it: one log group per function, one stream per environment.

Group ``/aws/lambda/<function name>``; stream ``YYYY/MM/DD/[$LATEST]<32 hex>``;
every INIT begins with ``INIT_START`` (today's era: :func:`init_start_line`); around
every invocation the platform writes ``START``, ``END`` and ``REPORT``
lines (tab-separated fields, trailing tab; ``Init Duration`` only on a cold
start), and a timeout adds ``<timestamp> <request id> Task timed out after
N.NN seconds``. Source: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
and https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LogEvent:
    """One log event: milliseconds since the Unix epoch, and the text."""

    timestamp: int
    message: str


@dataclass
class LogStream:
    name: str
    events: list[LogEvent] = field(default_factory=list)


@dataclass
class LogGroup:
    name: str
    streams: dict[str, LogStream] = field(default_factory=dict)

    def events(self) -> list[tuple[str, LogEvent]]:
        """Every event of the group as ``(stream name, event)``, in time order."""
        merged = [(s.name, e) for s in self.streams.values() for e in s.events]
        merged.sort(key=lambda item: item[1].timestamp)
        return merged

    def text(self) -> str:
        """The group's messages in time order, one per line, as a console tail shows them."""
        return "\n".join(event.message for _, event in self.events())


class CloudWatchLogs:
    """The log groups of one simulation."""

    def __init__(self) -> None:
        self.groups: dict[str, LogGroup] = {}

    def group(self, name: str) -> LogGroup:
        found = self.groups.get(name)
        if found is None:
            found = self.groups[name] = LogGroup(name)
        return found

    def put(self, group: str, stream: str, timestamp: int, message: str) -> None:
        streams = self.group(group).streams
        found = streams.get(stream)
        if found is None:
            found = streams[stream] = LogStream(stream)
        found.events.append(LogEvent(timestamp, message))


_RUNTIME = re.compile(r"([a-z]+)(.*?)(\.x)?")


def runtime_version(runtime: str) -> str:
    """A runtime version name in AWS's form, ``<language>:<version>.v<N>`` (``python:3.14.v7``,
    ``nodejs:24.v3``, ``provided:al2023.v5``). AWS numbers its releases; lambdalab derives ``N`` from the
    runtime's name, so one runtime always has the same version."""
    match = _RUNTIME.fullmatch(runtime)
    language, version = (match.group(1), match.group(2).lstrip(".")) if match else (runtime, "")
    number = int.from_bytes(hashlib.sha256(runtime.encode()).digest()[:2], "big") % 40 + 1
    return f"{language}:{version}.v{number}" if version else f"{language}.v{number}"


def init_start_line(runtime: str, region: str) -> str:
    """The line Lambda logs at the start of every INIT phase since runtime management controls (January 2023):
    ``INIT_START Runtime Version: python:3.13.v14\tRuntime Version ARN: arn:aws:lambda:<region>::runtime:<64 hex>``
    (https://docs.aws.amazon.com/lambda/latest/dg/runtime-management-identify.html; the tab as in real log
    events). It goes to CloudWatch Logs only: the console, and so ``LogType=Tail``, does not show it."""
    version = runtime_version(runtime)
    digest = hashlib.sha256(f"lambdalab runtime {version}".encode()).hexdigest()
    return f"INIT_START Runtime Version: {version}\tRuntime Version ARN: arn:aws:lambda:{region}::runtime:{digest}"


def start_line(request_id: str, version: str = "$LATEST") -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(
    request_id: str,
    duration_ms: float,
    billed_ms: int,
    memory_mb: int,
    max_memory_used_mb: int,
    init_duration_ms: float | None = None,
    status: str | None = None,
) -> str:
    """The REPORT line; ``status`` (e.g. ``timeout``) is the field recent runtimes add after a failure."""
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed_ms} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_memory_used_mb} MB",
    ]
    if init_duration_ms is not None:
        fields.append(f"Init Duration: {init_duration_ms:.2f} ms")
    if status is not None:
        fields.append(f"Status: {status}")
    return "\t".join(fields) + "\t"


def timeout_line(iso_timestamp: str, request_id: str, timeout_s: float) -> str:
    return f"{iso_timestamp} {request_id} Task timed out after {timeout_s:.2f} seconds"


def tail(lines: list[str], limit: int = 4096) -> str:
    """``LogResult`` of ``LogType=Tail``: the last ``limit`` bytes of the invocation's log, base64."""
    data = "".join(line + "\n" for line in lines).encode()
    return base64.b64encode(data[-limit:]).decode()
