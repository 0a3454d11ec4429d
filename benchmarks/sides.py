"""The sides `make bench` compares: the floors (bare scripts), the same work by hand, ours, the SDK."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import orjson
from langchain_core.documents import Document

from langchain_roe import RoeAgentJobResultLoader, RoeAgentJobResultTool, RoeClient
from langchain_roe._convert._documents import DOCUMENT_ID_NAMESPACE
from langchain_roe._core._calls import chunked
from tests.support.loopback import LISTED_AGENT_ID

KEY = "bench-key"
LISTING_PAGE = 500
SDK_ORGANIZATION = "00000000-0000-4000-8000-000000000000"


# The floor: what a careful hand-written script does, with nothing extra.


def floor_documents(items: list[dict[str, Any]]) -> list[Document]:
    return [
        Document(page_content=o["value"], metadata={"agent_job_id": item["id"], "key": o["key"]})
        for item in items
        for o in item["result"]
    ]


NAMESPACE = uuid.UUID(DOCUMENT_ID_NAMESPACE)


def same_documents_by_hand(items: list[dict[str, Any]], base_url: str) -> list[Document]:
    """The floor doing our work: the same content, ids and metadata, written plainly with orjson."""
    documents = []
    for item in items:
        agent_job_id = item["id"]
        shared = {
            "source": f"{base_url}/v1/agents/jobs/{agent_job_id}/result/",
            "agent_job_id": agent_job_id,
            "agent_id": item["agent_id"],
            "agent_version_id": item["agent_version_id"],
            "input_tokens": item["input_tokens"],
            "output_tokens": item["output_tokens"],
            "status": "SUCCESS",
        }
        for index, output in enumerate(item["result"]):
            text = orjson.dumps(orjson.loads(output["value"]), option=orjson.OPT_INDENT_2).decode()
            metadata = {
                **shared,
                "key": output["key"],
                "data_type": output["data_type"],
                "description": output["description"],
                "cost": output["cost"],
                "output_index": index,
            }
            documents.append(
                Document(
                    id=str(uuid.uuid5(NAMESPACE, f"{agent_job_id}/{index}")),
                    page_content=text,
                    metadata=metadata,
                )
            )
    return documents


async def floor_bulk(
    base_url: str,
    ids: list[str],
    concurrency: int,
    convert: Callable[[list[dict[str, Any]]], list[Document]] = floor_documents,
    *,
    keep: bool = True,
) -> list[Document]:
    """The floor: chunks of 1000 ids, `concurrency` in flight, bare Documents; kept in one list, or
    (`keep=False`, the streaming floor) dropped chunk by chunk as a streaming consumer would."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:

        async def chunk(chunk_ids: list[str]) -> list[Document]:
            async with limit:
                response = await http.post(
                    "/v1/agents/jobs/results/",
                    json={"job_ids": chunk_ids},
                    headers={"Authorization": f"Bearer {KEY}"},
                )
            documents = convert(json.loads(response.content))
            return documents if keep else documents[:0]

        parts = await asyncio.gather(*(chunk(c) for c in chunked(ids)))
    return [document for part in parts for document in part]


async def ours_bulk(base_url: str, ids: list[str], concurrency: int) -> list[Document]:
    client = RoeClient(api_key=KEY, base_url=base_url)
    try:
        loader = RoeAgentJobResultLoader(ids, client=client, max_concurrency=concurrency)
        return await loader.aload()
    finally:
        await client.aclose()


def floor_sequential(base_url: str, ids: list[str], *, keep: bool = True) -> list[Document]:
    """The plain floor: one sync client, one chunk of 1000 ids after another, `json.loads`, bare
    Documents; kept in one list, or (`keep=False`) dropped chunk by chunk as a streaming consumer
    would."""
    documents: list[Document] = []
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for chunk_ids in chunked(ids):
            response = http.post(
                "/v1/agents/jobs/results/",
                json={"job_ids": chunk_ids},
                headers={"Authorization": f"Bearer {KEY}"},
            )
            made = floor_documents(json.loads(response.content))
            if keep:
                documents.extend(made)
    return documents


