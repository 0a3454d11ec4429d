"""The approval recipe (`examples/approve_runs.py`): LangChain's `HumanInTheLoopMiddleware` puts
each run (and cancel) to a person before it reaches Roe, and `ToolCallLimitMiddleware` caps the
runs of a conversation; asserted on what the in-memory API saw, and when."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, ToolMessage

from examples import approve_runs
from examples._offline import ScriptedChatModel
from langchain_roe.replay import RUN_SESSION_TEXT
from tests.support import example_jobs as jobs
from tests.support.fake_api import FakeRoeAPI
from tests.support.mock_api import mock_client

RUN_TOOL = "roe_run_my_agent_123e4567"


def runs(api: FakeRoeAPI) -> list[str]:
    return [path for method, path in api.requests if method == "POST" and "/run/" in path]


def tool_messages(messages: list[Any]) -> list[ToolMessage]:
    return [m for m in messages if isinstance(m, ToolMessage)]


def test_the_person_is_asked_before_the_run_and_the_limit_refuses_the_second() -> None:
    api = FakeRoeAPI(jobs.example_jobs())
    started_when_asked: list[int] = []

    def approve(request: dict[str, Any]) -> dict[str, Any]:
        started_when_asked.append(len(runs(api)))
        return {"type": "approve"}

    asked, messages = approve_runs.main(approve, client=mock_client(api.respond))
    assert [(r["name"], r["args"]) for r in asked] == [(RUN_TOOL, {"text": RUN_SESSION_TEXT})]
    assert started_when_asked == [0]  # nothing had reached Roe when the person was asked
    assert len(runs(api)) == 1  # the second run, over the limit, never did
    first, second = tool_messages(messages)
    assert first.status == "success"
    assert '"summary": "hello world!"' in first.text
    assert second.text == f"Tool call limit exceeded. Do not call '{RUN_TOOL}' again."


def test_a_rejected_run_never_reaches_roe() -> None:
    api = FakeRoeAPI(jobs.example_jobs())

    def reject(request: dict[str, Any]) -> dict[str, Any]:
        return {"type": "reject", "message": "Not today."}

    asked, messages = approve_runs.main(reject, client=mock_client(api.respond))
    assert [r["name"] for r in asked] == [RUN_TOOL]
    assert runs(api) == []
    assert "Not today." in tool_messages(messages)[0].text


def test_a_cancel_is_put_to_the_person_too() -> None:
    api = FakeRoeAPI(jobs.example_jobs())
    cancel = {"name": "roe_cancel_agent_job", "args": {"agent_job_id": jobs.RUNNING}, "id": "c-1"}
    model = ScriptedChatModel(
        messages=iter([AIMessage(content="", tool_calls=[cancel]), AIMessage(content="Stopped.")])
    )
    cancels_when_asked: list[int] = []

    def approve(request: dict[str, Any]) -> dict[str, Any]:
        cancels_when_asked.append(len(api.cancels))
        return {"type": "approve"}

    asked, messages = approve_runs.main(approve, client=mock_client(api.respond), model=model)
    assert [(r["name"], r["args"]) for r in asked] == [("roe_cancel_agent_job", cancel["args"])]
    assert cancels_when_asked == [0]
    assert api.cancels == [jobs.RUNNING]
    assert tool_messages(messages)[0].artifact == {"agent_job_id": jobs.RUNNING, "cancelled": True}
