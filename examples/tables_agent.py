"""An agent answers a question from a Roe table: it lists the tables, reads a schema, runs a query.

Run: python -m examples.tables_agent   (needs the `agents` extra: `pip install ".[agents]"`)
Offline (no ROE_API_KEY) it replays a recorded session (`langchain_roe/demo/tables_session.yaml`,
built from the spec's shapes over a made-up `companies` table) with a scripted model that makes the
calls a real one would. With ROE_API_KEY and a model provider's key (OPENAI_API_KEY with
langchain-openai, or ANTHROPIC_API_KEY with langchain-anthropic) a real model queries your tables.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, ToolMessage

from examples._offline import ScriptedChatModel
from langchain_roe import RoeClient, RoeTablesToolkit
from langchain_roe.replay import TABLES_SESSION, TABLES_SESSION_SQL, replay_client

QUESTION = "Which country's companies have the most revenue in total?"
PROVIDERS = {
    "OPENAI_API_KEY": ("langchain_openai", "openai:gpt-4.1-mini"),
    "ANTHROPIC_API_KEY": ("langchain_anthropic", "anthropic:claude-sonnet-4-5"),
}


def choose(live: bool) -> BaseChatModel | str:
    """A real model when both the Roe API and a provider can be reached; else the scripted one."""
    for env_var, (package, model) in PROVIDERS.items():
        if live and os.environ.get(env_var) and importlib.util.find_spec(package):
            return model
    return ScriptedChatModel(  # what a model does here: tables, then a schema, then one query
        messages=iter(
            [
                AIMessage("", tool_calls=[_call("roe_list_tables", {}, 1)]),
                AIMessage(
                    "", tool_calls=[_call("roe_describe_table", {"table_names": ["companies"]}, 2)]
                ),
                AIMessage(
                    "", tool_calls=[_call("roe_query_table", {"sql": TABLES_SESSION_SQL}, 3)]
                ),
                AIMessage("GB: its companies' revenue totals 310.25, the most of any country."),
            ]
        )
    )


def main() -> list[ToolMessage]:
    live = bool(os.environ.get("ROE_API_KEY", "").strip())
    if live:
        client = RoeClient()
    else:
        print("(no ROE_API_KEY: replaying a recorded session offline)", file=sys.stderr)
        client = replay_client(TABLES_SESSION)
    agent = create_agent(
        choose(live),
        RoeTablesToolkit(client=client).get_tools(),
        system_prompt=(
            "You answer questions from the organization's Roe tables: list them, read the schema "
            "of the relevant ones, then run one read-only ClickHouse query."
        ),
    )
    state = agent.invoke({"messages": [{"role": "user", "content": QUESTION}]})
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    for message in tool_messages:
        print(f"[{message.name}: {message.status}]\n{message.text[:600]}\n")
    print("Agent:", state["messages"][-1].text)
    return tool_messages


def _call(name: str, args: dict[str, Any], n: int) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call-{n}"}


if __name__ == "__main__":
    main()
