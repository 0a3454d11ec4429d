"""Run a Roe agent from LangChain: the toolkit's run tool starts a job, waits, and reads it.

Run: python -m examples.run_and_read
Offline (no ROE_API_KEY) it replays a recorded run of the API reference's example agent, which
takes one text input. With ROE_API_KEY and ROE_EXAMPLE_AGENT_ID (an agent of yours with a `text`
input) it runs that agent for real: it starts a job, which uses credits.
"""

from __future__ import annotations

from langchain_core.messages import ToolMessage

from examples._offline import run_client
from langchain_roe import RoeToolkit
from langchain_roe.replay import RUN_SESSION_TEXT


def main() -> ToolMessage:
    client, agent_id = run_client()

    # One run tool per agent (its arguments are the agent's inputs) and the result tool.
    run_tool, read_tool, _ = RoeToolkit.from_agents([agent_id], client=client).get_tools()
    print(f"{run_tool.name}: {run_tool.description}\n")
    print(f"arguments: {list(run_tool.args)}\n")

    # What an agent does: call the run tool with a ToolCall (its id keys the job: a retried call
    # finds the job it already started instead of starting another).
    call = {
        "type": "tool_call",
        "id": "run-1",
        "name": run_tool.name,
        "args": {"text": RUN_SESSION_TEXT},
    }
    message = run_tool.invoke(call)
    assert isinstance(message, ToolMessage)
    print(message.content)  # the outputs; or, if still running, the id to read with read_tool
    print(f"\n(later reads: {read_tool.name} with agent_job_id {message.artifact['agent_job_id']})")
    return message


if __name__ == "__main__":
    main()
