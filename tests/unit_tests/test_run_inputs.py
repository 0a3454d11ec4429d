"""A run's inputs on the wire (issue 21): every value sent, files read whole, checked before any job.

The loopback server records every request it reads (`LoopbackServer.received`) and parses forms
into lists where a name repeats, so each assertion is about what reached the server.
"""

from __future__ import annotations

import asyncio
import io
import os
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from langchain_roe import RoeAgentRunLoader, RoeClient, RoeError
from tests.conftest import Invoke
from tests.support.agents import AGENT_ID
from tests.support.loopback import LoopbackServer, ServerConfig
from tests.support.mock_api import Script, json_response, mock_client

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
FILE_IDS = ["3c90c3cc-0d44-4b50-8888-8dd25736052a", "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"]


@pytest.fixture
def server() -> Any:
    with LoopbackServer(ServerConfig(outputs=1)) as running:
        yield running


def client_for(server: LoopbackServer, **settings: Any) -> RoeClient:
    return RoeClient(api_key="loopback-key", base_url=server.base_url, **settings)


def load(loader: RoeAgentRunLoader, mode: str) -> list[Any]:
    return loader.load() if mode == "sync" else asyncio.run(loader.aload())


def run_posts(server: LoopbackServer) -> list[Any]:
    return [r for r in server.received if r.method == "POST" and "/run/" in r.path]


# Several values for one input -------------------------------------------------------------------


def test_several_file_ids_for_one_input_are_all_sent(invoke: Invoke) -> None:
    script = Script([json_response(200, JOB)])
    invoke(mock_client(script).run_agent, AGENT_ID, {"documents": FILE_IDS, "question": "q"})
    (request,) = script.requests
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    fields = urllib.parse.parse_qs(request.content.decode())
    assert fields == {"documents": FILE_IDS, "question": ["q"]}
    assert request.headers["Idempotency-Key"]


def test_several_files_for_one_input_are_all_uploaded(invoke: Invoke, tmp_path: Path) -> None:
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    first.write_bytes(b"%PDF first")
    second.write_bytes(b"%PDF second")
    script = Script([json_response(200, JOB)])
    inputs = {"pages": [first, second, b"third"], "question": "q"}
    invoke(mock_client(script).run_agent, AGENT_ID, inputs)
    body = script.requests[0].content
    assert body.count(b'form-data; name="pages"') == 3
    for content in (b"%PDF first", b"%PDF second", b"third"):
        assert content in body


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_run_loader_sends_every_value_of_an_input(server: LoopbackServer, mode: str) -> None:
    given: list[dict[str, Any]] = [
        {"url": ["https://a", "https://b"], "question": "q0"},
        {"url": "https://c", "question": "q1"},
    ]
    documents = load(RoeAgentRunLoader(AGENT_ID, given, client=client_for(server)), mode)
    assert sorted({d.metadata["input_index"] for d in documents}) == [0, 1]
    sent = {job.inputs["question"]: job.inputs["url"] for job in server.runs.jobs.values()}
    assert sent == {"q0": ["https://a", "https://b"], "q1": "https://c"}


def test_several_values_are_refused_by_the_many_inputs_endpoint_before_any_request(
    invoke: Invoke,
) -> None:
    script = Script([json_response(200, [JOB, JOB])])
    given = [{"url": "https://a"}, {"url": ["https://b", "https://c"]}]
    with pytest.raises(ValueError, match=r"inputs\[1\] holds several values for 'url'"):
        invoke(mock_client(script).run_agent_many, AGENT_ID, given)
    assert script.requests == []


def test_an_empty_list_of_values_is_refused_before_any_request(
    invoke: Invoke, server: LoopbackServer
) -> None:
    with pytest.raises(ValueError, match="'url' is an empty list"):
        invoke(client_for(server).run_agent, AGENT_ID, {"url": [], "question": "q"})
    with pytest.raises(ValueError, match=r"inputs\[0\]: input 'url' is an empty list"):
        RoeAgentRunLoader(AGENT_ID, [{"url": [], "question": "q"}], client=client_for(server))
    assert server.requests == 0


# File objects ------------------------------------------------------------------------------------


def test_one_file_object_for_two_inputs_uploads_it_whole_twice(invoke: Invoke) -> None:
    stream = io.BytesIO(b"%PDF-1.7 whole")
    stream.name = "doc.pdf"
    script = Script([json_response(200, JOB)])
    invoke(mock_client(script).run_agent, AGENT_ID, {"a": stream, "b": stream})
    assert script.requests[0].content.count(b"%PDF-1.7 whole") == 2


def test_a_file_object_already_read_is_rewound_and_sent_whole(invoke: Invoke) -> None:
    stream = io.BytesIO(b"all of it")
    stream.read()
    script = Script([json_response(200, JOB)])
    invoke(mock_client(script).run_agent, AGENT_ID, {"document": stream})
    assert b"all of it" in script.requests[0].content


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_second_load_uploads_the_file_object_whole_again(
    server: LoopbackServer, tmp_path: Path, mode: str
) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(b"<html>12345</html>")
    with page.open("rb") as handle:
        loader = RoeAgentRunLoader(
            AGENT_ID, [{"url": handle, "question": "q"}], client=client_for(server)
        )
        load(loader, mode)
        load(loader, mode)
    assert [job.inputs["url"] for job in server.runs.jobs.values()] == ["file:page.html:18"] * 2


