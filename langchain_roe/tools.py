"""The Roe tools for LLM agents: read a job's outputs, run an agent, read what a job cites, cancel."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import ToolException
from pydantic import BaseModel, Field

from langchain_roe._convert._agent_text import error_text, result_artifact, result_text
from langchain_roe._convert._documents import FinishedJob
from langchain_roe._core._constants import EXAMPLE_AGENT_JOB_ID, TOOL_NAME
from langchain_roe._core._exceptions import InvalidAgentJobIdError, RoeError, is_for_the_model
from langchain_roe._core._ids import canonical_job_id
from langchain_roe._core._models import AgentJobResult
from langchain_roe._tools._base import (
    RoeTool,
    keys_asked,
    resolve_run_annotations,
)
from langchain_roe._tools._cancel import RoeCancelAgentJobInput, RoeCancelAgentJobTool
from langchain_roe._tools._reference import RoeReadJobReferenceInput, RoeReadJobReferenceTool
from langchain_roe._tools._run import RoeRunAgentTool

__all__ = [
    "RoeAgentJobResultInput",
    "RoeAgentJobResultTool",
    "RoeCancelAgentJobInput",
    "RoeCancelAgentJobTool",
    "RoeReadJobReferenceInput",
    "RoeReadJobReferenceTool",
    "RoeRunAgentTool",
]

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


class RoeAgentJobResultTool(RoeTool):
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

    name: str = TOOL_NAME
    description: str = TOOL_DESCRIPTION
    args_schema: type[BaseModel] = RoeAgentJobResultInput

    def _run(
        self,
        agent_job_id: str,
        output_keys: list[str] | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, dict[str, Any]]:
        keys = keys_asked(output_keys)
        try:
            result = self.client.get_result(agent_job_id)
        except (InvalidAgentJobIdError, RoeError) as error:
            if not is_for_the_model(error):
                raise
            raise ToolException(error_text(error, agent_job_id)) from error
        return self._respond(agent_job_id, result, keys)

    async def _arun(
        self,
        agent_job_id: str,
        output_keys: list[str] | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, dict[str, Any]]:
        keys = keys_asked(output_keys)
        try:
            result = await self.client.aget_result(agent_job_id)
        except (InvalidAgentJobIdError, RoeError) as error:
            if not is_for_the_model(error):
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


resolve_run_annotations(RoeAgentJobResultTool)
