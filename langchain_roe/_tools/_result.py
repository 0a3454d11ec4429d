"""The result tool: a job's outputs read for a model, as text it reads and data it keeps."""

from __future__ import annotations

from pydantic import BaseModel, Field

from langchain_roe._convert._agent_text import (
    EXAMPLE_AGENT_JOB_ID,
    TOOL_NAME,
    error_text,
    result_artifact,
    result_text,
)
from langchain_roe._convert._documents import FinishedJob
from langchain_roe._core._calls import result_flow
from langchain_roe._core._flow import Flow
from langchain_roe._core._formats import canonical_job_id
from langchain_roe._tools._base import Answer, RoeTool, errors_for_the_model, keys_asked

__all__ = ["RoeAgentJobResultInput", "RoeAgentJobResultTool"]

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

    def _flow(self, agent_job_id: str, output_keys: list[str] | None = None) -> Flow[Answer]:
        keys = keys_asked(output_keys)
        with errors_for_the_model(lambda error: error_text(error, agent_job_id)):
            job_id = canonical_job_id(agent_job_id)
            result = yield from result_flow(job_id)
        job = FinishedJob.from_result(job_id, result)
        text = result_text(job, output_keys=keys, max_chars=self.max_output_chars)
        return text, result_artifact(job_id, result)
