"""`RoeCancelAgentJobTool`: a model cancels a running job it no longer needs.

It acts (a cancelled job makes no outputs), so `RoeToolkit` includes it only when asked
(`include_cancel=True`), and a graph can put it behind a person's approval (LangChain's
`HumanInTheLoopMiddleware`). The call is `RoeClient.cancel_job`, retried as a read: cancelling is
idempotent in effect.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from langchain_roe._convert._agent_text import (
    CANCEL_TOOL_NAME,
    EXAMPLE_AGENT_JOB_ID,
    TOOL_NAME,
    error_text,
)
from langchain_roe._core._control import cancel_flow
from langchain_roe._core._flow import Flow
from langchain_roe._core._formats import canonical_job_id
from langchain_roe._tools._base import Answer, RoeTool, errors_for_the_model

CANCEL_TOOL_DESCRIPTION = (
    "Cancel a running Roe AI agent job by its id: the job stops and produces no outputs. Use it "
    "only for a job that is no longer wanted (one started in this conversation, still running); "
    "it cannot be undone. It does not delete the job or its data. A job that has already "
    "finished cannot be cancelled."
)


class RoeCancelAgentJobInput(BaseModel):
    """Arguments of `roe_cancel_agent_job`."""

    agent_job_id: str = Field(
        description=f"The id of the Roe agent job to cancel, a UUID such as {EXAMPLE_AGENT_JOB_ID}."
    )


class RoeCancelAgentJobTool(RoeTool):
    """Let an LLM agent cancel a running Roe agent job, such as one a run tool left running.

    Called with a `ToolCall`, it returns a `ToolMessage` saying the job was cancelled, whose
    `artifact` is `{"agent_job_id": ..., "cancelled": True}`. An unknown job, a bad id, the
    server's refusal (a job that has already ended) and rate limits or server errors left after
    retries come back to the model as an error `ToolMessage`; authentication and permission errors
    are raised, since only the developer can fix them.

    Example:
        ```python
        from langchain_roe import RoeCancelAgentJobTool

        tool = RoeCancelAgentJobTool()  # reads ROE_API_KEY
        print(tool.invoke({"agent_job_id": "4fbc7396-d05e-4bc2-bad7-6e809c1b3d54"}))
        ```
    """

    name: str = CANCEL_TOOL_NAME
    description: str = CANCEL_TOOL_DESCRIPTION
    args_schema: type[BaseModel] = RoeCancelAgentJobInput

    def _flow(self, agent_job_id: str) -> Flow[Answer]:
        with errors_for_the_model(lambda error: error_text(error, agent_job_id)):
            job_id = canonical_job_id(agent_job_id)
            yield from cancel_flow(job_id)
        text = (
            f"Cancelled Roe agent job {job_id}: it stops and produces no outputs. "
            f"{TOOL_NAME} shows its final status."
        )
        return text, {"agent_job_id": job_id, "cancelled": True}
