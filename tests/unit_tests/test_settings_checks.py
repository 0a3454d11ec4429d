"""Every setting is checked once, on every class that takes settings, and the key is never quoted."""

from __future__ import annotations

import io
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from langchain_roe import (
    ConfigurationError,
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
    RoeClient,
    RoeSettings,
    _cli,
)

KEY = "sk-roe-live-5f2b9c1d7e3a4b6c"
SHORT_KEY = "abc"
JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"

#: Each way a user gives settings: the client, the loader and the tool.
MAKERS: dict[str, Callable[..., Any]] = {
    "client": lambda **s: RoeClient(**s),
    "loader": lambda **s: RoeAgentJobResultLoader(JOB, **s),
    "tool": lambda **s: RoeAgentJobResultTool(**s),
}


def everything_shown(error: BaseException) -> str:
    """All a user could see of an error: its text, its repr and its whole formatted chain."""
    return str(error) + repr(error) + "".join(traceback.format_exception(error))


def fragments(key: str) -> list[str]:
    """Pieces of the key long enough to give it away (all of it, for a short key)."""
    if len(key) <= 8:
        return [key]
    return [key[i : i + 8] for i in range(len(key) - 7)]


@pytest.mark.parametrize("maker", MAKERS.values(), ids=MAKERS.keys())
@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"timeout": -1}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": 1e10}, "timeout"),
        ({"max_retries": 10_000}, "max_retries"),
        ({"max_response_bytes": 10}, "max_response_bytes"),
        ({"base_url": "http://[::1"}, "base_url"),
        ({"base_url": "https://api.roe-ai.com/?organization=1"}, "base_url"),
        ({"base_url": "https://api.roe-ai.com/#top"}, "base_url"),
        ({"base_url": "https://user:hunter2-password@api.roe-ai.com"}, "base_url"),
        ({"base_url": "http://api.roe-ai.com"}, "base_url"),
    ],
)
@pytest.mark.parametrize("key", [KEY, SHORT_KEY])
def test_a_bad_setting_is_a_configuration_error_that_never_quotes_the_key(
    maker: Callable[..., Any], settings: dict[str, Any], named: str, key: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        maker(api_key=key, **settings)
    shown = everything_shown(caught.value)
    assert named in str(caught.value)
    assert not any(piece in shown for piece in fragments(key))
    assert "hunter2" not in shown


@pytest.mark.parametrize("maker", MAKERS.values(), ids=MAKERS.keys())
@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("sk-roe-live\r\nX-Injected: 1", "line break"),
        ("sk-roe-live\n", "line break"),  # a trailing newline is stripped: this one is fine
        ("sk-roe-lïve-5f2b9c1d", "non-ASCII"),
        ("sk-roe live", "space"),
    ],
)
def test_a_key_that_cannot_travel_in_a_header_is_refused_at_construction(
    maker: Callable[..., Any], key: str, problem: str
) -> None:
    if key.strip() != key and "\r" not in key:
        maker(api_key=key)  # surrounding white space is trimmed, as with a pasted key
        return
    with pytest.raises(ConfigurationError) as caught:
        maker(api_key=key)
    assert problem in str(caught.value)
    assert not any(piece in everything_shown(caught.value) for piece in fragments(key.strip()))


def test_the_tool_raises_a_bad_setting_itself_not_wrapped_by_pydantic() -> None:
    with pytest.raises(ConfigurationError) as caught:
        RoeAgentJobResultTool(api_key=KEY, timeout=-1)
    assert type(caught.value) is ConfigurationError


@pytest.mark.parametrize("budget", [0, 499, "many", 1.5])
def test_the_tool_checks_its_budget_too(budget: object) -> None:
    with pytest.raises(
        ConfigurationError, match="max_output_chars must be a whole number of at least 500"
    ):
        RoeAgentJobResultTool(api_key=KEY, max_output_chars=budget)


@pytest.mark.parametrize(
    "base_url",
    ["http://localhost:8000", "http://127.0.0.1:9000", "http://127.8.0.1", "http://[::1]:8080"],
)
def test_plain_http_is_fine_on_loopback(base_url: str) -> None:
    assert RoeClient(api_key=KEY, base_url=base_url).settings.base_url == base_url


def test_plain_http_off_loopback_needs_an_explicit_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http=True"):
        RoeClient(api_key=KEY, base_url="http://roe.internal.example")
    allowed = RoeClient(
        api_key=KEY, base_url="http://roe.internal.example", allow_insecure_http=True
    )
    assert allowed.settings.allow_insecure_http is True
    monkeypatch.setenv("ROE_ALLOW_INSECURE_HTTP", "1")
    assert RoeClient(api_key=KEY, base_url="http://roe.internal.example").settings.base_url


def test_a_base_url_with_a_path_prefix_is_kept() -> None:
    settings = RoeSettings.resolve(base_url="https://gateway.example/roe/")
    assert settings.base_url == "https://gateway.example/roe"


def test_the_response_cap_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert RoeSettings.resolve().max_response_bytes == 256 * 1024 * 1024
    monkeypatch.setenv("ROE_MAX_RESPONSE_BYTES", "2048")
    assert RoeSettings.resolve().max_response_bytes == 2048
    monkeypatch.setenv("ROE_MAX_RESPONSE_BYTES", "12")
    with pytest.raises(ConfigurationError, match="ROE_MAX_RESPONSE_BYTES"):
        RoeSettings.resolve()


@pytest.mark.parametrize("value", ["inf", "nan", "1e10"])
def test_the_command_line_reports_a_bad_timeout_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ROE_TIMEOUT", value)
    stderr = io.StringIO()
    code = _cli.main(
        ["--api-key", KEY, JOB], stdin=io.StringIO(), stdout=io.StringIO(), stderr=stderr
    )
    assert code == 2
    assert "ROE_TIMEOUT" in stderr.getvalue()
    assert KEY not in stderr.getvalue()
