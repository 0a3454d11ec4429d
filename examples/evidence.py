"""An agent reads a Roe job, sees that its findings cite evidence, and reads one piece of it.

Run: python -m examples.evidence   (needs the `agents` extra: `pip install ".[agents]"`)
Offline (no ROE_API_KEY) it replays a recorded session (`langchain_roe/demo/evidence_session.yaml`,
built from the API reference's AML example; the artifact's content is constructed) with a scripted
model that makes the calls a real one would. With ROE_API_KEY and ROE_EXAMPLE_AML_JOB_ID it reads
your job; set a model provider's key and swap the model for a real one to let it decide.
"""

from __future__ import annotations

import os
import sys

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage

from examples._offline import ScriptedChatModel
from langchain_roe import RoeAgentJobResultTool, RoeClient, RoeReadJobReferenceTool
from langchain_roe.replay import EVIDENCE_SESSION, EVIDENCE_SESSION_JOB_ID, replay_client


def main() -> list[ToolMessage]:
    agent_job_id = os.environ.get("ROE_EXAMPLE_AML_JOB_ID", "").strip()
    if os.environ.get("ROE_API_KEY", "").strip() and agent_job_id:
        client = RoeClient()
    else:
        print(
            "(replaying a recorded session offline: no ROE_API_KEY or ROE_EXAMPLE_AML_JOB_ID)",
            file=sys.stderr,
        )
        client, agent_job_id = replay_client(EVIDENCE_SESSION), EVIDENCE_SESSION_JOB_ID

    read_job = RoeAgentJobResultTool(client=client)
    read_evidence = RoeReadJobReferenceTool(client=client)
    artifact_key = f"agent-job-{agent_job_id}/extraction_123.json"
    model = ScriptedChatModel(  # what a model does here: read the job, then check one citation
        messages=iter(
            [
                AIMessage("", tool_calls=[_call(read_job.name, {"agent_job_id": agent_job_id}, 1)]),
                AIMessage(
                    "",
                    tool_calls=[
                        _call(
                            read_evidence.name,
                            {"agent_job_id": agent_job_id, "reference": artifact_key},
                            2,
                        )
                    ],
                ),
                AIMessage(
                    "The five $9,500 deposits in the extraction confirm the structuring finding."
                ),
            ]
        )
    )
    agent = create_agent(model, [read_job, read_evidence])
    state = agent.invoke(
        {"messages": [{"role": "user", "content": f"Is job {agent_job_id}'s verdict backed?"}]}
    )
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    for message in tool_messages:
        print(f"--- {message.name}\n{message.content[:600]}\n")
    print(state["messages"][-1].text)
    return tool_messages


def _call(name: str, args: dict[str, str], n: int) -> dict[str, object]:
    return {"name": name, "args": args, "id": f"call-{n}"}


if __name__ == "__main__":
    main()