class Unseekable(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return 0


# Everything checked before the first job ---------------------------------------------------------


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Any, str]]:
    text = tmp_path / "notes.txt"
    text.write_text("some text")
    closed = text.open("rb")
    closed.close()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    return {
        "text-mode file": (text.open("r", encoding="utf-8"), "binary mode"),
        "StringIO": (io.StringIO("text"), "binary mode"),
        "write-only file": ((tmp_path / "out.bin").open("wb"), "not open for reading"),
        "closed file": (closed, "is closed"),
        "unseekable stream": (Unseekable(), "cannot seek"),
        "directory": (tmp_path, "it is a directory"),
        "FIFO": (fifo, "not a regular file"),
        "missing file": (tmp_path / "missing.pdf", "is not a readable file"),
        "past max_upload_bytes": (b"x" * 2049, "past max_upload_bytes=2,048"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "text-mode file",
        "StringIO",
        "write-only file",
        "closed file",
        "unseekable stream",
        "directory",
        "FIFO",
        "missing file",
        "past max_upload_bytes",
    ],
)
def test_the_run_loader_checks_every_file_before_the_first_job(
    server: LoopbackServer, tmp_path: Path, case: str
) -> None:
    value, problem = _bad_inputs(tmp_path)[case]
    good = tmp_path / "good.pdf"
    good.write_bytes(b"%PDF")
    given: list[dict[str, Any]] = [{"url": good, "question": "q0"}, {"url": "https://x"}]
    given.append({"url": value, "question": "q2"})
    with pytest.raises(ValueError, match=r"inputs\[2\]\['url'\]") as caught:
        RoeAgentRunLoader(AGENT_ID, given, client=client_for(server, max_upload_bytes=2048))
    assert problem in str(caught.value)
    assert server.requests == 0


@pytest.mark.parametrize("case", ["text-mode file", "StringIO", "directory", "FIFO"])
def test_a_single_run_refuses_an_unusable_file_before_any_request(
    invoke: Invoke, tmp_path: Path, case: str
) -> None:
    value, problem = _bad_inputs(tmp_path)[case]
    script = Script([json_response(200, JOB)])
    with pytest.raises(ValueError, match=problem):
        invoke(mock_client(script).run_agent, AGENT_ID, {"document": value})
    assert script.requests == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_a_file_without_read_permission_is_refused_before_the_first_job(
    server: LoopbackServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF")
    secret.chmod(0)
    given: list[dict[str, Any]] = [{"url": "https://x"}, {"url": secret, "question": "q"}]
    with pytest.raises(ValueError, match="Permission denied"):
        RoeAgentRunLoader(AGENT_ID, given, client=client_for(server))
    assert server.requests == 0


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_file_gone_after_the_check_fails_its_input_alone_and_earlier_jobs_load(
    server: LoopbackServer, tmp_path: Path, mode: str
) -> None:
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    first.write_bytes(b"%PDF one")
    second.write_bytes(b"%PDF two")
    given = [{"url": first, "question": "q0"}, {"url": second, "question": "q1"}]
    loader = RoeAgentRunLoader(AGENT_ID, given, client=client_for(server), continue_on_failure=True)
    second.unlink()  # after the check, before the load
    documents = load(loader, mode)
    assert {d.metadata["input_index"] for d in documents} == {0}
    assert list(loader.failures) == [1]
    assert isinstance(loader.failures[1], RoeError)
    assert "inputs[1] was not sent" in loader.failures[1].message
    assert server.runs.created == 1


# The upload cap -----------------------------------------------------------------------------------


def test_the_upload_cap_is_a_setting_checked_before_any_request(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Script([json_response(200, JOB)])
    client = mock_client(script, max_upload_bytes=4)
    with pytest.raises(ValueError, match="past max_upload_bytes=4"):
        invoke(client.run_agent, AGENT_ID, {"document": b"12345"})
    invoke(client.run_agent, AGENT_ID, {"document": b"1234"})  # at the cap: sent
    assert len(script.requests) == 1
    monkeypatch.setenv("ROE_MAX_UPLOAD_BYTES", "2048")
    assert RoeClient(api_key="k").settings.max_upload_bytes == 2048
    assert RoeClient(api_key="k", max_upload_bytes=1).settings.max_upload_bytes == 1


def test_a_file_is_held_in_memory_once_while_its_run_is_encoded(tmp_path: Path) -> None:
    import tracemalloc

    from langchain_roe._core._runs import run_call

    size = 16 * 1024 * 1024
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * size)
    tracemalloc.start()
    try:
        call = run_call(AGENT_ID, {"document": big})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert call.files is not None
    assert peak < 1.5 * size


# Keys and the cache header, observed on the wire --------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_single_text_run_of_the_loader_is_a_keyed_single_run(
    server: LoopbackServer, mode: str
) -> None:
    load(
        RoeAgentRunLoader(
            AGENT_ID, [{"url": "https://a", "question": "q"}], client=client_for(server)
        ),
        mode,
    )
    (post,) = run_posts(server)
    assert post.path == f"/v1/agents/run/{AGENT_ID}/async/"
    assert post.headers["idempotency-key"]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("count", [1, 3])
def test_skip_cache_reaches_the_wire_on_every_run_path(
    server: LoopbackServer, mode: str, count: int
) -> None:
    given = [{"url": f"https://{n}", "question": "q"} for n in range(count)]
    loader = RoeAgentRunLoader(AGENT_ID, given, client=client_for(server), skip_cache=True)
    load(loader, mode)
    (post,) = run_posts(server)
    assert post.path.endswith("/async/many/" if count > 1 else "/async/")
    assert post.headers["x-skip-cache"] == "true"
    assert post.headers["idempotency-key"]
    plain = RoeAgentRunLoader(AGENT_ID, given, client=client_for(server))
    load(plain, mode)
    assert "x-skip-cache" not in run_posts(server)[-1].headers
