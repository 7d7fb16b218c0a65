"""The Lambda service of one simulated account and Region, with boto3's method names.

>>> from lambdalab import Lambda, Simulation
>>> aws = Lambda(Simulation(seed=1))
>>> _ = aws.create_function("hello", lambda event, context: {"hi": event["name"]})
>>> response = aws.invoke(FunctionName="hello", Payload=b'{"name": "Ada"}')
>>> response["StatusCode"], response["Payload"].read()
(200, b'{"hi": "Ada"}')

``invoke`` runs the simulation until the request is answered (a synchronous
call waits in virtual time); :meth:`Lambda.submit` sends a request without
waiting, for traffic. API reference: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable
from typing import IO, Any, TypeVar

from .accounting import Ledger
from .asynchronous import AsyncInvoker, EventInvokeConfig
from .client_context import client_context, decode
from .code import Code
from .coldstart import ColdStartModel, cold_start_model
from .concurrency import ConcurrencyManager
from .config import DEFAULT_ACCOUNT, FunctionConfig, placed, validate, with_defaults
from .cputime import CpuClock
from .deployment import Deployment
from .destinations import EventBus, SNSTopic, Target
from .distributions import Dist
from .errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    ParamValidationError,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
    invalid_type,
)
from .function import DurationModel, Function
from .invoke import DRY_RUN, EVENT, REAL_TIME_LIMIT_S, REQUEST_RESPONSE, Engine, InvocationResult
from .lifecycle import EnvironmentLog
from .logs import CloudWatchLogs
from .mappings import parameters as mapping_parameters
from .metrics import Recorder
from .pricing import PROVISIONED_BILLING_S, Architecture, price_sheet, usage_cost
from .provisioning import Provisioning
from .quotas import Era, quotas
from .runtime import _current
from .sdk import missing_method
from .sim import DEFAULT_EPOCH, SEMINAR_EPOCH, Simulation
from .sqs import SQSEventSourceMapping, SQSQueue
from .streams import Stream, StreamEventSourceMapping
from .table import Table, pandas
from .versions import FUNCTION_NAME
from .waiters import WAITERS, Waiter, get_waiter


class StreamingBody:
    """The ``Payload`` of an invoke response: ``read()`` returns the bytes, as botocore's does."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._read = False

    def read(self) -> bytes:
        data, self._data = self._data, b""
        return data

    def __repr__(self) -> str:
        return f"<StreamingBody {len(self._data)} bytes>"


