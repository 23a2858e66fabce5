"""The retry sender: exponential backoff with jitter for retryable failures.

A client's `send` raises `scrubber.errors.PermanentError` (never retried) or
`RetryableError` (retried; its `retry_after`, from gRPC RetryInfo or HTTP
Retry-After, is a floor for the next delay, as in the Collector). Retrying
stops when shutdown begins or when `max_elapsed_time` would be exceeded; the
caller learns why through `SendFailed.reason`, which becomes the `reason`
label of `exporter_send_failed_*`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Awaitable, Callable

from scrubber.errors import PermanentError, RetryableError, ScrubberError
from scrubber.exporters.exporterhelper import metrics
from scrubber.exporters.exporterhelper.config import RetryConfig


class SendFailed(ScrubberError):
    """The request was given up; `reason` is one of the `metrics` reason constants."""

    def __init__(self, reason: str, cause: BaseException):
        super().__init__(f"{reason}: {cause}")
        self.reason = reason
        self.cause = cause


class Backoff:
    """The Collector's (cenkalti) exponential backoff: interval * (1 ± randomization_factor)."""

    def __init__(self, config: RetryConfig, rng: random.Random | None = None):
        self._config = config
        self._interval = config.initial_interval
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        factor = self._config.randomization_factor
        delay = self._interval * (1 + self._rng.uniform(-factor, factor))
        self._interval = min(self._interval * self._config.multiplier, self._config.max_interval)
        return delay


async def send_with_retry(
    send: Callable[[], Awaitable[int]],
    config: RetryConfig,
    stopping: asyncio.Event,
    logger: logging.Logger,
) -> int:
    """Call `send` until it succeeds; return what it returns (items rejected by partial success)."""
    started = time.monotonic()
    backoff: Backoff | None = None  # made on the first failure: its Random seeds from os.urandom
    while True:
        try:
            return await send()
        except PermanentError as exc:
            raise SendFailed(metrics.PERMANENT, exc) from exc
        except RetryableError as exc:
            backoff = backoff or Backoff(config)
            delay = _next_delay(exc, config, backoff, started, stopping)
            logger.info("export failed (%s), retrying in %.2fs", exc, delay)
            await _sleep_unless_stopping(delay, stopping, exc)


def _next_delay(exc: RetryableError, config: RetryConfig, backoff: Backoff, started: float, stopping: asyncio.Event) -> float:
    if stopping.is_set():
        raise SendFailed(metrics.SHUTDOWN, exc) from exc
    if not config.enabled:
        raise SendFailed(metrics.RETRIES_EXHAUSTED, exc) from exc
    delay = backoff.next_delay()
    if exc.retry_after is not None:
        delay = max(delay, exc.retry_after)
    elapsed = time.monotonic() - started
    if config.max_elapsed_time > 0 and elapsed + delay > config.max_elapsed_time:
        raise SendFailed(metrics.RETRIES_EXHAUSTED, exc) from exc
    return delay


async def _sleep_unless_stopping(delay: float, stopping: asyncio.Event, exc: Exception) -> None:
    try:
        await asyncio.wait_for(stopping.wait(), timeout=delay)
    except asyncio.TimeoutError:
        return
    raise SendFailed(metrics.SHUTDOWN, exc) from exc
