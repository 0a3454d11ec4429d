"""Ask a person before every Roe run, and cap the runs of a conversation, with LangChain middleware.

Each `roe_run_*` call starts a Roe job, which uses credits, and `roe_cancel_agent_job` stops one:
`HumanInTheLoopMiddleware` pauses the agent before any of these calls until a person approves or
rejects it, and `ToolCallLimitMiddleware` caps how many runs one conversation (a checkpointer
thread) may start. A call over the limit is refused before anyone is asked, and never reaches Roe.

Run: python -m examples.approve_runs
Offline (no ROE_API_KEY) it replays the recorded run of the API reference's example agent, with a
scripted model that asks for two runs: the person is asked about the first (on a terminal you
answer; otherwise it is approved), the second is over the limit. With OPENAI_API_KEY or
ANTHROPIC_API_KEY (and that provider's package) it uses that model instead; with ROE_API_KEY and
ROE_EXAMPLE_AGENT_ID it runs that agent for real, which uses credits.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import (
    AgentMiddleware,
    HumanInTheLoopMiddleware,
    ToolCallLimitMiddleware,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from examples._offline import ScriptedChatModel, run_client
from langchain_roe import RoeClient, RoeToolkit
from langchain_roe.replay import RUN_SESSION_AGENT_ID, RUN_SESSION_TEXT

#: How many runs one conversation may start.
RUNS_PER_CONVERSATION = 1
PROVIDERS = {
    "OPENAI_API_KEY": ("langchain_openai", "openai:gpt-4.1-mini"),
    "ANTHROPIC_API_KEY": ("langchain_anthropic", "anthropic:claude-sonnet-4-5"),
}
Decide = Callable[[dict[str, Any]], dict[str, Any]]


def approval_middleware(
    tools: Sequence[BaseTool], runs: int
) -> list[AgentMiddleware[Any, Any, Any]]:
    """A person approves each call that acts (a run, a cancel); each run tool at most `runs` a
    conversation. Reviews are per call, so a call the limit refuses is never put to the person."""
    runs_tools = [tool.name for tool in tools if tool.name.startswith("roe_run_")]
    acting = [*runs_tools, *(t.name for t in tools if t.name == "roe_cancel_agent_job")]
    review = HumanInTheLoopMiddleware(
        interrupt_on={
            name: {
                "allowed_decisions": ["approve", "reject"],
                "description": "This starts (or stops) a Roe job, which uses credits.",
            }
            for name in acting
        },
        interrupt_mode="per_call",
    )
    limits: list[AgentMiddleware[Any, Any, Any]] = [
        ToolCallLimitMiddleware(tool_name=name, thread_limit=runs) for name in runs_tools
    ]
    return [review, *limits]


def ask_on_the_terminal(request: dict[str, Any]) -> dict[str, Any]:
    """The person's answer: asked on a terminal; without one, approved (and said so)."""
    print(f"\n{request['description']}\n  tool: {request['name']}\n  args: {request['args']}")
    if not sys.stdin.isatty():
        print("  (approved: no terminal to ask)")
        return {"type": "approve"}
    answer = input("  approve? [y/N] ").strip().lower()
    if answer in ("y", "yes"):
        return {"type": "approve"}
    return {"type": "reject", "message": "The person declined this run."}


def choose_model(run_tool: str) -> BaseChatModel | str:
    for env_var, (package, model) in PROVIDERS.items():
        if os.environ.get(env_var) and importlib.util.find_spec(package):
            return model
    return two_runs_then_answer(run_tool)


def two_runs_then_answer(run_tool: str) -> ScriptedChatModel:
    """A model that asks for a run, then another (over the limit), then answers."""
    first = {"name": run_tool, "args": {"text": RUN_SESSION_TEXT}, "id": "run-1"}
    second = {"name": run_tool, "args": {"text": "And this one too, please."}, "id": "run-2"}
    return ScriptedChatModel(
        messages=iter(
            [
                AIMessage(content="", tool_calls=[first]),
                AIMessage(content="", tool_calls=[second]),
                AIMessage(content="I ran what I was allowed to; see the tool results."),
            ]
        )
    )


def main(
    decide: Decide = ask_on_the_terminal,
    client: RoeClient | None = None,
    model: BaseChatModel | str | None = None,
) -> tuple[list[dict[str, Any]], list[BaseMessage]]:
    """The requests the person was asked about, and the conversation's messages."""
    if client is None:
        client, agent_id = run_client()
    else:
        agent_id = os.environ.get("ROE_EXAMPLE_AGENT_ID", "").strip() or RUN_SESSION_AGENT_ID

    tools = RoeToolkit.from_agents(
        [agent_id], client=client, include_cancel=True, cancel_on_timeout=True
    ).get_tools()
    agent = create_agent(
        model or choose_model(tools[0].name),
        tools,
        middleware=approval_middleware(tools, RUNS_PER_CONVERSATION),
        checkpointer=InMemorySaver(),  # a pause for review is a checkpoint
    )
    config: Any = {"configurable": {"thread_id": "approve-runs-1"}}
    question = "Run the Roe agent on two texts."
    state = agent.invoke({"messages": [{"role": "user", "content": question}]}, config)
    asked: list[dict[str, Any]] = []
    while state.get("__interrupt__"):
        answers = {}
        for interrupt in state["__interrupt__"]:
            asked.append(interrupt.value)
            answers[interrupt.id] = decide(interrupt.value)
        state = agent.invoke(Command(resume=answers), config)
    for message in state["messages"][1:]:
        print(f"\n[{type(message).__name__}] {message.text[:160]}")
    return asked, state["messages"]


if __name__ == "__main__":
    main()
