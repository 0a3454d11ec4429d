"""Every surface pickles into a working object: shipped to a real process pool, it does its job.

Ray, Spark, Dask and multiprocessing ship loaders and tools to workers by pickling them. The pools
and locks do not travel; the copy opens its own on first use. The key travels (the worker needs
it) but no repr shows it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx
import pytest
from langchain_core.documents import Document

from langchain_roe import (
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
    RoeClient,
    RoeJobResultRetriever,
    RoeReadJobReferenceTool,
    RoeRunAgentTool,
    RoeToolkit,
)
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

KEY = "pickled-loopback-key-0123456789"
IDS = job_ids(12)
AGENT = "5eb1a2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig(listed_jobs=12, outputs=2)) as running:
        yield running


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    # spawn: a fresh interpreter that shares nothing with this one but the pickled bytes
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def client_for(server: LoopbackServer) -> RoeClient:
    return RoeClient(api_key=KEY, base_url=server.base_url, max_retries=0)


def as_pairs(documents: list[Document]) -> list[tuple[str | None, str, dict[str, Any]]]:
    return [(d.id, d.page_content, d.metadata) for d in documents]


# What the workers do: each gets a pickled object and uses it there.


def load_in_worker(loader: RoeAgentJobResultLoader) -> list[tuple[str | None, str, dict[str, Any]]]:
    return as_pairs(loader.load())


def aload_in_worker(
    loader: RoeAgentJobResultLoader,
) -> list[tuple[str | None, str, dict[str, Any]]]:
    return as_pairs(asyncio.run(loader.aload()))


def retrieve_in_worker(
    retriever: RoeJobResultRetriever,
) -> list[tuple[str | None, str, dict[str, Any]]]:
    return as_pairs(retriever.invoke("refund"))


def call_tool_in_worker(tool: RoeAgentJobResultTool, agent_job_id: str) -> str:
    return str(tool.invoke({"agent_job_id": agent_job_id}))


def toolkit_in_worker(toolkit: RoeToolkit) -> list[tuple[str, dict[str, Any]]]:
    return [(tool.name, tool.args) for tool in toolkit.get_tools()]


def result_in_worker(client: RoeClient, agent_job_id: str) -> list[str]:
    return [output.key for output in client.get_result(agent_job_id).outputs]


def in_worker(pool: ProcessPoolExecutor, work: Callable[..., Any], *args: Any) -> Any:
    return pool.submit(work, *args).result(timeout=90)


def test_a_loader_loads_the_same_documents_in_a_worker(
    server: LoopbackServer, pool: ProcessPoolExecutor
) -> None:
    loader = RoeAgentJobResultLoader(IDS, client=client_for(server))
    here = as_pairs(loader.load())  # the pools opened here stay here; the copy opens its own
    assert len(here) == 2 * len(IDS)
    assert in_worker(pool, load_in_worker, loader) == here
    assert in_worker(pool, aload_in_worker, loader) == here


def test_a_loader_made_from_settings_pickles_too(
    server: LoopbackServer, pool: ProcessPoolExecutor
) -> None:
    loader = RoeAgentJobResultLoader(IDS[:3], api_key=KEY, base_url=server.base_url)
    assert len(in_worker(pool, load_in_worker, loader)) == 6


def test_a_loader_from_an_agent_listing_pickles(
    server: LoopbackServer, pool: ProcessPoolExecutor
) -> None:
    loader = RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=client_for(server))
    assert in_worker(pool, load_in_worker, loader) == as_pairs(loader.load())


def test_the_retriever_answers_in_a_worker(
    server: LoopbackServer, pool: ProcessPoolExecutor
) -> None:
    retriever = RoeJobResultRetriever(agent_id=LISTED_AGENT_ID, client=client_for(server), k=3)
    here = as_pairs(retriever.invoke("refund"))
    assert here  # something to compare
    assert in_worker(pool, retrieve_in_worker, retriever) == here


def test_the_result_tool_answers_in_a_worker(
    server: LoopbackServer, pool: ProcessPoolExecutor
) -> None:
    tool = RoeAgentJobResultTool(client=client_for(server))
    here = str(tool.invoke({"agent_job_id": IDS[0]}))
    assert IDS[0] in here
    assert in_worker(pool, call_tool_in_worker, tool, IDS[0]) == here


def test_a_run_tool_and_the_toolkit_keep_their_schema_and_settings(
    server: LoopbackServer, pool: ProcessPoolExecutor
) -> None:
    client = client_for(server)
    run = RoeRunAgentTool(
        agent_id=AGENT,
        agent_name="Invoice extractor",
        input_definitions=[
            {"key": "invoice", "data_type": "application/pdf", "description": "The invoice"},
            {"key": "note", "data_type": "text/plain", "example": "rush"},
        ],
        wait_timeout=42,
        skip_cache=True,
        client=client,
    )
    toolkit = RoeToolkit(
        tools=[run, RoeAgentJobResultTool(client=client), RoeReadJobReferenceTool(client=client)]
    )
    copy = pickle.loads(pickle.dumps(run))
    assert (copy.name, copy.description, copy.args) == (run.name, run.description, run.args)
    assert (copy.wait_timeout, copy.skip_cache, copy.agent_id) == (42, True, AGENT)
    assert copy.client.settings == client.settings
    assert in_worker(pool, toolkit_in_worker, toolkit) == [(t.name, t.args) for t in toolkit.tools]


def test_a_renamed_run_tool_keeps_its_name(server: LoopbackServer) -> None:
    run = RoeRunAgentTool(
        agent_id=AGENT,
        input_definitions=[{"key": "q", "data_type": "text/plain"}],
        name="ask_roe",
        client=client_for(server),
    )
    assert pickle.loads(pickle.dumps(run)).name == "ask_roe"


def test_a_used_client_pickles_and_its_copy_opens_its_own_pools(
    server: LoopbackServer, pool: ProcessPoolExecutor
) -> None:
    client = client_for(server)
    keys = [o.key for o in client.get_result(IDS[1]).outputs]
    assert asyncio.run(client.aget_result(IDS[1])).outputs  # an async pool opened too
    copy = pickle.loads(pickle.dumps(client))
    assert copy.settings == client.settings
    assert [o.key for o in copy.get_result(IDS[1]).outputs] == keys
    assert in_worker(pool, result_in_worker, client, IDS[1]) == keys
    client.close()
    copy.close()


def test_the_key_travels_but_no_repr_shows_it(server: LoopbackServer) -> None:
    client = client_for(server)
    surfaces: list[object] = [
        client,
        RoeAgentJobResultLoader(IDS, client=client),
        RoeAgentJobResultTool(client=client),
        RoeJobResultRetriever(agent_id=LISTED_AGENT_ID, client=client),
    ]
    for surface in surfaces:
        copy = pickle.loads(pickle.dumps(surface))
        assert KEY not in repr(copy)
        assert KEY not in str(copy)
    copied = pickle.loads(pickle.dumps(client))
    assert copied.settings.api_key is not None
    assert copied.settings.api_key.get_secret_value() == KEY


def test_a_client_on_pools_of_your_own_refuses_to_pickle(server: LoopbackServer) -> None:
    with httpx.Client() as own:
        client = RoeClient(api_key=KEY, base_url=server.base_url, http_client=own)
        with pytest.raises(TypeError, match="http_client"):
            pickle.dumps(client)
    async_client = RoeClient(api_key=KEY, async_http_client=httpx.AsyncClient())
    with pytest.raises(TypeError, match="async_http_client"):
        pickle.dumps(async_client)
