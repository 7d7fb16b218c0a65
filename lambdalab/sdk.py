"""What boto3 checks before it sends a request: its copy of the Lambda API model.

botocore validates every request against the model it ships (``botocore/data/lambda/2015-03-31/service-2.json``,
https://github.com/boto/botocore) before anything is sent: a parameter the model does not have, or a value of
the wrong Python type, raises ``ParamValidationError`` on the caller's machine, and AWS never sees the request
(:class:`lambdalab.errors.ParamValidationError`, in botocore's words). So a parameter that came after 2019 was
not refused by AWS in 2019: the SDK of the time did not know it. Each era's preset is an SDK: 2019's is
botocore 1.13.20 (19 November 2019), today's 1.43.67 (August 2026).

CreateEventSourceMapping's parameters were the same from botocore 1.12.218 (29 August) to 1.13.25 (22 November
2019): ``EventSourceArn, FunctionName, Enabled, BatchSize, MaximumBatchingWindowInSeconds, StartingPosition,
StartingPositionTimestamp``. What came after, with the botocore release that added it:

- ``ParallelizationFactor`` and the stream error-handling settings ``MaximumRetryAttempts``,
  ``MaximumRecordAgeInSeconds``, ``BisectBatchOnFunctionError``, ``DestinationConfig``: 25 November 2019
  (botocore 1.13.26;
  https://aws.amazon.com/about-aws/whats-new/2019/11/aws-lambda-supports-parallelization-factor-for-kinesis-and-dynamodb-event-sources/,
  https://aws.amazon.com/about-aws/whats-new/2019/11/aws-lambda-supports-failure-handling-features-for-kinesis-and-dynamodb-event-sources/);
- ``FunctionResponseTypes`` and ``TumblingWindowInSeconds``: 15 December 2020 (botocore 1.19.36), for
  Kinesis and DynamoDB Streams (custom checkpoints:
  https://aws.amazon.com/blogs/compute/optimizing-batch-processing-with-custom-checkpoints-in-aws-lambda/);
  ``ReportBatchItemFailures`` for SQS followed in November 2021
  (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html);
- ``FilterCriteria``: 23 November 2021 (botocore 1.23.11); ``ScalingConfig``: 12 January 2023 (botocore
  1.29.48; https://aws.amazon.com/blogs/compute/introducing-maximum-concurrency-of-aws-lambda-functions-when-using-amazon-sqs-as-an-event-source/).
"""

from __future__ import annotations

from typing import Any

from .errors import ParamValidationError, invalid_type, unknown_parameter
from .quotas import Era

__all__ = [
    "CREATE_EVENT_SOURCE_MAPPING",
    "CREATE_FUNCTION_2019",
    "EVENT_SOURCE_MAPPING_TYPES",
    "UPDATE_FUNCTION_CONFIGURATION",
    "check_event_source_mapping",
    "check_names",
    "missing_method",
]

CREATE_FUNCTION_2019 = (
    *("FunctionName", "Runtime", "Role", "Handler", "Code", "Description", "Timeout", "MemorySize", "Publish"),
    *("VpcConfig", "DeadLetterConfig", "Environment", "KMSKeyArn", "TracingConfig", "Tags", "Layers"),
)
"""CreateFunction's parameters in the SDK of November 2019, in the model's order (botocore 1.13.20, 19 November
2019: ``CreateFunctionRequest`` in ``botocore/data/lambda/2015-03-31/service-2.json``, https://github.com/boto/botocore)."""
UPDATE_FUNCTION_CONFIGURATION = {
    Era.SEMINAR_2019: (
        *("FunctionName", "Role", "Handler", "Description", "Timeout", "MemorySize", "VpcConfig", "Environment"),
        *("Runtime", "DeadLetterConfig", "KMSKeyArn", "TracingConfig", "RevisionId", "Layers"),
    ),
    Era.TODAY: (
        *("FunctionName", "Role", "Handler", "Description", "Timeout", "MemorySize", "VpcConfig", "Environment"),
        *("Runtime", "DeadLetterConfig", "KMSKeyArn", "TracingConfig", "RevisionId", "Layers", "FileSystemConfigs"),
        *("ImageConfig", "EphemeralStorage", "SnapStart", "LoggingConfig", "CapacityProviderConfig", "DurableConfig"),
    ),
}
"""UpdateFunctionConfiguration's parameters in each era's SDK, in the model's order: botocore 1.13.20 (19 November
2019) and 1.43.67 (August 2026), ``UpdateFunctionConfigurationRequest`` in
``botocore/data/lambda/2015-03-31/service-2.json`` (https://github.com/boto/botocore). Added since 2019, with the
botocore release: ``FileSystemConfigs`` (June 2020, 1.17.4), ``ImageConfig`` (December 2020, 1.19.27),
``EphemeralStorage`` (March 2022, 1.24.26), ``SnapStart`` (November 2022, 1.29.18), ``LoggingConfig`` (November
2023, 1.32.2), ``CapacityProviderConfig`` and ``DurableConfig`` (December 2025, 1.41.6 and 1.42.1)."""

