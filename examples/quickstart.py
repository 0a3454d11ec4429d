"""Quickstart: a job's outputs as Documents (the loader) and as text for a model (the tool).

Run: python -m examples.quickstart   (offline on the recorded session unless ROE_API_KEY is set)
"""

from __future__ import annotations

from examples._offline import example_client, example_job_ids
from langchain_roe import RoeAgentJobResultLoader, RoeAgentJobResultTool


def main() -> None:
    client = example_client()  # in your code: RoeClient(), or pass api_key=... to the loader/tool
    job_ids = example_job_ids()

    loader = RoeAgentJobResultLoader(job_ids, client=client, continue_on_failure=True)
    for document in loader.lazy_load():
        print(
            document.metadata["agent_job_id"],
            document.metadata["key"],
            document.metadata.get("cost"),
        )
        print(document.page_content[:120], "\n")

    tool = RoeAgentJobResultTool(client=client)
    call = {"type": "tool_call", "id": "1", "name": tool.name, "args": {"agent_job_id": job_ids[0]}}
    message = tool.invoke(call)
    print(message.content)  # what a model reads; message.artifact holds the whole result


if __name__ == "__main__":
    main()