def ours_kept(base_url: str, ids: list[str]) -> list[Document]:
    """`load()`, every Document kept."""
    with RoeClient(api_key=KEY, base_url=base_url) as client:
        return RoeAgentJobResultLoader(ids, client=client).load()


def ours_streamed(base_url: str, ids: list[str], concurrency: int = 4) -> int:
    """`lazy_load`, each Document dropped once seen, as a streaming consumer does."""
    with RoeClient(api_key=KEY, base_url=base_url) as client:
        loader = RoeAgentJobResultLoader(ids, client=client, max_concurrency=concurrency)
        return sum(1 for _ in loader.lazy_load())


def sdk_bulk(base_url: str, ids: list[str], chunk_delay: float | None = 0) -> list[Document]:
    """The official SDK's batch retrieval (a benchmark-only dependency), then bare Documents."""
    from roe import RoeClient as SdkClient

    sdk = SdkClient(
        api_key=KEY,
        organization_id=SDK_ORGANIZATION,
        base_url=base_url,
        batch_chunk_delay=chunk_delay,  # None: the SDK's default, 10 s between chunks
    )
    items = sdk.agents.jobs.retrieve_result_many(ids)
    return [
        Document(page_content=o.value, metadata={"agent_job_id": str(item.id), "key": o.key})
        for item in items
        for o in item.result
    ]


def listed_documents_by_hand(
    base_url: str, concurrency: int, params: dict[str, str] | None = None, *, keep: bool = False
) -> list[Document] | int:
    """A hand-written list-then-batch script: list every page of the agent's jobs, then read their
    results 1000 ids a request with `concurrency` in flight, making our Documents (listing facts
    included) and dropping them as a streaming consumer would (`keep=False`)."""

    async def run() -> list[Document] | int:
        headers = {"Authorization": f"Bearer {KEY}"}
        listed: dict[str, dict[str, Any]] = {}
        async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=headers) as http:
            url: str | None = f"/v1/agents/{LISTED_AGENT_ID}/jobs/"
            query: dict[str, str] | None = {
                "ordering": "created_at,id",
                "page_size": str(LISTING_PAGE),
                **(params or {}),
            }
            while url is not None:
                page = (await http.get(url, params=query)).json()
                for job in page["results"]:
                    if job["status_code"] in (3, 6):
                        listed[job["id"]] = job
                url, query = page["next"], None
            limit = asyncio.Semaphore(concurrency)

            async def chunk(chunk_ids: list[str]) -> list[Document]:
                async with limit:
                    response = await http.post(
                        "/v1/agents/jobs/results/", json={"job_ids": chunk_ids}
                    )
                documents = same_documents_by_hand(orjson.loads(response.content), base_url)
                for document in documents:
                    job = listed[document.metadata["agent_job_id"]]
                    document.metadata["created_at"] = datetime.fromisoformat(
                        job["created_at"]
                    ).isoformat()
                    document.metadata["agent_version_name"] = job["agent_version_name"]
                    for key, value in job["metadata"].items():
                        document.metadata[f"job_metadata_{key}"] = value
                return documents if keep else documents[:0]

            parts = await asyncio.gather(*(chunk(c) for c in chunked(list(listed))))
        if keep:
            return [document for part in parts for document in part]
        return sum(len(part) for part in parts)

    return asyncio.run(run())


def floor_single(http: httpx.Client, ids: list[str]) -> None:
    """The tool calls' floor: one bare GET and `json.loads` per job, in turn."""
    for agent_job_id in ids:
        response = http.get(
            f"/v1/agents/jobs/{agent_job_id}/result/",
            headers={"Authorization": f"Bearer {KEY}"},
        )
        json.loads(response.content)


def ours_single(tool: RoeAgentJobResultTool, ids: list[str]) -> None:
    """One `ToolCall` per job, in turn, as an agent makes them."""
    for n, agent_job_id in enumerate(ids):
        tool.invoke(
            {
                "type": "tool_call",
                "id": str(n),
                "name": tool.name,
                "args": {"agent_job_id": agent_job_id},
            }
        )
