"""The consumer error tree: what a consumer raises, and what the receiver answers.

Like the Collector's `consumererror`, an error is either permanent (the data is
bad; retrying cannot help) or retryable (try again later, possibly after a hint).
The receivers map these to gRPC and HTTP codes in one place
(`scrubber.receivers.otlp.status`); everything else only raises them.

Every error scrubber raises on purpose derives from `ScrubberError`. Errors that belong to one
part are declared beside it and derive from this tree, so `except ScrubberError` sees them all:
`RegistryError` (scrubber.registry), `ExpansionError` (scrubber.config.expand),
`OTLPJSONError` (a `PermanentError`, scrubber.pdata.otlpjson), `KeyUnavailable` and `NoKey`
(pii keys and operators), `SendFailed` (exporterhelper), `VaultUnavailable` and `ErasureError`
(scrubber.subjects), `DetectionServiceClosed` (scrubber.detection), and the worker pool's `JobFailed` (also known
as `DetectionFailed`).
Only errors that are not consumer errors stay out of `ConsumerError`: a receiver answers
INTERNAL for them, without their text.
"""

from __future__ import annotations


class ScrubberError(Exception):
    """Base of every error scrubber raises on purpose."""


class ConfigError(ScrubberError):
    """The configuration is invalid. `errors` holds every problem, each naming its key path."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors) if self.errors else "invalid configuration")


class ConsumerError(ScrubberError):
    """A consumer could not take the data."""


class PermanentError(ConsumerError):
    """The data itself is unacceptable (malformed, too large...): do not retry.
    Receivers answer INVALID_ARGUMENT / HTTP 400."""


class RetryableError(ConsumerError):
    """The data was refused for now (a queue is full, a backend is down): retry.
    Receivers answer UNAVAILABLE / HTTP 503."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ResourceExhaustedError(RetryableError):
    """Overload with an explicit back-off (memory limit, saturated detection pool).
    Receivers answer RESOURCE_EXHAUSTED with RetryInfo / HTTP 429 with Retry-After;
    `retry_after` is therefore mandatory."""

    def __init__(self, message: str, retry_after: float = 1.0):
        super().__init__(message, retry_after=retry_after)


class PartialSuccess(ConsumerError):
    """Some items were rejected and the rest accepted. Receivers answer success with
    `partial_success.rejected_<items>` and this message."""

    def __init__(self, rejected: int, message: str):
        super().__init__(message)
        self.rejected = rejected


class JobFailed(RetryableError):
    """A worker-pool job was lost: its worker crashed, hung or its handler raised.
    The caller must fail closed (redact, drop), never forward the original."""


class WorkerFailed(ScrubberError):
    """A pool worker died, hung or could not start; the jobs it held are lost (`JobFailed`)."""


class WorkerHung(WorkerFailed):
    """A pool worker did not answer within the job timeout; it is killed and replaced."""


class JobError(ScrubberError):
    """A handler raised in a worker, reported by exception type only (a message may quote
    data); the worker itself is fine and keeps serving."""
