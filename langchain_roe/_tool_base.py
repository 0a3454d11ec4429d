"""What every Roe tool shares: its settings and client, its text budget, and who gets which error.

The tools are thin adapters over `RoeClient`, built through `build_client` like the loaders and
the command line. Settings are checked when a tool is made, before pydantic sees them (pydantic's
errors would quote the key). Errors a model can act on come back to it as an error `ToolMessage`
(`handle_tool_error`); those only the developer can fix are raised.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.tools import BaseTool, ToolException
from pydantic import ConfigDict, Field, SecretStr

from langchain_roe._convert._documents import check_output_keys
from langchain_roe._core._client import RoeClient, build_client
from langchain_roe._core._config import SETTING_ENV_VARS
from langchain_roe._core._constants import DEFAULT_MAX_OUTPUT_CHARS, MIN_MAX_OUTPUT_CHARS
from langchain_roe._core._exceptions import (
    AuthenticationError,
    ConfigurationError,
    PermissionDeniedError,
)

#: Errors a model cannot fix: they go to the developer instead of into the conversation.
FOR_THE_DEVELOPER = (AuthenticationError, PermissionDeniedError, ConfigurationError)


class RoeTool(BaseTool):
    """Base of the Roe tools: client settings, a shared client, and a text budget."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    """Errors come back to the model as an error ToolMessage instead of ending the agent run."""

    api_key: SecretStr | None = None
    """Organization API key; from `ROE_API_KEY` when not given."""
    organization_id: str | None = None
    """Organization UUID; from `ROE_ORGANIZATION_ID` when not given."""
    base_url: str | None = None
    """API root; from `ROE_BASE_URL`, else `https://api.roe-ai.com`."""
    timeout: float | None = None
    """Seconds one attempt may take in all; from `ROE_TIMEOUT`, else 60."""
    max_retries: int | None = None
    """Retries per request; from `ROE_MAX_RETRIES`, else 3."""
    max_response_bytes: int | None = None
    """Largest answer body read; from `ROE_MAX_RESPONSE_BYTES`, else 256 MiB."""
    allow_insecure_http: bool | None = None
    """Allow `http://` off loopback; from `ROE_ALLOW_INSECURE_HTTP`, else False."""
    client: RoeClient = Field(default_factory=RoeClient, exclude=True)
    """A ready client, instead of the settings above."""
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS
    """The most characters of text the model is given (at least 500); the rest is cut with a
    marker that says how much was left out."""

    def __init__(self, **values: Any) -> None:
        # Settings are checked before pydantic sees them: its errors would quote the key.
        super().__init__(**tool_settings(values))


def resolve_run_annotations(tool: type[BaseTool]) -> None:
    """Evaluate a tool's `_run`/`_arun` annotations once, at import.

    LangChain reads them with `typing.get_type_hints` on every call (looking for a `RunnableConfig`
    parameter); under `from __future__ import annotations` they are strings, compiled and evaluated
    again each time: about a fifth of a call's overhead, measured (`make bench`, single calls).
    """
    for name in ("_run", "_arun"):
        method = getattr(tool, name)
        method.__annotations__ = typing.get_type_hints(method)


def tool_settings(values: dict[str, Any]) -> dict[str, Any]:
    """A tool's constructor arguments with its client built and every setting checked.

    Raises:
        ConfigurationError: A setting (or `max_output_chars`) is invalid; nothing quotes the key.
    """
    settings = {name: values.get(name) for name in SETTING_ENV_VARS}
    if isinstance(settings["api_key"], SecretStr):
        settings["api_key"] = settings["api_key"].get_secret_value()
    client = build_client(values.get("client"), **settings)
    budget = values.get("max_output_chars", DEFAULT_MAX_OUTPUT_CHARS)
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < MIN_MAX_OUTPUT_CHARS:
        msg = f"max_output_chars must be a whole number of at least {MIN_MAX_OUTPUT_CHARS}, got {budget!r}"
        raise ConfigurationError(msg)
    return {**values, **dict(client.settings), "client": client}


def keys_asked(output_keys: list[str] | None) -> frozenset[str] | None:
    try:
        return check_output_keys(output_keys)
    except ValueError as error:
        raise ToolException(str(error)) from None
