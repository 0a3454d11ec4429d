"""What lets the examples run with no API key and no network.

Without `ROE_API_KEY` the examples read the recorded example session shipped with the package;
without a model provider's key the agent example uses a scripted chat model, which replays the tool
calls it is given: enough to show the tool inside a real agent loop.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from langchain_roe import RoeClient
from langchain_roe.replay import recorded_job_ids, replay_client


class ScriptedChatModel(GenericFakeChatModel):
    """A chat model that answers with the scripted messages, in order, and accepts any tools."""

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[Any, AIMessage]:
        return self


def tool_calls_then_answer(tool_name: str, agent_job_ids: Iterable[str]) -> ScriptedChatModel:
    """A model that asks for every job's result in one turn, then closes the conversation."""
    calls = [
        {"name": tool_name, "args": {"agent_job_id": agent_job_id}, "id": f"call-{n}"}
        for n, agent_job_id in enumerate(agent_job_ids)
    ]
    return ScriptedChatModel(
        messages=iter(
            [
                AIMessage(content="", tool_calls=calls),
                AIMessage(content="I have read every job I was given; see the tool results."),
            ]
        )
    )


def example_client() -> RoeClient:
    """The live API when `ROE_API_KEY` is set; otherwise the recorded example session, offline."""
    if os.environ.get("ROE_API_KEY", "").strip():
        return RoeClient()
    print("(no ROE_API_KEY: replaying the recorded example session offline)", file=sys.stderr)
    return replay_client()


def example_job_ids() -> list[str]:
    """Job ids to show: `ROE_EXAMPLE_JOB_IDS` (comma-separated) when set, else the recorded ones."""
    given = os.environ.get("ROE_EXAMPLE_JOB_IDS", "")
    return [i.strip() for i in given.split(",") if i.strip()] or recorded_job_ids()


def run_client() -> tuple[RoeClient, str]:
    """A client and an agent id for the run examples: live with ROE_API_KEY and
    ROE_EXAMPLE_AGENT_ID, else the recorded run session, offline (and said so)."""
    from langchain_roe.replay import RUN_SESSION, RUN_SESSION_AGENT_ID, replay_client

    agent_id = os.environ.get("ROE_EXAMPLE_AGENT_ID", "").strip()
    if os.environ.get("ROE_API_KEY", "").strip() and agent_id:
        return RoeClient(), agent_id
    print(
        "(replaying a recorded run offline: no ROE_API_KEY or ROE_EXAMPLE_AGENT_ID)",
        file=sys.stderr,
    )
    return replay_client(RUN_SESSION), RUN_SESSION_AGENT_ID