CREATE_EVENT_SOURCE_MAPPING: dict[Era, tuple[str, ...]] = {
    Era.SEMINAR_2019: (
        "EventSourceArn",
        "FunctionName",
        "Enabled",
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "StartingPosition",
        "StartingPositionTimestamp",
    ),
    Era.TODAY: (
        "EventSourceArn",
        "FunctionName",
        "Enabled",
        "BatchSize",
        "FilterCriteria",
        "KMSKeyArn",
        "MetricsConfig",
        "LoggingConfig",
        "ScalingConfig",
        "MaximumBatchingWindowInSeconds",
        "ParallelizationFactor",
        "StartingPosition",
        "StartingPositionTimestamp",
        "DestinationConfig",
        "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError",
        "MaximumRetryAttempts",
        "Tags",
        "TumblingWindowInSeconds",
        "Topics",
        "Queues",
        "SourceAccessConfigurations",
        "SelfManagedEventSource",
        "FunctionResponseTypes",
        "AmazonManagedKafkaEventSourceConfig",
        "SelfManagedKafkaEventSourceConfig",
        "DocumentDBEventSourceConfig",
        "ProvisionedPollerConfig",
    ),
}
"""CreateEventSourceMapping's parameters in the SDK of each era, in the model's order (botocore's
``CreateEventSourceMappingRequest``: 1.13.20 for 2019, 1.43.67 for today), as botocore lists
them after ``must be one of:``."""
STREAM_SETTINGS_HINT = (
    "ParallelizationFactor and the stream error-handling settings (MaximumRetryAttempts, "
    "MaximumRecordAgeInSeconds, BisectBatchOnFunctionError, DestinationConfig) came on 25 November 2019 "
    "(era='today'); in 2019 a stream mapping read one batch per shard at a time and retried a failing "
    "batch until its records expired."
)
PARTIAL_HINT = (
    "Partial batch responses (FunctionResponseTypes=['ReportBatchItemFailures']) came in December 2020 for "
    "Kinesis and DynamoDB Streams and in November 2021 for SQS (era='today'); in 2019 a batch succeeded or "
    "failed as a whole."
)
LATER_HINTS = {
    **dict.fromkeys(
        (
            "ParallelizationFactor",
            "MaximumRetryAttempts",
            "MaximumRecordAgeInSeconds",
            "BisectBatchOnFunctionError",
            "DestinationConfig",
        ),
        STREAM_SETTINGS_HINT,
    ),
    "FunctionResponseTypes": PARTIAL_HINT,
    "TumblingWindowInSeconds": "Tumbling windows (TumblingWindowInSeconds) came in December 2020.",
    "FilterCriteria": "Event filtering (FilterCriteria) came in November 2021.",
    "ScalingConfig": (
        "ScalingConfig (an SQS mapping's maximum concurrency) came in January 2023 (era='today'); in 2019 only "
        "the function's reserved concurrency limited an SQS mapping."
    ),
}
"""lambdalab's note for a parameter that the 2019 SDK did not know yet: when it came, and what 2019 did."""

EVENT_SOURCE_MAPPING_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    **dict.fromkeys(("EventSourceArn", "FunctionName", "StartingPosition"), ((str,), "<class 'str'>")),
    **dict.fromkeys(
        (
            "BatchSize",
            "MaximumBatchingWindowInSeconds",
            "ParallelizationFactor",
            "MaximumRetryAttempts",
            "MaximumRecordAgeInSeconds",
            "TumblingWindowInSeconds",
        ),
        ((int,), "<class 'int'>"),
    ),
    **dict.fromkeys(("Enabled", "BisectBatchOnFunctionError"), ((bool,), "<class 'bool'>")),
    **dict.fromkeys(("DestinationConfig", "FilterCriteria", "ScalingConfig"), ((dict,), "<class 'dict'>")),
    "FunctionResponseTypes": ((list, tuple), "<class 'list'>, <class 'tuple'>"),
}
"""The Python types botocore's validator takes for each parameter's model type, and how its report names
them (``botocore/validate.py``: integers are ``int``, so ``True`` passes the SDK, as there)."""


def missing_method(name: str, note: str) -> AttributeError:
    """The error of calling a client method that the era's SDK does not have (the operation came later):
    Python's ``AttributeError``, with lambdalab's ``note`` (shown under it from Python 3.11)."""
    error = AttributeError(f"'Lambda' object has no attribute '{name}'")
    getattr(error, "add_note", lambda note: None)(f"lambdalab: {note}")  # Python 3.11+; mypy checks against 3.10
    return error


def check_names(settings: dict[str, Any], known: tuple[str, ...], hint: str | None = None) -> None:
    """botocore's check of parameter names: every one of ``settings`` must be in ``known`` (the operation's
    parameters in the model), else one report line per unknown name, listing the known ones."""
    unknown = [key for key in settings if key not in known]
    if unknown:
        raise ParamValidationError("\n".join(unknown_parameter(key, known) for key in unknown), hint=hint)


def check_event_source_mapping(settings: dict[str, Any], era: Era) -> None:
    """What boto3 does before sending the request: every parameter must be in the era's SDK model, else
    botocore's :class:`ParamValidationError` names each unknown one and lists the known ones."""
    known = CREATE_EVENT_SOURCE_MAPPING[era]
    unknown = [key for key in settings if key not in known]
    hints = dict.fromkeys(LATER_HINTS[key] for key in unknown if key in LATER_HINTS and era is Era.SEMINAR_2019)
    later = [key for key in unknown if key in CREATE_EVENT_SOURCE_MAPPING[Era.TODAY] and key not in LATER_HINTS]
    if later and era is Era.SEMINAR_2019:
        hints[f"{', '.join(later)}: not in the SDK of 2019 (era='today' has it)."] = None
    check_names(settings, known, hint=" ".join(hints) or None)
    wrong = [
        invalid_type(key, value, EVENT_SOURCE_MAPPING_TYPES[key][1])
        for key, value in settings.items()
        if key in EVENT_SOURCE_MAPPING_TYPES and not isinstance(value, EVENT_SOURCE_MAPPING_TYPES[key][0])
    ]
    if wrong:  # every wrong type in one report, as botocore gives them
        raise ParamValidationError("\n".join(wrong))
