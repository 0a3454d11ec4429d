"""`langchain_roe.replay`: what a recorded session answers, and what it says when it cannot."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from langchain_roe import (
    RoeAgentJobResultLoader,
    RoeAgentRunLoader,
    RoeReadJobReferenceTool,
    find_references,
)
from langchain_roe.replay import (
    DEMO_SESSION,
    EVIDENCE_SESSION,
    RUN_SESSION,
    RUN_SESSION_AGENT_ID,
    SYNC_SESSION,
    SYNC_SESSION_AGENT_ID,
    replay_client,
)
from tests.support import example_jobs as jobs

MISTYPED = jobs.WEB[:-1] + "1"  # one character off a recorded job's id


def test_a_request_it_cannot_answer_names_the_nearest_recorded_requests() -> None:
    with pytest.raises(LookupError) as caught:
        replay_client().get_result(MISTYPED)
    message = str(caught.value)
    assert f"no answer for GET /v1/agents/jobs/{MISTYPED}/result/;" in message
    nearest = message.split("the nearest it recorded: ")[1].split(";")[0]
    assert nearest == f"GET /v1/agents/jobs/{jobs.WEB}/result/"  # the one a typo came from
    assert "holds the jobs" not in message


def test_the_nearest_requests_carry_their_query() -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        SYNC_SESSION_AGENT_ID, client=replay_client(SYNC_SESSION), page_size=5
    )
    with pytest.raises(LookupError) as caught:
        loader.load()
    nearest = str(caught.value).split("the nearest it recorded: ")[1].split("; set ")[0]
    assert nearest.split("; ")[0] == (
        f"GET /v1/agents/{SYNC_SESSION_AGENT_ID}/jobs/?ordering=created_at%2Cid&page_size=4"
    )
    assert len(nearest.split("; ")) == 3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_run_with_a_binary_upload_is_a_lookup_error_not_a_decode_error(
    tmp_path: Path, mode: str
) -> None:
    upload = tmp_path / "scan.bin"
    upload.write_bytes(b"\xff\xfe\x00\x81 not text")
    loader = RoeAgentRunLoader(
        RUN_SESSION_AGENT_ID, [{"text": upload}], client=replay_client(RUN_SESSION)
    )
    load = loader.load if mode == "sync" else lambda: asyncio.run(loader.aload())
    with pytest.raises(LookupError, match="with this body \\(it recorded another\\)"):
        load()


def finished_results(session: Path) -> list[str]:
    """The jobs whose result the session answers (GET .../result/ with 200)."""
    with session.open(encoding="utf-8") as handle:
        interactions: list[dict[str, Any]] = yaml.safe_load(handle)["interactions"]
    found = []
    for interaction in interactions:
        url = httpx.URL(interaction["request"]["uri"])
        if url.path.endswith("/result/") and interaction["response"]["status"]["code"] == 200:
            parts = url.path.strip("/").split("/")
            if parts[:3] == ["v1", "agents", "jobs"] and len(parts) == 5:
                found.append(parts[3])
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("session", [DEMO_SESSION, EVIDENCE_SESSION, RUN_SESSION])
def test_following_the_result_tool_s_advice_works_offline(session: Path) -> None:
    """Every reference the result tool tells a model it can read, the session serves."""
    client = replay_client(session)
    reference_tool = RoeReadJobReferenceTool(client=client)
    read = 0
    for agent_job_id in finished_results(session):
        # What the result tool's text lists under "cites", as the output gives each value.
        for cited in find_references(client.get_result(agent_job_id).outputs):
            answer = reference_tool.invoke(
                {
                    "type": "tool_call",
                    "id": "c",
                    "name": reference_tool.name,
                    "args": {"agent_job_id": agent_job_id, "reference": cited.value},
                }
            )
            assert answer.status == "success", answer.content
            read += 1
    assert read >= {DEMO_SESSION: 5, EVIDENCE_SESSION: 2}.get(session, 0)
