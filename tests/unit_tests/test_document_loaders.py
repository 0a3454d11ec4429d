"""The loader over scripted answers: input checks, chunks, concurrency, streaming, failures, waiting."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from typing import Any

import httpx
import pytest

from langchain_roe import (
    AuthenticationError,
    ConfigurationError,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    RoeAgentJobResultLoader,
    RoeClient,
    ServerError,
)
from tests.conftest import Invoke
from tests.support.mock_api import Script, json_response, mock_client

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"


def ids(count: int) -> list[str]:
    return [str(uuid.UUID(int=n + 1)) for n in range(count)]


def item(agent_job_id: str, status: int | None = 3, outputs: int = 2) -> dict[str, Any]:
    result = [
        {"key": f"out{n}", "data_type": "text/plain", "value": f"{agent_job_id}:{n}"}
        for n in range(outputs)
    ]
    return {"id": agent_job_id, "status": status, "result": result if status in (3, 6) else None}


def results_server(status: int = 3) -> Script:
    def answer(request: httpx.Request) -> httpx.Response:
        asked = json.loads(request.content)["job_ids"]
        return json_response(200, [item(i, status) for i in reversed(asked)])

    return Script([answer])


@pytest.mark.parametrize("bad", [None, [], (), "not-a-uuid", [JOB, "nope"], 42, [JOB, None]])
def test_bad_ids_fail_before_any_request(bad: Any) -> None:
    script = results_server()
    with pytest.raises(ValueError, match=r"agent_job_ids?\b"):
        RoeAgentJobResultLoader(bad, client=mock_client(script))
    assert script.requests == []


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("max_concurrency", 0),
        ("max_concurrency", 1.5),
        ("batch_size", 1001),
        ("batch_size", 0),
        ("wait_timeout", 0),
        ("output_keys", []),
        ("output_keys", [""]),
    ],
)
def test_bad_options_fail_before_any_request(option: str, value: Any) -> None:
    script = results_server()
    with pytest.raises(ValueError, match=option):
        RoeAgentJobResultLoader(JOB, client=mock_client(script), **{option: value})
    assert script.requests == []


def test_a_client_and_settings_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="either client"):
        RoeAgentJobResultLoader(JOB, client=RoeClient(api_key="k"), timeout=3)


def test_settings_build_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROE_MAX_RETRIES", "1")
    loader = RoeAgentJobResultLoader(JOB, api_key="k", timeout=7)
    assert (loader.client.settings.timeout, loader.client.settings.max_retries) == (7.0, 1)


def test_duplicates_load_once_in_first_seen_order(invoke: Invoke) -> None:
    a, b = ids(2)
    script = results_server()
    loader = RoeAgentJobResultLoader([b, a.upper(), b, uuid.UUID(a)], client=mock_client(script))
    documents = invoke(loader.load)
    assert [d.metadata["agent_job_id"] for d in documents] == [b, b, a, a]
    assert json.loads(script.requests[0].content) == {"job_ids": [b, a]}


def test_batches_of_batch_size_and_job_order_kept(invoke: Invoke) -> None:
    wanted = ids(25)
    script = results_server()
    loader = RoeAgentJobResultLoader(wanted, client=mock_client(script), batch_size=10)
    documents = invoke(loader.load)
    sizes = sorted(len(json.loads(r.content)["job_ids"]) for r in script.requests)
    assert sizes == [5, 10, 10]
    assert [d.metadata["agent_job_id"] for d in documents[::2]] == wanted
    assert [d.metadata["output_index"] for d in documents[:4]] == [0, 1, 0, 1]


def test_the_per_job_path_asks_one_job_per_request(invoke: Invoke) -> None:
    wanted = ids(5)

    def answer(request: httpx.Request) -> httpx.Response:
        agent_job_id = request.url.path.split("/")[-3]
        body = item(agent_job_id)
        return json_response(200, {"outputs": body["result"], "agent_id": None})

    script = Script([answer])
    loader = RoeAgentJobResultLoader(wanted, client=mock_client(script), use_batch_endpoint=False)
    documents = invoke(loader.load)
    assert sorted(r.url.path.split("/")[-3] for r in script.requests) == sorted(wanted)
    assert [d.metadata["agent_job_id"] for d in documents[::2]] == wanted


@pytest.mark.parametrize("max_concurrency", [1, 3])
def test_sync_requests_in_flight_stay_within_max_concurrency(max_concurrency: int) -> None:
    lock = threading.Lock()
    in_flight, peak = [0], [0]
    release = threading.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            if peak[0] >= max_concurrency:
                release.set()
        release.wait(timeout=2)
        with lock:
            in_flight[0] -= 1
        agent_job_id = request.url.path.split("/")[-3]
        return json_response(200, {"outputs": item(agent_job_id)["result"]})

    loader = RoeAgentJobResultLoader(
        ids(12),
        client=mock_client(answer),
        use_batch_endpoint=False,
        max_concurrency=max_concurrency,
    )
    assert len(loader.load()) == 24
    assert peak[0] == max_concurrency


@pytest.mark.parametrize("max_concurrency", [1, 4])
def test_async_requests_in_flight_stay_within_max_concurrency(max_concurrency: int) -> None:
    in_flight, peak = [0], [0]

    async def answer(request: httpx.Request) -> httpx.Response:
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        await asyncio.sleep(0.001)
        in_flight[0] -= 1
        asked = json.loads(request.content)["job_ids"]
        return json_response(200, [item(i) for i in asked])

    transport = httpx.MockTransport(answer)
    client = RoeClient(api_key="k", async_http_client=httpx.AsyncClient(transport=transport))
    loader = RoeAgentJobResultLoader(
        ids(40), client=client, batch_size=2, max_concurrency=max_concurrency
    )
    assert len(asyncio.run(loader.aload())) == 80
    assert peak[0] == max_concurrency


@pytest.mark.parametrize("max_concurrency", [1, 3])
def test_lazy_load_streams_holding_at_most_the_chunks_in_flight(max_concurrency: int) -> None:
    script = results_server()
    loader = RoeAgentJobResultLoader(
        ids(500), client=mock_client(script), batch_size=10, max_concurrency=max_concurrency
    )
    documents = loader.lazy_load()
    next(documents)
    # the first chunk's Documents arrive while no more chunks than request slots were asked
    assert len(script.requests) <= max_concurrency
    assert len(list(documents)) == 999
    assert len(script.requests) == 50


@pytest.mark.parametrize("max_concurrency", [1, 3])
def test_alazy_load_streams_holding_at_most_the_chunks_in_flight(max_concurrency: int) -> None:
    script = results_server()
    loader = RoeAgentJobResultLoader(
        ids(500), client=mock_client(script), batch_size=10, max_concurrency=max_concurrency
    )

    async def first_then_rest() -> tuple[int, int]:
        stream = loader.alazy_load()
        await anext(stream)
        asked_after_first = len(script.requests)
        rest = [d async for d in stream]
        return asked_after_first, len(rest)

    asked_after_first, rest = asyncio.run(first_then_rest())
    assert asked_after_first <= max_concurrency
    assert (rest, len(script.requests)) == (999, 50)


def test_a_chunk_that_fails_names_every_job_in_it(invoke: Invoke) -> None:
    wanted = ids(4)
    script = Script([json_response(503, {"detail": "down"})])
    loader = RoeAgentJobResultLoader(
        wanted, client=mock_client(script, max_retries=0), continue_on_failure=True
    )
    assert invoke(loader.load) == []
    assert list(loader.failures) == wanted
    assert all(isinstance(e, ServerError) for e in loader.failures.values())
    assert [e.agent_job_id for e in loader.failures.values()] == wanted


def test_without_continue_the_chunk_error_names_the_first_job(invoke: Invoke) -> None:
    wanted = ids(3)
    script = Script([json_response(503, {"detail": "down"})])
    loader = RoeAgentJobResultLoader(wanted, client=mock_client(script, max_retries=0))
    with pytest.raises(ServerError, match="down") as caught:
        invoke(loader.load)
    assert caught.value.agent_job_id == wanted[0]


def test_authentication_errors_raise_even_when_continuing(invoke: Invoke) -> None:
    script = Script([json_response(401, {"detail": "Invalid API key"})])
    loader = RoeAgentJobResultLoader(ids(3), client=mock_client(script), continue_on_failure=True)
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        invoke(loader.load)


def test_failures_are_reset_by_each_load(invoke: Invoke) -> None:
    wanted = ids(2)
    answers = [json_response(503, {}), json_response(200, [item(i) for i in wanted])]
    loader = RoeAgentJobResultLoader(
        wanted, client=mock_client(Script(answers), max_retries=0), continue_on_failure=True
    )
    invoke(loader.load)
    assert set(loader.failures) == set(wanted)
    assert len(invoke(loader.load)) == 4
    assert loader.failures == {}


def test_waiting_gives_up_at_the_deadline(invoke: Invoke, retry_sleeps: list[float]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/results/"):
            return json_response(200, [item(JOB, status=1)])
        return json_response(200, [{"id": JOB, "status": 1}])

    script = Script([answer])
    loader = RoeAgentJobResultLoader(
        JOB, client=mock_client(script), wait_for_completion=True, wait_timeout=30
    )
    with pytest.raises(JobNotFinishedError, match=r"within wait_timeout=30s: it is STARTED"):
        invoke(loader.load)
    assert sum(retry_sleeps) == pytest.approx(30.0)
    assert max(retry_sleeps) <= 15.0 * 1.2
    polls = [r for r in script.requests if r.url.path.endswith("/statuses/")]
    assert len(polls) == len(retry_sleeps)  # a poll after every sleep, none after the deadline


def test_missing_output_keys_are_warned(invoke: Invoke, caplog: pytest.LogCaptureFixture) -> None:
    loader = RoeAgentJobResultLoader(
        JOB, client=mock_client(results_server()), output_keys=["out1", "absent"]
    )
    with caplog.at_level(logging.WARNING, logger="langchain_roe"):
        documents = invoke(loader.load)
    assert [d.metadata["key"] for d in documents] == ["out1"]
    assert f"agent job {JOB} has no output with key(s) absent" in caplog.text


def test_progress_needs_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    with pytest.raises(ImportError, match=r"langchain-roe\[progress\]"):
        RoeAgentJobResultLoader(JOB, api_key="k", show_progress=True)


def test_progress_counts_jobs(invoke: Invoke, capsys: pytest.CaptureFixture[str]) -> None:
    loader = RoeAgentJobResultLoader(
        ids(7), client=mock_client(results_server()), batch_size=3, show_progress=True
    )
    invoke(loader.load)
    assert "7/7" in capsys.readouterr().err


class Jobs:
    """A scripted server: each job's status answers in turn (the last repeats)."""

    def __init__(self, statuses: dict[str, list[int | None]], *, statuses_fail: bool = False):
        self.statuses = statuses
        self.statuses_fail = statuses_fail
        self.asked: list[str] = []

    def status(self, agent_job_id: str, advance: bool) -> int | None:
        answers = self.statuses[agent_job_id]
        return answers.pop(0) if advance and len(answers) > 1 else answers[0]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.asked.append(path)
        if path.endswith("/results/"):
            wanted = json.loads(request.content)["job_ids"]
            return json_response(
                200, [item(i, self.status(i, False)) for i in wanted if i in self.statuses]
            )
        if path.endswith("/statuses/"):
            if self.statuses_fail:
                return json_response(500, {"detail": "statuses down"})
            wanted = json.loads(request.content)["job_ids"]
            return json_response(
                200,
                [
                    {"id": i, "status": s, "error_message": "it broke" if s == 4 else None}
                    for i in wanted
                    if i in self.statuses and (s := self.status(i, True)) is not None
                ],
            )
        agent_job_id = path.split("/")[-3]
        status = self.status(agent_job_id, path.endswith("/status/"))
        if path.endswith("/status/"):
            body: dict[str, Any] = {"status": status, "timestamp": 1}
            if status == 4:
                body["error_message"] = "it broke"
            return json_response(200, body)
        if status == 3:
            return json_response(200, {"outputs": item(agent_job_id)["result"]})
        return json_response(404, {"detail": "Not found."})


