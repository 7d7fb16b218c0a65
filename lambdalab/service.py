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
import re
from collections.abc import Callable
from typing import Any, TypeVar

from .accounting import Ledger
from .asynchronous import AsyncInvoker, EventInvokeConfig
from .client_context import client_context, decode
from .code import Code
from .coldstart import ColdStartModel, cold_start_model
from .concurrency import ConcurrencyManager
from .config import DEFAULT_ACCOUNT, FunctionConfig, placed, validate, with_defaults
from .destinations import EventBus, SNSTopic, Target
from .distributions import Dist
from .errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaError,
    ProvisionedConcurrencyConfigNotFoundException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from .function import DurationModel, Function
from .invoke import DRY_RUN, EVENT, REAL_TIME_LIMIT_S, REQUEST_RESPONSE, Engine, InvocationResult
from .logs import CloudWatchLogs
from .mappings import parameters as mapping_parameters
from .metrics import Recorder
from .pricing import usage_cost
from .quotas import Era, quotas
from .runtime import _current
from .sim import Simulation
from .sqs import SQSEventSourceMapping, SQSQueue
from .streams import Stream, StreamEventSourceMapping


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


class Lambda:
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
    ) -> None:
        """``real_time_limit_s``: real seconds that handler or INIT code may run without finishing before
        it is stopped and reported as timed out (a busy loop never advances the virtual clock;
        :class:`lambdalab.guard.RealTimeGuard`); ``None`` turns the guard off."""
        if sim is not None and not isinstance(sim, Simulation):
            raise TypeError(f"sim is a Simulation (lambdalab.Simulation(seed=...)), not {sim!r}")
        if real_time_limit_s is not None and not real_time_limit_s > 0:
            raise ValueError(f"real_time_limit_s must be > 0 seconds (or None), not {real_time_limit_s!r}")
        self.sim = sim if sim is not None else Simulation()
        self.quotas = quotas(era)
        self.era = self.quotas.era
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
        self.engine.real_time_limit_s = real_time_limit_s
        self.functions = self.engine.functions
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
        fn = Function(config, code, model, cold_start or self.cold_start, memory_used_mb)
        self.concurrency.add(fn.name, config.reserved_concurrency, 0, self.sim.now)
        self.functions[fn.name] = fn
        if config.provisioned_concurrency:
            try:
                self.put_provisioned_concurrency_config(fn.name, config.provisioned_concurrency)
            except LambdaError:  # a refused create leaves nothing behind
                del self.functions[fn.name]
                self.concurrency.remove(fn.name)
                raise
        return fn

    def function(self, name: str) -> Function:
        try:
            return self.functions[name]
        except KeyError:
            raise ResourceNotFoundException(
                f"Function not found: arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
            ) from None

    def put_function_concurrency(self, FunctionName: str, ReservedConcurrentExecutions: int) -> dict[str, int]:
        """Reserve concurrency for a function; 0 throttles every request (the console's throttle button)."""
        self.function(FunctionName)
        value = ReservedConcurrentExecutions
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidParameterValueException(f"ReservedConcurrentExecutions must be an integer >= 0, not {value!r}")
        self.concurrency.set_reserved(FunctionName, value)
        return {"ReservedConcurrentExecutions": value}

    def delete_function_concurrency(self, FunctionName: str) -> None:
        self.function(FunctionName)
        self.concurrency.set_reserved(FunctionName, None)

    def put_provisioned_concurrency_config(
        self, FunctionName: str, ProvisionedConcurrentExecutions: int, Qualifier: str | None = None
    ) -> dict[str, Any]:
        """Keep this many environments initialised (Era today only: launched December 2019). Raising it starts
        INIT in new environments; lowering it shuts surplus ones down as they become idle
        (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html). lambdalab keeps one
        version of a function, so ``Qualifier`` (a version or alias on AWS) names that one."""
        fn = self.function(FunctionName)
        if self.era is Era.SEMINAR_2019:
            raise InvalidParameterValueException("Provisioned concurrency launched in December 2019: use era 'today'.")
        wanted = ProvisionedConcurrentExecutions
        if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 1:
            raise InvalidParameterValueException(
                f"ProvisionedConcurrentExecutions must be an integer >= 1, not {wanted!r}"
            )
        self.concurrency.set_provisioned(fn.name, wanted)
        for _ in range(wanted - fn.provisioned_envs):
            self.engine.provision(fn)
        self.engine.retire_provisioned(fn)
        return {"RequestedProvisionedConcurrentExecutions": wanted, "Status": "IN_PROGRESS"}

    def get_provisioned_concurrency_config(self, FunctionName: str, Qualifier: str | None = None) -> dict[str, Any]:
        """Requested, available (initialised) and allocated environments; ``Status`` is ``READY`` once all are
        initialised (https://docs.aws.amazon.com/lambda/latest/api/API_GetProvisionedConcurrencyConfig.html)."""
        fn = self.function(FunctionName)
        requested = self.concurrency.functions[fn.name].provisioned
        if not requested:
            raise ProvisionedConcurrencyConfigNotFoundException(
                "No Provisioned Concurrency Config found for this function"
            )
        ready = min(requested, len(fn.idle_provisioned) + self.concurrency.functions[fn.name].busy_provisioned)
        return {
            "RequestedProvisionedConcurrentExecutions": requested,
            "AvailableProvisionedConcurrentExecutions": ready,
            "AllocatedProvisionedConcurrentExecutions": ready,
            "Status": "READY" if ready == requested else "IN_PROGRESS",
        }

    def delete_provisioned_concurrency_config(self, FunctionName: str, Qualifier: str | None = None) -> None:
        """Remove provisioned concurrency: its environments shut down as they become idle; requests run on
        demand again (https://docs.aws.amazon.com/lambda/latest/api/API_DeleteProvisionedConcurrencyConfig.html)."""
        fn = self.function(FunctionName)
        if not self.concurrency.functions[fn.name].provisioned:
            raise ProvisionedConcurrencyConfigNotFoundException(
                "No Provisioned Concurrency Config found for this function"
            )
        self.concurrency.set_provisioned(fn.name, 0)
        self.engine.retire_provisioned(fn)

    # -- asynchronous invocation -----------------------------------------------------------------------
    def put_function_event_invoke_config(
        self,
        FunctionName: str,
        MaximumRetryAttempts: int = 2,
        MaximumEventAgeInSeconds: int = 21600,
        DestinationConfig: dict[str, dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Retries (0-2), maximum event age (60 s - 6 h) and destinations of Event invocations."""
        self.function(FunctionName)
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
        config.check(self.era)
        self.asynchronous.configs[FunctionName] = config
        return {
            "FunctionArn": self.function(FunctionName).config.arn,
            "MaximumRetryAttempts": MaximumRetryAttempts,
            "MaximumEventAgeInSeconds": MaximumEventAgeInSeconds,
            "DestinationConfig": destinations,
        }

    def update_function_configuration(self, FunctionName: str, DeadLetterConfig: dict[str, str]) -> dict[str, Any]:
        """Set the function's dead-letter queue (an SQS queue or SNS topic ARN); other settings are fixed here."""
        self.function(FunctionName)
        if not isinstance(DeadLetterConfig, dict) or not isinstance(DeadLetterConfig.get("TargetArn"), str):
            raise InvalidParameterValueException(
                f"DeadLetterConfig is {{'TargetArn': <an SQS queue's or SNS topic's ARN>}}, not {DeadLetterConfig!r}."
            )
        target = self.target(DeadLetterConfig["TargetArn"])
        if not target.arn.startswith(("arn:aws:sqs:", "arn:aws:sns:")):
            raise InvalidParameterValueException("A dead-letter queue must be an SQS queue or an SNS topic.")
        self.asynchronous.dead_letter[FunctionName] = target
        return {"FunctionName": FunctionName, "DeadLetterConfig": DeadLetterConfig}

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
        for fn in self.functions.values():
            if arn in (fn.config.arn, fn.name):
                return _FunctionTarget(self, fn.name, fn.config.arn)
        raise ResourceNotFoundException(f"The resource you requested does not exist: {arn}")

    def create_event_source_mapping(self, EventSourceArn: str, FunctionName: str, **settings: Any) -> Any:
        """Poll an SQS queue, a Kinesis stream or a DynamoDB stream for the function (API parameter names:
        ``BatchSize``, ``MaximumBatchingWindowInSeconds``, ``FunctionResponseTypes``, ``Enabled``; for streams
        ``StartingPosition``, ``ParallelizationFactor``, ``MaximumRetryAttempts``, ``MaximumRecordAgeInSeconds``,
        ``BisectBatchOnFunctionError``, ``DestinationConfig``), checked as :mod:`lambdalab.mappings` says.
        Returns the mapping; ``mapping["UUID"]`` and ``mapping["State"]`` read as boto3's response does."""
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
        """Where every event went (:mod:`lambdalab.accounting`), as a DataFrame."""
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
    ) -> str:
        """Send a request now without waiting; ``callback`` receives its result. Returns the request id.
        ``ClientContext`` (base64 JSON) reaches synchronous requests' handlers (:mod:`lambdalab.client_context`)."""
        fn = self.function(FunctionName)
        raw, event = self.parse_payload(Payload, InvocationType, LogType)
        data = None if ClientContext is None else decode(ClientContext)
        context = client_context(data) if InvocationType == REQUEST_RESPONSE else None
        return self.engine.submit(fn, raw, event, InvocationType, LogType == "Tail", callback, context).id

    def invoke(
        self,
        FunctionName: str,
        Payload: bytes | str | Any = b"{}",
        InvocationType: str = REQUEST_RESPONSE,
        LogType: str = "None",
        ClientContext: str | None = None,
    ) -> dict[str, Any]:
        """``Invoke``, answered like boto3's ``lambda_client.invoke``; a throttle raises 429."""
        if _current and InvocationType == REQUEST_RESPONSE:
            raise RuntimeError(
                "a synchronous invoke from inside a handler cannot wait on the virtual clock: "
                "use InvocationType='Event', or drive both calls from outside"
            )
        box: list[InvocationResult] = []
        request_id = self.submit(FunctionName, Payload, InvocationType, LogType, box.append, ClientContext)
        if InvocationType == EVENT:
            return _response(request_id, 202, b"", None, None)
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
        """Every request's record as a DataFrame (see :mod:`lambdalab.metrics`)."""
        return self.recorder.requests()

    def metrics(self, period: float = 60.0) -> Any:
        """CloudWatch-style metrics per period."""
        self.recorder.finish(self.sim.now)
        return self.recorder.cloudwatch(period)

    def cost(self) -> float:
        """USD for the requests run so far at the era's prices, without the monthly free tier
        (:func:`lambdalab.pricing.usage_cost`; the free tier is per account and month, see
        :func:`lambdalab.pricing.lambda_cost`)."""
        if not self.recorder.keep_records:
            return usage_cost(self.recorder.billed_requests, self.recorder.billed_gb_seconds, era=self.era)
        frame = self.requests()
        frame = frame[frame.billed_ms > 0]
        total = 0.0
        for name, rows in frame.groupby("function"):
            gb_seconds = float((rows.billed_ms * rows.memory_mb).sum()) / 1_024_000
            total += usage_cost(len(rows), gb_seconds, self.functions[str(name)].config.architecture, self.era)
        return total

    def log_group(self, name: str) -> Any:
        """The CloudWatch log group ``/aws/lambda/<name>``."""
        if self.logs is None:
            raise RuntimeError("logs are off: create Lambda(..., logs=True)")
        return self.logs.group(self.function(name).config.log_group_name)


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
    request_id: str, status: int, payload: bytes, function_error: str | None, log_result: str | None
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
    if status == 200:
        headers["x-amz-executed-version"] = "$LATEST"
        response["ExecutedVersion"] = "$LATEST"
    if function_error:
        headers["x-amz-function-error"] = function_error
        response["FunctionError"] = function_error
    if log_result is not None:
        headers["x-amz-log-result"] = log_result
        response["LogResult"] = log_result
    response["Payload"] = StreamingBody(payload)
    return response
