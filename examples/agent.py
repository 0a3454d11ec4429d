"""An agent that reads Roe job results with `create_agent`.

With OPENAI_API_KEY (and langchain-openai installed) or ANTHROPIC_API_KEY (and langchain-anthropic)
it uses that provider's model; otherwise a scripted model that calls the tool for each job, so the
example runs offline. Run: python -m examples.agent
"""

from __future__ import annotations

import importlib.util
import os

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import ToolMessage

from examples._offline import example_client, example_job_ids, tool_calls_then_answer
from langchain_roe import RoeAgentJobResultTool

PROVIDERS = {
    "OPENAI_API_KEY": ("langchain_openai", "openai:gpt-4.1-mini"),
    "ANTHROPIC_API_KEY": ("langchain_anthropic", "anthropic:claude-sonnet-4-5"),
}


def choose_model(tool: RoeAgentJobResultTool, job_ids: list[str]) -> BaseChatModel | str:
    for env_var, (package, model) in PROVIDERS.items():
        if os.environ.get(env_var) and importlib.util.find_spec(package):
            return model
    return tool_calls_then_answer(tool.name, job_ids)


def main() -> list[ToolMessage]:
    job_ids = example_job_ids()[:3]
    tool = RoeAgentJobResultTool(client=example_client())
    agent = create_agent(
        choose_model(tool, job_ids),
        [tool],
        system_prompt="You summarise the findings of Roe AI agent jobs. Read each job with the tool.",
    )
    question = f"What did these Roe jobs find? {', '.join(job_ids)}"
    state = agent.invoke({"messages": [{"role": "user", "content": question}]})
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    for message in tool_messages:
        print(f"[{message.status}] {message.text[:200]}\n")
    print("Agent:", state["messages"][-1].text)
    return tool_messages


if __name__ == "__main__":
    main()
