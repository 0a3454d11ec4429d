"""`RoeAgentJobResultTool`: a Roe agent job's outputs for LLM agents."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from langchain_roe._agent_text import error_text, result_artifact, result_text
from langchain_roe._client import RoeClient, build_client
from langchain_roe._config import SETTING_ENV_VARS
from langchain_roe._constants import (
    DEFAULT_MAX_OUTPUT_CHARS,
    EXAMPLE_AGENT_JOB_ID,
    MIN_MAX_OUTPUT_CHARS,
    TOOL_NAME,
)
from langchain_roe._documents import FinishedJob, check_output_keys
from langchain_roe._exceptions import (
    AuthenticationError,
    ConfigurationError,
    InvalidAgentJobIdError,
    PermissionDeniedError,
    RoeError,
)
from langchain_roe._ids import canonical_job_id
from langchain_roe._models import AgentJobResult

#: Errors a model cannot fix: they go to the developer instead of into the conversation.
_FOR_THE_DEVELOPER = (AuthenticationError, PermissionDeniedError, ConfigurationError)

TOOL_DESCRIPTION = (
    "Read the outputs of a Roe AI agent job (document, web or multimodal extraction, fraud or AML "
    "investigation) by its job id. Returns each output's key, description, data type, cost and "
    "value, with JSON laid out readably. It does not start or re-run jobs. If the job is still "
    "running, it says so: call again later."
)


class RoeAgentJobResultInput(BaseModel):
    """Arguments of `roe_get_agent_job_result`."""

    agent_job_id: str = Field(
        description=f"The Roe agent job id, a UUID such as {EXAMPLE_AGENT_JOB_ID}."
    )
    output_keys: list[str] | None = Field(
        default=None, description="Only the outputs with these keys; leave out for all outputs."
    )


class RoeAgentJobResultTool(BaseTool):
    """Give an LLM agent the outputs of a Roe agent job, as text it reads and data it keeps.

    Called with a `ToolCall`, it returns a `ToolMessage` whose content is the outputs as text
    (within `max_output_chars`) and whose `artifact` is the whole result as plain data. Unknown,
    unfinished and failed jobs, bad ids, and rate limits or server errors left after retries come
    back as an error `ToolMessage` that tells the model what to do; authentication and permission
    errors are raised, since only the developer can fix them. Settings are checked when the tool
    is made: a bad one is a `ConfigurationError` naming it (never quoting the key).

    Example:
        ```python
        from langchain_roe import RoeAgentJobResultTool

        tool = RoeAgentJobResultTool()  # reads ROE_API_KEY
        message = tool.invoke(
            {
                "type": "tool_call",
                "id": "call-1",
                "name": tool.name,
                "args": {"agent_job_id": "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"},
            }
        )
        print(message.content)  # what the model reads
        print(message.artifact["outputs"])  # the whole result
        ```

    Invoked with plain arguments instead of a `ToolCall`, LangChain returns only the content; for
    the structured result call `tool.client.get_result(agent_job_id)` directly.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = TOOL_NAME
    description: str = TOOL_DESCRIPTION
    args_schema: type[BaseModel] = RoeAgentJobResultInput
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

    def _run(
        self,
        agent_job_id: str,
        output_keys: list[str] | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, dict[str, Any]]:
        keys = _keys_asked(output_keys)
        try:
            result = self.client.get_result(agent_job_id)
        except (InvalidAgentJobIdError, RoeError) as error:
            if isinstance(error, _FOR_THE_DEVELOPER):
                raise
            raise ToolException(error_text(error, agent_job_id)) from error
        return self._respond(agent_job_id, result, keys)

    async def _arun(
        self,
        agent_job_id: str,
        output_keys: list[str] | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, dict[str, Any]]:
        keys = _keys_asked(output_keys)
        try:
            result = await self.client.aget_result(agent_job_id)
        except (InvalidAgentJobIdError, RoeError) as error:
            if isinstance(error, _FOR_THE_DEVELOPER):
                raise
            raise ToolException(error_text(error, agent_job_id)) from error
        return self._respond(agent_job_id, result, keys)

    def _respond(
        self, agent_job_id: str, result: AgentJobResult, output_keys: frozenset[str] | None
    ) -> tuple[str, dict[str, Any]]:
        agent_job_id = canonical_job_id(agent_job_id)
        job = FinishedJob.from_result(agent_job_id, result)
        text = result_text(job, output_keys=output_keys, max_chars=self.max_output_chars)
        return text, result_artifact(agent_job_id, result)


def resolve_run_annotations(tool: type[BaseTool]) -> None:
    """Evaluate a tool's `_run`/`_arun` annotations once, at import.

    LangChain reads them with `typing.get_type_hints` on every call (looking for a `RunnableConfig`
    parameter); under `from __future__ import annotations` they are strings, compiled and evaluated
    again each time: about a fifth of a call's overhead, measured (`make bench`, single calls).
    """
    for name in ("_run", "_arun"):
        method = getattr(tool, name)
        method.__annotations__ = typing.get_type_hints(method)


resolve_run_annotations(RoeAgentJobResultTool)


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


def _keys_asked(output_keys: list[str] | None) -> frozenset[str] | None:
    try:
        return check_output_keys(output_keys)
    except ValueError as error:
        raise ToolException(str(error)) from None
