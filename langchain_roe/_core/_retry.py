"""When to retry a read-only call and how long to wait first.

The decision and the delay are pure functions; tenacity (already a dependency of langchain-core)
runs the loop, the same policy driving its sync and async retriers.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, Retrying

from langchain_roe._core import _flow
from langchain_roe._core._constants import (
    IDEMPOTENCY_CONFLICT_STATUS,
    INITIAL_RETRY_DELAY,
    LOGGER_NAME,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRY_JITTER,
    RETRYABLE_STATUS_CODES,
)
from langchain_roe._core._exceptions import (
    APIConnectionError,
    APIStatusError,
    InvalidResponseError,
    ResponseTooLargeError,
)
from langchain_roe._core._http import Call, Retry

logger = logging.getLogger(LOGGER_NAME)


def is_retryable(error: BaseException, rule: Retry = Retry.READ) -> bool:
    """Whether a failed call is worth another attempt under `rule`.

    `Retry.UNSENT` (an action without a key): only a connection never made, 408 and 429. Otherwise,
    as for reads:

    Retried: no answer (connection dropped or refused, timeout), 408, 429, every 5xx, and a 2xx
    body that did not parse (truncated or garbled on the way). Nothing else: a body past the size cap
    would be as large the next time. `Retry.KEYED` (a run under its `Idempotency-Key`) also retries a
    409, the IETF Idempotency-Key draft's "the first request under this key is still being
    processed": the same key then lands on that request's job.
    """
    if (
        rule is Retry.KEYED
        and isinstance(error, APIStatusError)
        and error.status_code == IDEMPOTENCY_CONFLICT_STATUS
    ):
        return True
    if rule is Retry.UNSENT:
        if isinstance(error, APIConnectionError):
            return not error.request_sent
        return isinstance(error, APIStatusError) and error.status_code in RETRYABLE_STATUS_CODES
    if isinstance(error, ResponseTooLargeError):
        return False
    if isinstance(error, APIConnectionError | InvalidResponseError):
        return True
    if isinstance(error, APIStatusError) and error.status_code is not None:
        return (
            error.status_code in RETRYABLE_STATUS_CODES
            or error.status_code >= httpx.codes.INTERNAL_SERVER_ERROR
        )
    return False


def retry_delay(
    retries_done: int,
    retry_after: float | None,
    *,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before the next attempt.

    The server's `Retry-After`, capped at `MAX_RETRY_AFTER`, when it sent one; otherwise exponential
    backoff from `INITIAL_RETRY_DELAY`, capped at `MAX_RETRY_DELAY`, shortened by up to
    `RETRY_JITTER` of itself at random so that clients do not retry in step.
    """
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    backoff = min(INITIAL_RETRY_DELAY * 2.0**retries_done, MAX_RETRY_DELAY)
    return backoff * (1.0 - RETRY_JITTER * jitter())


class RetryPolicy:
    """Builds tenacity retriers that apply `is_retryable` and `retry_delay` to one call."""

    def __init__(self, max_retries: int) -> None:
        self.max_retries = max_retries

    def retrying(self, call: Call[Any]) -> Retrying:
        """A sync retrier for `call`, by its own rule (`call.retry`)."""
        decide = _Decisions(call, self.max_retries)
        return Retrying(
            sleep=_flow.pause, retry=decide.should_retry, wait=decide.wait, reraise=True
        )

    def async_retrying(self, call: Call[Any]) -> AsyncRetrying:
        """Async `retrying`."""
        decide = _Decisions(call, self.max_retries)
        return AsyncRetrying(
            sleep=_flow.apause, retry=decide.should_retry, wait=decide.wait, reraise=True
        )


@dataclass(frozen=True, slots=True)
class _Decisions:
    """The retry decision and the wait for one call, each logged at DEBUG (never with the key)."""

    call: Call[Any]
    max_retries: int

    def should_retry(self, state: RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome else None
        if error is None:
            return False
        if not is_retryable(error, self.call.retry):
            logger.debug("%s failed, not retryable: %s", self.call.describe(), type(error).__name__)
            return False
        if state.attempt_number > self.max_retries:
            logger.debug(
                "%s failed, giving up after %d attempt(s): %s",
                self.call.describe(),
                state.attempt_number,
                type(error).__name__,
            )
            return False
        return True

    def wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = error.retry_after if isinstance(error, APIStatusError) else None
        delay = retry_delay(state.attempt_number - 1, retry_after)
        logger.debug(
            "%s failed (%s%s), retry %d of %d in %.2fs%s",
            self.call.describe(),
            type(error).__name__,
            f" {error.status_code}" if isinstance(error, APIStatusError) else "",
            state.attempt_number,
            self.max_retries,
            delay,
            " as Retry-After asked" if retry_after is not None else "",
        )
        return delay
