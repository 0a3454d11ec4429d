"""The pure parts of the transport core: messages, Retry-After, status mapping."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from langchain_roe import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from langchain_roe._core._calls import status_call
from langchain_roe._core._http import error_message, parse_retry_after, status_error
from tests.support.example_jobs import payload

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("error_404_not_found_detail", "Not found."),
        ("error_404_no_agentjob", "No AgentJob found."),
        ("error_403_permission_detail", "You do not have permission to perform this action."),
        ("error_403_insufficient_credits", "Insufficient credits to start a new job"),
        ("error_429_detail", "Rate limit exceeded"),
        ("error_500_internal_detail", "An internal error occurred while processing your request."),
        ("error_legacy_403_error_key", "You don't have access to agents feature"),
        ("error_legacy_404_error_key", "Agent job not found"),
        ("error_legacy_500_error_key", "Failed to get agent job result data"),
        ("error_400_bare_list", "Missing input key document"),
        ("error_400_field_map", "Invalid JSON string."),
    ],
)
def test_the_server_message_is_read_from_every_documented_body(name: str, message: str) -> None:
    body = payload(name)
    assert error_message(body, httpx.Response(400)) == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"detail": "d", "error": "e", "message": "m"}, "d"),
        ({"error": "e", "message": "m"}, "e"),
        ({"message": "m"}, "m"),
        ({"detail": "", "organization_id": "Must be a valid UUID."}, "Must be a valid UUID."),
        ({"detail": None, "code": 7}, "Bad Gateway"),
        ([[""], "", ["second"]], "second"),  # found by the property test: empty strings skipped
        ([[""]], "Bad Gateway"),
        (
            "<html><body>\n  <h1>502 Bad   Gateway</h1></body></html>",
            "<html><body> <h1>502 Bad Gateway</h1></body></html>",
        ),
        ("x" * 500, "x" * 200),
        ("", "Bad Gateway"),
    ],
)
def test_message_order_and_fallbacks(body: object, message: str) -> None:
    assert error_message(body, httpx.Response(502)) == message


def test_status_error_keeps_body_request_id_and_retry_after() -> None:
    response = httpx.Response(
        429, json={"detail": "slow down"}, headers={"Retry-After": "3", "X-Request-ID": "abc"}
    )
    error = status_error(response, response.content, status_call(JOB))
    assert isinstance(error, RateLimitError)
    assert (error.body, error.retry_after, error.request_id) == (
        {"detail": "slow down"},
        3.0,
        "abc",
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (599, ServerError),
        (400, BadRequestError),
        (418, APIStatusError),
    ],
)
def test_one_map_from_status_to_class(status: int, cls: type[APIStatusError]) -> None:
    assert type(status_error(httpx.Response(status), b"", status_call(JOB))) is cls


def test_retry_after_forms() -> None:
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert parse_retry_after("5", now=lambda: now) == 5.0
    assert parse_retry_after(" 1.5 ", now=lambda: now) == 1.5
    assert parse_retry_after(date, now=lambda: now) == pytest.approx(12.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=lambda: now) == 0.0
    assert parse_retry_after("-4", now=lambda: now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