@pytest.mark.parametrize("batch", [True, False])
def test_a_job_that_fails_while_waited_for_carries_its_message(invoke: Invoke, batch: bool) -> None:
    job = ids(1)[0]
    server = Jobs({job: [1, 1, 4]})
    loader = RoeAgentJobResultLoader(
        job,
        client=mock_client(server),
        wait_for_completion=True,
        use_batch_endpoint=batch,
        continue_on_failure=True,
    )
    assert invoke(loader.load) == []
    error = loader.failures[job]
    assert isinstance(error, JobFailedError)
    assert error.error_message == "it broke"


def test_a_job_missing_from_the_batch_answer_is_not_found(invoke: Invoke) -> None:
    known, missing = ids(2)
    loader = RoeAgentJobResultLoader(
        [known, missing], client=mock_client(Jobs({known: [3]})), continue_on_failure=True
    )
    assert {d.metadata["agent_job_id"] for d in invoke(loader.load)} == {known}
    assert isinstance(loader.failures[missing], NotFoundError)


def test_when_statuses_fail_while_waiting_each_job_names_the_error(invoke: Invoke) -> None:
    wanted = ids(2)
    server = Jobs({i: [1] for i in wanted}, statuses_fail=True)
    loader = RoeAgentJobResultLoader(
        wanted,
        client=mock_client(server, max_retries=0),
        wait_for_completion=True,
        continue_on_failure=True,
    )
    invoke(loader.load)
    assert [type(e) for e in loader.failures.values()] == [ServerError, ServerError]
    assert [e.agent_job_id for e in loader.failures.values()] == wanted


def test_a_failed_job_whose_message_cannot_be_read_still_fails_typed(invoke: Invoke) -> None:
    job = ids(1)[0]
    server = Jobs({job: [4]}, statuses_fail=True)
    loader = RoeAgentJobResultLoader(job, client=mock_client(server, max_retries=0))
    with pytest.raises(JobFailedError, match="could not be read") as caught:
        invoke(loader.load)
    assert caught.value.agent_job_id == job


def test_a_job_that_vanishes_while_waited_for_is_not_found(invoke: Invoke) -> None:
    job = ids(1)[0]
    loader = RoeAgentJobResultLoader(
        job, client=mock_client(Jobs({job: [1, None]})), wait_for_completion=True
    )
    with pytest.raises(NotFoundError):
        invoke(loader.load)
