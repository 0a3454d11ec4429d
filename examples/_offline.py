"""What lets the examples run with no API key and no network: a scripted chat model.

With a model provider's key the agent example uses a real model instead; this one only replays
the tool calls it is given, which is enough to show the tool inside a real agent loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool


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