class Lambda(Deployment, Provisioning):
    """Functions, their environments, logs and metrics on one simulation's clock."""

    def __init__(
        self,
        sim: Simulation | None = None,
        *,
        era: Era | str = Era.TODAY,
        account_concurrency: int | None = None,
        region: str = "us-east-1",
        account_id: str = DEFAULT_ACCOUNT,
        keep_records: bool = True,
        logs: bool = True,
        cold_start: ColdStartModel | None = None,
        real_time_limit_s: float | None = REAL_TIME_LIMIT_S,
        cpu_time: bool | float = False,
    ) -> None:
        """``real_time_limit_s``: real seconds that handler or INIT code may run without finishing before
        it is stopped and reported as timed out (a busy loop never advances the virtual clock;
        :class:`lambdalab.guard.RealTimeGuard`); ``None`` turns the guard off.

        ``cpu_time``: if true, the CPU that INIT and handler code use moves the virtual clock too
        (:class:`lambdalab.cputime.CpuClock`): ``c`` seconds of the host's CPU take
        ``c / min(1, memory / 1769)`` virtual seconds (an on-demand INIT runs on a full vCPU), for power
        tuning with real code; measured, so durations vary from run to run and machine to machine. A number
        is the host's speed relative to a Lambda vCPU (``2.0``: the host is twice as fast). False (the
        default) keeps runs deterministic: only sleeps and :func:`lambdalab.compute` move the clock."""
        if sim is not None and not isinstance(sim, Simulation):
            raise TypeError(f"sim is a Simulation (lambdalab.Simulation(seed=...)), not {sim!r}")
        if real_time_limit_s is not None and not real_time_limit_s > 0:
            raise ValueError(f"real_time_limit_s must be > 0 seconds (or None), not {real_time_limit_s!r}")
        self.sim = sim if sim is not None else Simulation()
        self.quotas = quotas(era)
        self.era = self.quotas.era
        self.sim.settle_epoch(SEMINAR_EPOCH if self.era is Era.SEMINAR_2019 else DEFAULT_EPOCH)  # a given one wins
        if not (isinstance(account_id, str) and len(account_id) == 12 and account_id.isdigit()):
            raise ValueError(f"account_id is an AWS account's 12 digits, not {account_id!r}")
        if not (isinstance(region, str) and _REGION.fullmatch(region)):
            raise ValueError(f"region is an AWS Region's code, such as 'us-east-1' or 'eu-west-2', not {region!r}")
        if cold_start is not None and not isinstance(cold_start, ColdStartModel):
            raise TypeError(f"cold_start is a ColdStartModel, not {cold_start!r}")
        self.region, self.account_id = region, account_id  # every ARN names both
        self.cold_start = cold_start or cold_start_model(self.era)
        self.concurrency = ConcurrencyManager(self.quotas, account_concurrency, region)
        self.recorder = Recorder(keep_records)
        self.logs = CloudWatchLogs() if logs else None
        self.engine = Engine(self.sim, self.quotas, self.concurrency, self.recorder, self.logs, region)
        self.engine.environment_log = EnvironmentLog(self.sim) if keep_records else None
        self.engine.real_time_limit_s = real_time_limit_s
        if cpu_time is not False:
            if cpu_time is True:
                self.engine.clock_class = CpuClock
            elif isinstance(cpu_time, (int, float)) and not isinstance(cpu_time, bool):
                self.engine.clock_class = CpuClock.with_host_speed(cpu_time)
            else:
                raise TypeError(f"cpu_time is True, False or the host's speed relative to a vCPU, not {cpu_time!r}")
        self.functions: dict[str, Function] = {}  # by name: each function's $LATEST, which holds its versions
        self.routing = random.Random(self.sim.seed ^ 0xA11A5)  # weighted aliases, apart from the other draws
        self.provisioned: dict[tuple[str, str], int] = {}  # (function, version or alias) -> environments
        self.provisioned_spans: list[tuple[float, float | None, int, int, Architecture]] = []
        """Provisioned concurrency configured: (from, to or None while it lasts, environments, MB, architecture)."""
        self.ledger = Ledger(keep_records)
        self.asynchronous = AsyncInvoker(self.engine, self.ledger)
        self.engine.asynchronous = self.asynchronous
        self.targets: dict[str, SQSQueue | Stream | SNSTopic | EventBus] = {}
        self.mappings: list[SQSEventSourceMapping | StreamEventSourceMapping] = []

    # -- functions -------------------------------------------------------------------------------------
    def create_function(
        self,
        config: FunctionConfig | str,
        code: Code | Callable[[Any, Any], Any] | None = None,
        *,
        duration: Dist | str | float | None = None,
        init_duration: Dist | str | float | None = None,
        error_rate: float = 0.0,
        memory_used_mb: int = 40,
        cold_start: ColdStartModel | None = None,
        **settings: Any,
    ) -> Function:
        """Create a function from a :class:`FunctionConfig` (or a name plus its fields as keywords).

        Give either ``code`` (a :class:`Code`, or a ``handler(event, context)``
        function) or ``duration`` (a distribution, for statistical scenarios).
        ``memory_used_mb`` is what the REPORT line shows as ``Max Memory Used``.
        """
        if not isinstance(config, FunctionConfig):  # a name: validate() says what a name may be
            config = FunctionConfig(function_name=config, **settings)
        elif settings:
            raise TypeError("give the settings in the FunctionConfig, or a name with keyword settings, not both")
        config = placed(with_defaults(config, self.quotas), self.region, self.account_id)
        validate(config, self.quotas)
        if isinstance(memory_used_mb, bool) or not isinstance(memory_used_mb, int):
            raise TypeError(f"memory_used_mb is a whole number of MB, not {memory_used_mb!r}")
        if not 1 <= memory_used_mb <= config.memory_size:
            raise ValueError(f"memory_used_mb must be between 1 and the memory size ({config.memory_size} MB)")
        if cold_start is not None and not isinstance(cold_start, ColdStartModel):
            raise TypeError(f"cold_start is a ColdStartModel, not {cold_start!r}")
        if config.function_name in self.functions:
            raise ResourceConflictException(f"Function already exist: {config.function_name}")
        if code is not None and not isinstance(code, Code):
            code = Code.from_callable(code)
        model = None
        if duration is not None:
            model = DurationModel(
                Dist.parse(duration), None if init_duration is None else Dist.parse(init_duration), error_rate
            )
        elif init_duration is not None or error_rate:
            raise TypeError("init_duration and error_rate describe statistical functions: give duration too")
        fn = Function(
            config, code, model, cold_start or self.cold_start, memory_used_mb, mb_per_vcpu=self.quotas.mb_per_vcpu
        )
        self.concurrency.add(fn.name, config.reserved_concurrency, 0, self.sim.now)
        self.functions[fn.name] = fn
        return fn

    # -- asynchronous invocation -----------------------------------------------------------------------
    def put_function_event_invoke_config(
        self,
        FunctionName: str,
        MaximumRetryAttempts: int = 2,
        MaximumEventAgeInSeconds: int = 21600,
        DestinationConfig: dict[str, dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Retries (0-2), maximum event age (60 s - 6 h) and destinations of Event invocations. lambdalab
        keeps one such configuration per function, for all its versions and aliases.

        The operation came on 25 November 2019 (botocore 1.13.27, with Lambda Destinations): the 2019
        preset's SDK (botocore 1.13.20) has no such method, so in era 2019 the call fails as a missing
        client method does, with ``AttributeError``, before any request."""
        if self.era is Era.SEMINAR_2019:
            raise missing_method(
                "put_function_event_invoke_config",
                "PutFunctionEventInvokeConfig came on 25 November 2019, with destinations; in the 2019 preset "
                "Lambda retries an event twice and only a dead-letter queue can be set "
                "(update_function_configuration(DeadLetterConfig=...)).",
            )
        fn = self.function(FunctionName)
        destinations = DestinationConfig or {}
        if not isinstance(destinations, dict) or any(
            key not in ("OnSuccess", "OnFailure") or not isinstance(value, dict) or "Destination" not in value
            for key, value in destinations.items()
        ):
            raise InvalidParameterValueException(
                "DestinationConfig is {'OnSuccess': {'Destination': ARN}, 'OnFailure': {'Destination': ARN}} "
                f"(either or both), not {DestinationConfig!r}."
            )
        config = EventInvokeConfig(
            MaximumRetryAttempts,
            MaximumEventAgeInSeconds,
            self.target(destinations["OnSuccess"]["Destination"]) if "OnSuccess" in destinations else None,
            self.target(destinations["OnFailure"]["Destination"]) if "OnFailure" in destinations else None,
        )
        config.check()
        self.asynchronous.configs[fn.name] = config
        return {
            "FunctionArn": fn.config.arn,
            "MaximumRetryAttempts": MaximumRetryAttempts,
            "MaximumEventAgeInSeconds": MaximumEventAgeInSeconds,
            "DestinationConfig": destinations,
        }

    # -- queues, streams, topics and event source mappings ----------------------------------------------
    def create_queue(self, name: str, **settings: Any) -> SQSQueue:
        """An SQS queue (``visibility_timeout``, ``retention_period``, ``dead_letter_queue``, ``max_receive_count``)."""
        return self._register(SQSQueue(self, name, **settings))

    def create_stream(self, name: str, shard_count: int = 1, *, kind: str = "kinesis") -> Stream:
        """A Kinesis data stream, or (``kind="dynamodb"``) a DynamoDB table's stream."""
        return self._register(Stream(self, name, shard_count, kind=kind))

    def create_topic(self, name: str) -> SNSTopic:
        return self._register(SNSTopic(name, self.region, self.account_id))

    def create_event_bus(self, name: str = "default") -> EventBus:
        return self._register(EventBus(name, self.region, self.account_id))

    def _register(self, target: _T) -> _T:
        if target.arn in self.targets:
            raise ResourceConflictException(f"{target.arn} already exists")
        self.targets[target.arn] = target
        return target

    def target(self, arn: str) -> Target:
        """The queue, topic, bus or function with this ARN."""
        found = self.targets.get(arn)
        if found is not None and not isinstance(found, Stream):
            return found
        if found is None and isinstance(arn, str) and FUNCTION_NAME.fullmatch(arn):
            try:
                return _FunctionTarget(self, arn, self.function_arn(arn))
            except (ResourceNotFoundException, InvalidParameterValueException):
                pass
        raise ResourceNotFoundException(f"The resource you requested does not exist: {arn}")

    def create_event_source_mapping(self, EventSourceArn: str, FunctionName: str, **settings: Any) -> Any:
        """Poll an SQS queue, a Kinesis stream or a DynamoDB stream for the function (API parameter names:
        ``BatchSize``, ``MaximumBatchingWindowInSeconds``, ``FunctionResponseTypes``, ``Enabled``; for SQS
        ``ScalingConfig`` (today); for streams ``StartingPosition`` (required, as on AWS),
        ``StartingPositionTimestamp``, ``ParallelizationFactor``, ``MaximumRetryAttempts``,
        ``MaximumRecordAgeInSeconds``, ``BisectBatchOnFunctionError``, ``DestinationConfig``), checked as
        :mod:`lambdalab.mappings` says: a parameter the era's SDK did not know is botocore's client-side
        :class:`~lambdalab.errors.ParamValidationError`. Returns the mapping; ``mapping["UUID"]`` and
        ``mapping["State"]`` read as boto3's response does."""
        source = self.targets.get(EventSourceArn)
        mapping: SQSEventSourceMapping | StreamEventSourceMapping
        if isinstance(source, SQSQueue):
            kwargs = mapping_parameters("sqs", settings, self.era, self.target)
            mapping = SQSEventSourceMapping(self, source, FunctionName, **kwargs)
        elif isinstance(source, Stream):
            kwargs = mapping_parameters(source.kind, settings, self.era, self.target)
            mapping = StreamEventSourceMapping(self, source, FunctionName, **kwargs)
        else:
            raise InvalidParameterValueException(
                f"{EventSourceArn} is not a poll-based source: map an SQS queue, a Kinesis stream or a DynamoDB "
                "stream. Push sources (S3, SNS, API Gateway, EventBridge) invoke the function themselves."
            )
        self.mappings.append(mapping)
        return mapping

    def update_event_source_mapping(self, UUID: str, Enabled: bool) -> Any:
        """``UpdateEventSourceMapping`` with ``Enabled``: a disabled mapping starts no batch; enabled again, it
        polls at once (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html)."""
        for mapping in self.mappings:
            if mapping.uuid == UUID:
                mapping.set_enabled(Enabled)
                return mapping
        raise ResourceNotFoundException(f"The resource you requested does not exist. (UUID {UUID})")

    def events(self) -> Any:
        """Where every event went (:mod:`lambdalab.accounting`), as a DataFrame (a :class:`~lambdalab.table.Table`
        without pandas)."""
        return self.ledger.frame()

    # -- invoking --------------------------------------------------------------------------------------
    def submit(
        self,
        FunctionName: str,
        Payload: bytes | str | Any = b"{}",
        InvocationType: str = REQUEST_RESPONSE,
        LogType: str = "None",
        callback: Callable[[InvocationResult], object] | None = None,
        ClientContext: str | None = None,
        Qualifier: str | None = None,
    ) -> str:
        """Send a request now without waiting; ``callback`` receives its result. Returns the request id.
        lambdalab's own call, not boto3's: ``Payload`` may also be a Python object, sent as JSON.
        ``ClientContext`` (base64 JSON) reaches synchronous requests' handlers (:mod:`lambdalab.client_context`);
        ``Qualifier`` (or ``FunctionName`` ending ``:<version or alias>``) picks the version."""
        fn = self.functions.get(FunctionName) if Qualifier is None else None  # the plain name: no parsing
        if fn is None:
            fn, arn = self.route(FunctionName, Qualifier)
        else:
            arn = fn.config.arn
        raw, event = self.parse_payload(Payload, InvocationType, LogType)
        data = None if ClientContext is None else decode(ClientContext)
        context = client_context(data) if InvocationType == REQUEST_RESPONSE else None
        return self.engine.submit(fn, raw, event, InvocationType, LogType == "Tail", callback, context, arn).id

    def get_waiter(self, waiter_name: str) -> Waiter:
        """boto3's ``get_waiter``: a waiter of the era's SDK (:mod:`lambdalab.waiters`), whose ``wait`` passes
        virtual time; ``ValueError: Waiter does not exist: ...`` for a name it does not have."""
        operations = {"GetFunction": self.get_function, "GetFunctionConfiguration": self.get_function_configuration}
        return get_waiter(self.era, waiter_name, operations, self.sim)

    @property
    def waiter_names(self) -> list[str]:
        """The names ``get_waiter`` takes in this era, as boto3's ``client.waiter_names``."""
        return list(WAITERS[self.era])

    def invoke_batch(
        self, FunctionName: str, records: list[dict[str, Any]], callback: Callable[[InvocationResult], object]
    ) -> None:
        """An event source mapping's synchronous invocation with ``{"Records": records}``."""
        event = {"Records": records}
        fn, arn = self.route(FunctionName)
        self.engine.submit(fn, json.dumps(event).encode(), event, REQUEST_RESPONSE, False, callback, None, arn)

    def invoke(
        self,
        FunctionName: str,
        Payload: bytes | bytearray | str | IO[bytes] | IO[str] = b"{}",
        InvocationType: str = REQUEST_RESPONSE,
        LogType: str = "None",
        ClientContext: str | None = None,
        Qualifier: str | None = None,
    ) -> dict[str, Any]:
        """``Invoke``, answered like boto3's ``lambda_client.invoke``; a throttle raises 429. ``FunctionName``
        may be a name, an ARN or a partial ARN, qualified or not; ``ExecutedVersion`` says which version ran.

        ``Payload`` is what boto3 takes: bytes, a bytearray, a str (sent as UTF-8) or a file-like object
        (read). Anything else, a dict included, is refused before anything is sent, with botocore's
        :class:`~lambdalab.errors.ParamValidationError` (:func:`payload_bytes`). lambdalab's own
        :meth:`submit`, :func:`~lambdalab.traffic.poisson` and :func:`~lambdalab.traffic.at_times` also
        take a Python object and send it as JSON."""
        Payload = payload_bytes(Payload)  # botocore checks the request before it is sent
        if _current and InvocationType == REQUEST_RESPONSE:
            raise RuntimeError(
                "a synchronous invoke from inside a handler cannot wait on the virtual clock: "
                "use InvocationType='Event', or drive both calls from outside"
            )
        box: list[InvocationResult] = []
        request_id = self.submit(FunctionName, Payload, InvocationType, LogType, box.append, ClientContext, Qualifier)
        if InvocationType == EVENT:
            return _response(request_id, 202, b"", None, None, None)
        self.sim.run_until(lambda: bool(box))
        result = box[0]
        if result.status_code == 429:
            raise TooManyRequestsException("Rate Exceeded.", reason=result.throttle_reason or "")
        return _response(
            result.request_id,
            result.status_code,
            result.payload or b"",
            result.function_error,
            result.log_result,
            result.version,
        )

    def parse_payload(
        self, payload: bytes | str | Any, kind: str = REQUEST_RESPONSE, log_type: str = "None"
    ) -> tuple[bytes, Any]:
        """Check an Invoke request as the API does; return the payload's bytes and the decoded event."""
        if kind not in (REQUEST_RESPONSE, EVENT, DRY_RUN):
            raise InvalidParameterValueException(
                f"InvocationType {kind!r} is not one of RequestResponse, Event, DryRun"
            )
        if log_type not in ("None", "Tail"):
            raise InvalidParameterValueException(f"LogType {log_type!r} is not one of None, Tail")
        if isinstance(payload, (bytes, bytearray)):
            raw = bytes(payload)
        elif isinstance(payload, str):
            raw = payload.encode()
        else:
            try:
                raw = json.dumps(payload, allow_nan=False).encode()  # NaN and Infinity are not JSON
            except (TypeError, ValueError) as error:
                raise InvalidRequestContentException(f"Could not serialize the payload to JSON: {error}") from None
        limit = self.quotas.async_payload_bytes if kind == EVENT else self.quotas.sync_payload_bytes
        if len(raw) > limit:
            raise RequestEntityTooLargeException(
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            )
        try:
            event = json.loads(raw, parse_constant=_not_json) if raw.strip() else None
        except (ValueError, RecursionError) as error:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: Could not parse payload into json: {error}"
            ) from None
        return raw, event

    # -- results ---------------------------------------------------------------------------------------
    def requests(self) -> Any:
        """Every request's record as a DataFrame, or a :class:`~lambdalab.table.Table` of the same columns and
        values without pandas (see :mod:`lambdalab.metrics`)."""
        return self.recorder.requests()

    def environments(self) -> Any:
        """Every execution environment created so far, one row each in order of creation: ``function``,
        ``version``, ``environment`` (its id), ``log_stream``, ``provisioned``, ``created``, ``init_start``,
        ``init_end``, ``shut_down`` (virtual seconds; None while it lives or before its INIT), ``reason`` (why it
        was shut down: :data:`lambdalab.lifecycle.SHUTDOWN_REASONS`), ``invocations`` served and ``resets``
        (how often its runtime was reset: by a timeout, a crash or a failed suppressed init; ``init_start`` and
        ``init_end`` are its first INIT's). A DataFrame, or a
        :class:`~lambdalab.table.Table` of the same columns and values without pandas (where a DataFrame may show
        NaN for None). Needs ``keep_records=True``. Lambda itself shows environments only through their log streams
        (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html)."""
        log = self.engine.environment_log
        if log is None:
            raise RuntimeError("records were not kept: create the simulation with keep_records=True")
        pd = pandas()
        columns = log.columns()
        return Table(columns) if pd is None else pd.DataFrame(columns, columns=list(log.COLUMNS))

    def metrics(self, period: float = 60.0) -> Any:
        """CloudWatch-style metrics per period (a DataFrame, or a :class:`~lambdalab.table.Table`)."""
        self.recorder.finish(self.sim.now)
        return self.recorder.cloudwatch(period)

    def cost(self) -> float:
        """USD for what has run so far at the era's prices, without the monthly free tier (it is per account
        and month: :func:`lambdalab.pricing.lambda_cost`): requests, their billed duration (at the provisioned
        duration price for requests that provisioned environments served), and provisioned concurrency for
        the time it was configured, each configuration's time rounded up to five minutes
        (https://aws.amazon.com/lambda/pricing/). Without records, every duration is priced as x86_64."""
        prices = price_sheet(self.era)
        total = 0.0
        for start, end, count, memory_mb, arch in self.provisioned_spans:
            span = (self.sim.now if end is None else end) - start
            billed_s = math.ceil(span / PROVISIONED_BILLING_S - 1e-9) * PROVISIONED_BILLING_S
            total += count * memory_mb / 1024 * billed_s * prices.provisioned[arch].usd_per_gb_second
        recorder = self.recorder
        if not recorder.keep_records:
            on_demand = recorder.billed_gb_seconds - recorder.provisioned_gb_seconds
            total += usage_cost(recorder.billed_requests, on_demand, era=self.era)
            rate = prices.provisioned[Architecture.X86_64].usd_per_gb_second_duration if self.era is Era.TODAY else 0.0
            return total + recorder.provisioned_gb_seconds * rate
        served: dict[tuple[str, bool], list[int]] = {}  # (function, provisioned) -> [requests, billed MB-ms]
        c = recorder.columns
        for name, billed_ms, memory_mb, provisioned in zip(
            c["function"], c["billed_ms"], c["memory_mb"], c["provisioned"], strict=True
        ):
            if billed_ms > 0:
                group = served.setdefault((name, provisioned), [0, 0])
                group[0] += 1
                group[1] += billed_ms * memory_mb
        for (name, provisioned), (requests, mb_ms) in sorted(served.items()):  # sorted: the sums add up the same
            arch = Architecture(self.functions[name].config.architecture)
            gb_seconds = float(mb_ms) / 1_024_000
            if provisioned:
                rate = prices.provisioned[arch].usd_per_gb_second_duration
                total += requests * prices.usd_per_request + gb_seconds * rate
            else:
                total += usage_cost(requests, gb_seconds, arch, self.era)
        return total

    def log_group(self, name: str) -> Any:
        """The CloudWatch log group ``/aws/lambda/<name>``."""
        if self.logs is None:
            raise RuntimeError("logs are off: create Lambda(..., logs=True)")
        return self.logs.group(self.function(name).config.log_group_name)


BLOB_TYPES = "<class 'bytes'>, <class 'bytearray'>, file-like object"
"""The valid types botocore names for a blob parameter such as ``Payload`` (``ParamValidator._validate_blob``)."""
PAYLOAD_HINT = (
    "boto3 sends bytes, not Python objects: pass Payload=json.dumps(event) (a str is sent as UTF-8). "
    "lambdalab's own aws.submit(), ll.poisson() and ll.at_times() take the object itself."
)


def payload_bytes(payload: object) -> bytes | str:
    """``Invoke``'s ``Payload`` as boto3 takes it: bytes, a bytearray or a str, or a file-like object's
    ``read()``; anything else raises botocore's client-side :class:`ParamValidationError` (botocore's
    ``validate.py``: a blob is ``bytes``, ``bytearray``, ``str`` or has ``read``; the report names
    ``<class 'bytes'>, <class 'bytearray'>, file-like object``), with lambdalab's hint as a note.

    >>> try:
    ...     payload_bytes({"order": 3})
    ... except ParamValidationError as error:
    ...     print(error)
    ...     print(*error.__notes__)
    Parameter validation failed:
    Invalid type for parameter Payload, value: {'order': 3}, type: <class 'dict'>, valid types: <class 'bytes'>, ...
    lambdalab: boto3 sends bytes, not Python objects: pass Payload=json.dumps(event) (a str is sent as UTF-8). ...
    >>> import io
    >>> payload_bytes(io.BytesIO(b'{"order": 3}'))
    b'{"order": 3}'
    """
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload
    read = getattr(payload, "read", None)
    if callable(read):
        data = read()
        if isinstance(data, (bytes, bytearray)):
            return bytes(data)
        if isinstance(data, str):
            return data
        raise TypeError(f"Payload's read() returned {type(data).__name__}: a file-like Payload reads bytes or str")
    raise ParamValidationError(invalid_type("Payload", payload, BLOB_TYPES), hint=PAYLOAD_HINT)


def _not_json(constant: str) -> None:
    raise ValueError(f"Unrecognized token '{constant}'")


_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_T = TypeVar("_T", SQSQueue, Stream, SNSTopic, EventBus)


class _FunctionTarget:
    """A function as a destination: it is invoked asynchronously with the record."""

    def __init__(self, aws: Lambda, name: str, arn: str) -> None:
        self.aws, self.name, self.arn = aws, name, arn

    def send(self, body: str, now: float, attributes: dict[str, str] | None = None) -> None:
        self.aws.submit(self.name, body.encode(), EVENT)


def _response(
    request_id: str,
    status: int,
    payload: bytes,
    function_error: str | None,
    log_result: str | None,
    version: str | None,
) -> dict[str, Any]:
    headers = {"x-amzn-requestid": request_id, "content-type": "application/json"}
    response: dict[str, Any] = {
        "ResponseMetadata": {
            "RequestId": request_id,
            "HTTPStatusCode": status,
            "HTTPHeaders": headers,
            "RetryAttempts": 0,
        },
        "StatusCode": status,
    }
    if status == 200 and version is not None:
        headers["x-amz-executed-version"] = version
        response["ExecutedVersion"] = version
    if function_error:
        headers["x-amz-function-error"] = function_error
        response["FunctionError"] = function_error
    if log_result is not None:
        headers["x-amz-log-result"] = log_result
        response["LogResult"] = log_result
    response["Payload"] = StreamingBody(payload)
    return response
