"""The retry decision and delay, as pure functions."""

from __future__ import annotations

import pytest

from langchain_roe import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    InvalidResponseError,
    JobNotFinishedError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from langchain_roe._core._constants import MAX_RETRY_AFTER, MAX_RETRY_DELAY
from langchain_roe._core._models import AgentJobStatusCode
from langchain_roe._core._retry import is_retryable, retry_delay


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (APIConnectionError("dropped"), True),
        (APITimeoutError("slow"), True),
        (InvalidResponseError("garbled"), True),
        (APIStatusError("timeout", status_code=408), True),
        (RateLimitError("slow down", status_code=429), True),
        (ServerError("boom", status_code=500), True),
        (ServerError("gateway", status_code=504), True),
        (APIStatusError("bad", status_code=400), False),
        (AuthenticationError("key", status_code=401), False),
        (NotFoundError("missing", status_code=404), False),
        (NotFoundError("not in batch"), False),
        (APIStatusError("conflict", status_code=409), False),
        (ConfigurationError("no key"), False),
        (JobNotFinishedError("running", status=AgentJobStatusCode.STARTED), False),
        (ValueError("bad id"), False),
    ],
)
def test_what_is_retried(error: BaseException, retryable: bool) -> None:
    assert is_retryable(error) is retryable


def test_retry_after_wins_and_is_capped() -> None:
    assert retry_delay(0, 3.0) == 3.0
    assert retry_delay(5, 0.0) == 0.0
    assert retry_delay(0, 10_000.0) == MAX_RETRY_AFTER
    assert retry_delay(0, -1.0) == 0.0


def test_backoff_doubles_with_jitter_below_the_cap() -> None:
    no_jitter = [retry_delay(n, None, jitter=lambda: 0.0) for n in range(6)]
    assert no_jitter == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    full_jitter = [retry_delay(n, None, jitter=lambda: 1.0) for n in range(6)]
    assert full_jitter == [d * 0.75 for d in no_jitter]
    assert max(retry_delay(50, None) for _ in range(100)) <= MAX_RETRY_DELAY
