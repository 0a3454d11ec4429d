"""`RoeAgentRunLoader(cancel_on_exit=...)`: what a load left early, or timed out, cancels.

Against the loopback server, whose `RUNNING_QUESTION` jobs stay STARTED until cancelled: each test
asserts what the server saw (which jobs were asked to be cancelled, how many times) and what the
loader says it cancelled. A load is left while such jobs are polled; so that it cannot time out
first, the clock stands still (`frozen_clock`) where a test leaves it early.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any, cast

import pytest
from langchain_core.documents import Document

from langchain_roe import (
    APIConnectionError,
    JobNotFinishedError,
    RoeAgentRunLoader,
    RoeClient,
    ServerError,
)
from langchain_roe._core import _flow
from langchain_roe._core._http import Call
from langchain_roe._loaders import _cancelling
from tests.support.agents import AGENT_ID, RUNNING_QUESTION
from tests.support.loopback import LoopbackServer, ServerConfig

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

DONE = {"url": "https://x/0", "question": "q"}


def running_at(position: int) -> dict[str, str]:
    """An input whose job keeps running; its url names its position."""
    return {"url": f"https://x/{position}", "question": RUNNING_QUESTION}


RUNNING = running_at(0)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig(outputs=1)) as running:
        yield running


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time stands still: waits never reach their deadline, so only leaving ends the load."""
    monkeypatch.setattr(_flow, "monotonic", lambda: 5000.0)


def client_for(server: LoopbackServer) -> RoeClient:
    return RoeClient(api_key="loopback-key", base_url=server.base_url)


def loader_for(
    server: LoopbackServer, given: list[dict[str, Any]], **options: Any
) -> RoeAgentRunLoader:
    """One input a unit, all units in flight at once."""
    return RoeAgentRunLoader(
        AGENT_ID,
        given,
        client=client_for(server),
        batch_size=1,
        max_concurrency=len(given),
        **options,
    )


def started(server: LoopbackServer, question: str) -> list[str]:
    return [i for i, job in server.runs.jobs.items() if job.inputs.get("question") == question]


#: How long a test waits for the loader to hear of the jobs it started: only a hang reaches it.
HEARD_WITHIN = 30.0


def heard_of(loader: RoeAgentRunLoader, running: int) -> bool:
    """Whether the load has heard of `running` jobs still running (their start answered)."""
    if running == 0:
        return True
    started = loader._started
    return started is not None and len(started.running()) >= running


def wait_until_heard(ready: Callable[[], bool]) -> None:
    """Wait, the load suspended, until `ready()`: its units have reported the jobs started.

    A start request still on the wire when a load is left has no id to cancel; a test about
    what leaving cancels leaves once every start it counts on has been answered.
    """
    deadline = time.monotonic() + HEARD_WITHIN
    while not ready():
        assert time.monotonic() < deadline, "the load never heard of the started job(s) awaited"
        time.sleep(0.005)


def first_then_leave(
    loader: RoeAgentRunLoader,
    mode: str,
    running: int = 0,
    until: Callable[[], bool] | None = None,
) -> Document:
    """Take the first Document, wait until the load has heard of `running` jobs started (and
    `until()` holds, when given), then leave: `break` (sync), or `aclose` as `async for` under a
    closing context does (async)."""

    def ready() -> bool:
        return heard_of(loader, running) and (until is None or until())

    if mode == "sync":
        for document in loader.lazy_load():
            wait_until_heard(ready)
            return document
        raise AssertionError("no Document")

    async def first() -> Document:
        documents = cast(AsyncGenerator[Document, None], loader.alazy_load())
        try:
            document = await anext(documents)
            deadline = time.monotonic() + HEARD_WITHIN
            while not ready():  # the units' tasks run while this one sleeps
                assert time.monotonic() < deadline, "never heard of the started job(s) awaited"
                await asyncio.sleep(0.005)
            return document
        finally:
            await documents.aclose()

    return asyncio.run(first())


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_leaving_early_cancels_the_jobs_still_running_and_only_those(
    server: LoopbackServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    loader = loader_for(server, [DONE, running_at(1), running_at(2)], cancel_on_exit=True)
    with caplog.at_level(logging.WARNING, logger="langchain_roe"):
        document = first_then_leave(loader, mode, running=2)
    assert document.metadata["input_index"] == 0
    running = started(server, RUNNING_QUESTION)
    assert len(running) == 2
    assert sorted(server.runs.cancels) == sorted(running)  # each once; the finished job never
    assert {server.runs.peek(i) for i in running} == {5}
    assert loader.cancelled == {position_of(server, i): i for i in running}
    assert sorted(loader.cancelled) == [1, 2]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "cancelled 2 agent job(s)" in logged
    assert all(i in logged for i in running)
    assert server.runs.cancel_alls == []  # never the agent's other jobs


def leaving_loader(client: RoeClient) -> RoeAgentRunLoader:
    """A done input and a running one, each its own unit, both in flight, cancelled on exit."""
    return RoeAgentRunLoader(
        AGENT_ID,
        [DONE, running_at(1)],
        client=client,
        batch_size=1,
        max_concurrency=2,
        cancel_on_exit=True,
    )


def starts_running(call: Call[Any]) -> bool:
    """Whether `call` starts a job that keeps running (`running_at`)."""
    return call.method == "POST" and "/run/" in call.path and RUNNING_QUESTION in repr(call)


def answered_after_leaving(server: LoopbackServer, delivered: list[str]) -> RoeClient:
    """A client whose start of a running job is answered only once its load has been left.

    The request reaches the server (the job starts), then its answer is held until the unit is
    told to stop: the load has been left while the request was on the wire. Each held answer
    handed back to the load is counted in `delivered`.
    """
    client = client_for(server)
    send, asend = client._request, client._arequest

    def request(call: Call[Any]) -> Any:
        answer = send(call)
        if starts_running(call):
            stop = _flow._local.stop  # the unit's thread: set when the load is left
            assert stop.wait(HEARD_WITHIN), "the load was never left"
            delivered.append(call.path)
        return answer

    async def arequest(call: Call[Any]) -> Any:
        answer = await asend(call)
        if starts_running(call):
            stop = _flow._task_stop.get()  # the unit's task: set when the load is left
            assert stop is not None
            # Not `wait_for`: on 3.11 it returns a result that came with a cancel and drops the
            # cancel. A load that is never left hangs here, for the test's timeout to end.
            await stop.wait()
            delivered.append(call.path)
        return answer

    client._request = request  # type: ignore[method-assign]
    client._arequest = arequest  # type: ignore[method-assign]
    return client


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_job_whose_start_is_answered_after_leaving_is_cancelled_too(
    server: LoopbackServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    delivered: list[str] = []
    loader = leaving_loader(answered_after_leaving(server, delivered))
    with caplog.at_level(logging.WARNING, logger="langchain_roe"):
        document = first_then_leave(loader, mode)  # the running job's start not yet answered
    assert document.metadata["input_index"] == 0
    assert len(delivered) == 1  # the held answer reached the load before it returned
    [running] = started(server, RUNNING_QUESTION)
    assert server.runs.cancels == [running]
    assert loader.cancelled == {1: running}
    assert running in caplog.text


@pytest.mark.usefixtures("frozen_clock")
def test_without_cancel_on_exit_leaving_waits_for_no_answer(server: LoopbackServer) -> None:
    """The wait for answers on the wire is for cancelling: a plain load is left at once."""
    delivered: list[str] = []
    loader = RoeAgentRunLoader(
        AGENT_ID,
        [DONE, running_at(1)],
        client=answered_after_leaving(server, delivered),
        batch_size=1,
        max_concurrency=2,
    )
    first_then_leave(loader, "async")  # the held answer is cancelled with its task, not awaited
    assert delivered == []
    assert server.runs.cancels == []


LINGERING = "waiting up to"


def interrupted_while_lingering(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> tuple[RoeClient, list[Callable[[], object]]]:
    """A client whose start of the job at input 2 is never answered (async).

    When the load is left, that start is on the wire: the load says it waits for it, and once it
    has said so the load is interrupted (the callable put in the returned list: a second cancel).
    """
    client = client_for(server)
    asend = client._arequest
    interrupt: list[Callable[[], object]] = []

    def held(call: Call[Any]) -> bool:
        return starts_running(call) and "x/2" in repr(call)

    def said() -> bool:
        return LINGERING in caplog.text

    async def arequest(call: Call[Any]) -> Any:
        answer = await asend(call)
        if held(call):
            stop = _flow._task_stop.get()
            assert stop is not None
            await stop.wait()
            deadline = time.monotonic() + HEARD_WITHIN
            while not said():
                assert time.monotonic() < deadline, "the load never said it waits"
                await asyncio.sleep(0.005)
            interrupt[0]()
            await asyncio.Event().wait()  # held until the runner cancels this unit
        return answer

    client._arequest = arequest  # type: ignore[method-assign]
    return client, interrupt


@pytest.mark.usefixtures("frozen_clock")
def test_a_wait_for_answers_cut_short_still_cancels_the_jobs_known(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Left early, the load waits for a start on the wire and says so; its task cancelled again
    in that wait, it still cancels the job it knew, then is cancelled."""
    client, interrupt = interrupted_while_lingering(server, caplog)
    loader = RoeAgentRunLoader(
        AGENT_ID,
        [DONE, running_at(1), running_at(2)],
        client=client,
        batch_size=1,
        max_concurrency=3,
        cancel_on_exit=True,
    )
    caplog.set_level(logging.WARNING, logger="langchain_roe")

    async def leave() -> None:
        interrupt.append(cast(asyncio.Task[Any], asyncio.current_task()).cancel)
        documents = cast(AsyncGenerator[Document, None], loader.alazy_load())
        assert (await anext(documents)).metadata["input_index"] == 0
        deadline = time.monotonic() + HEARD_WITHIN
        while not heard_of(loader, 1):
            assert time.monotonic() < deadline, "the load never heard of its job"
            await asyncio.sleep(0.005)
        await documents.aclose()

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(leave())
    assert LINGERING in caplog.text
    assert len(started(server, RUNNING_QUESTION)) == 2  # both started; one start never answered
    [known] = [i for i in started(server, RUNNING_QUESTION) if position_of(server, i) == 1]
    assert server.runs.cancels == [known]
    assert loader.cancelled == {1: known}
    assert known in caplog.text


def dropped_until_left(server: LoopbackServer, attempts: list[str]) -> RoeClient:
    """A client whose first attempt to start a running job fails, retryably, once the load is left.

    The connection is never made (nothing started), so the call is retried after its backoff:
    each attempt at that start is counted in `attempts`.
    """
    client = client_for(server)
    attempt, aattempt = client._attempt, client._aattempt

    def dropped() -> APIConnectionError:
        return APIConnectionError("connection refused", request_sent=False)

    def sync_attempt(http: Any, arguments: Any, call: Call[Any]) -> Any:
        if starts_running(call):
            attempts.append(call.path)
            if len(attempts) == 1:
                assert _flow._local.stop.wait(HEARD_WITHIN), "the load was never left"
                raise dropped()
        return attempt(http, arguments, call)

    async def async_attempt(http: Any, arguments: Any, call: Call[Any]) -> Any:
        if starts_running(call):
            attempts.append(call.path)
            if len(attempts) == 1:
                stop = _flow._task_stop.get()
                assert stop is not None
                await asyncio.wait_for(stop.wait(), HEARD_WITHIN)
                raise dropped()
        return await aattempt(http, arguments, call)

    client._attempt = sync_attempt  # type: ignore[method-assign]
    client._aattempt = async_attempt  # type: ignore[method-assign]
    return client


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_unit_left_in_a_retry_makes_no_new_attempt(server: LoopbackServer, mode: str) -> None:
    """A stopped unit retries nothing: its backoff ends at the stop, as a poll's sleep does.

    Otherwise the retry would start a job after the load was left (and, past the linger, leave it
    running unknown).
    """
    attempts: list[str] = []
    loader = leaving_loader(dropped_until_left(server, attempts))
    first_then_leave(loader, mode)
    assert len(attempts) == 1
    assert started(server, RUNNING_QUESTION) == []


def position_of(server: LoopbackServer, agent_job_id: str) -> int:
    """The input position a loopback job was started for (its url names it)."""
    return int(server.runs.jobs[agent_job_id].inputs["url"].rsplit("/", 1)[1])


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_with_the_option_off_leaving_early_cancels_nothing(
    server: LoopbackServer, mode: str
) -> None:
    loader = loader_for(server, [DONE, running_at(1), running_at(2)])
    # Left once both running jobs have started (their starts race the first job's outputs).
    first_then_leave(loader, mode, until=lambda: len(started(server, RUNNING_QUESTION)) == 2)
    assert server.runs.cancels == []
    assert server.runs.cancel_alls == []
    assert {server.runs.peek(i) for i in started(server, RUNNING_QUESTION)} == {1}
    assert loader.cancelled == {}


@pytest.mark.usefixtures("frozen_clock")
def test_an_error_in_the_callers_loop_cancels_and_is_raised_as_it_was(
    server: LoopbackServer,
) -> None:
    loader = loader_for(server, [DONE, running_at(1)], cancel_on_exit=True)

    def handle_documents() -> None:
        for _ in loader.lazy_load():
            wait_until_heard(lambda: heard_of(loader, 1))
            raise KeyboardInterrupt  # Ctrl-C while the caller handles a Document

    with pytest.raises(KeyboardInterrupt):
        handle_documents()
    assert server.runs.cancels == started(server, RUNNING_QUESTION)


@pytest.mark.usefixtures("frozen_clock")
def test_ctrl_c_while_the_load_waits_cancels_what_it_started(server: LoopbackServer) -> None:
    """A real SIGINT, sent once the running job is first polled (its start already reported)."""
    client = client_for(server)
    send = client._request

    def request(call: Call[Any]) -> Any:
        if call.path.endswith("/statuses/") and not server.runs.cancels and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return send(call)

    sent: list[bool] = []
    client._request = request  # type: ignore[method-assign]
    loader = RoeAgentRunLoader(AGENT_ID, [RUNNING], client=client, cancel_on_exit=True)
    with pytest.raises(KeyboardInterrupt):
        loader.load()
    assert server.runs.cancels == started(server, RUNNING_QUESTION)
    assert list(loader.cancelled) == [0]


@pytest.mark.usefixtures("frozen_clock")
def test_a_cancelled_task_cancels_what_its_load_started(server: LoopbackServer) -> None:
    client = client_for(server)
    asend = client._arequest

    async def main() -> None:
        polled = asyncio.Event()

        async def arequest(call: Call[Any]) -> Any:
            answer = await asend(call)
            if call.path.endswith("/statuses/"):
                polled.set()  # the job was started (and reported), and is being waited for
            return answer

        client._arequest = arequest  # type: ignore[method-assign]
        loader = RoeAgentRunLoader(AGENT_ID, [RUNNING], client=client, cancel_on_exit=True)
        task = asyncio.ensure_future(loader.aload())
        await polled.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert list(loader.cancelled) == [0]

    asyncio.run(main())
    assert server.runs.cancels == started(server, RUNNING_QUESTION)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_job_still_running_at_wait_timeout_is_cancelled_and_its_failure_says_so(
    server: LoopbackServer, mode: str
) -> None:
    # The fake clock advances by every unit's sleeps: the running job's polls spend the done
    # job's time too, so the timeout leaves the done job room however slow its answer comes.
    loader = loader_for(
        server,
        [DONE, running_at(1)],
        cancel_on_exit=True,
        wait_timeout=120,
        continue_on_failure=True,
    )
    documents = loader.load() if mode == "sync" else asyncio.run(loader.aload())
    assert [d.metadata["input_index"] for d in documents] == [0]
    [running] = started(server, RUNNING_QUESTION)
    assert server.runs.cancels == [running]
    assert loader.cancelled == {1: running}
    failure = loader.failures[1]
    assert isinstance(failure, JobNotFinishedError)
    assert failure.agent_job_id == running
    assert "wait_timeout=120s" in failure.message
    assert failure.message.endswith("it was cancelled (cancel_on_exit)")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_timed_out_job_raised_is_cancelled_once(server: LoopbackServer, mode: str) -> None:
    loader = loader_for(server, [RUNNING], cancel_on_exit=True, wait_timeout=5)
    with pytest.raises(JobNotFinishedError, match="it was cancelled"):
        loader.load() if mode == "sync" else asyncio.run(loader.aload())
    assert server.runs.cancels == started(server, RUNNING_QUESTION)  # not again on the way out


def test_with_the_option_off_a_timed_out_job_keeps_running(server: LoopbackServer) -> None:
    loader = loader_for(server, [RUNNING], wait_timeout=5, continue_on_failure=True)
    assert loader.load() == []
    assert server.runs.cancels == []
    assert "cancel" not in loader.failures[0].message
    assert {server.runs.peek(i) for i in started(server, RUNNING_QUESTION)} == {1}


def failing_cancels(server: LoopbackServer) -> RoeClient:
    """A client whose cancel calls all fail (the server never sees them)."""
    client = client_for(server)
    send, asend = client._request, client._arequest

    def request(call: Call[Any]) -> Any:
        if call.path.endswith("/cancel/"):
            raise ServerError("cancel unavailable", status_code=503)
        return send(call)

    async def arequest(call: Call[Any]) -> Any:
        if call.path.endswith("/cancel/"):
            raise ServerError("cancel unavailable", status_code=503)
        return await asend(call)

    client._request = request  # type: ignore[method-assign]
    client._arequest = arequest  # type: ignore[method-assign]
    return client


def test_a_cancel_that_fails_at_wait_timeout_is_in_the_failure_note(server: LoopbackServer) -> None:
    loader = RoeAgentRunLoader(
        AGENT_ID,
        [RUNNING],
        client=failing_cancels(server),
        cancel_on_exit=True,
        wait_timeout=5,
        continue_on_failure=True,
    )
    assert loader.load() == []
    assert loader.failures[0].message.endswith("cancelling it failed: cancel unavailable")
    assert loader.cancelled == {}


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_cancels_that_fail_on_the_way_out_are_logged_never_raised_over_the_exit(
    server: LoopbackServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    loader = leaving_loader(failing_cancels(server))
    with caplog.at_level(logging.WARNING, logger="langchain_roe"):
        first_then_leave(loader, mode, running=1)  # returns: the failed cancel raised nothing
    [running] = started(server, RUNNING_QUESTION)
    assert loader.cancelled == {}
    assert any(
        running in r.getMessage() and "cancelling it failed: cancel unavailable" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.usefixtures("frozen_clock")
def test_cancelling_on_the_way_out_stops_when_its_time_is_up(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_cancelling, "CANCEL_ON_EXIT_BUDGET", 0.0)
    loader = loader_for(server, [DONE, running_at(1)], cancel_on_exit=True)
    with caplog.at_level(logging.WARNING, logger="langchain_roe"):
        first_then_leave(loader, "sync", running=1)
    assert server.runs.cancels == []  # nothing sent past the budget
    assert "had run out" in caplog.text


def test_the_way_out_is_bounded_tighter_than_the_client() -> None:
    client = RoeClient(api_key="k", timeout=60, max_retries=3)
    bounded = client._within(10.0, 1)
    assert (bounded.settings.timeout, bounded.settings.max_retries) == (10.0, 1)
    assert bounded._pools is client._pools
    assert (client.settings.timeout, client.settings.max_retries) == (60.0, 3)
    assert client._within(10.0, 1)._within(120.0, 5).settings.timeout == 10.0


def test_only_jobs_whose_status_is_not_final_are_cancelled_on_the_way_out() -> None:
    """The statuses are asked once first: a job that ended unseen is left alone."""
    unknown = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
    with LoopbackServer(ServerConfig(unknown_ids=[unknown])) as server:
        ended = server.runs._start(DONE)
        while server.runs.status(ended) != 3:
            pass
        running = server.runs._start(RUNNING)
        client = client_for(server)
        flow = _cancelling.still_running_flow([ended, running, unknown], client.settings)
        assert client._drive(flow) == [running, unknown]  # unknown to the server: tried anyway


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("cancel_on_exit", [False, True])
def test_closing_an_async_load_stops_its_units_before_it_returns(
    server: LoopbackServer, cancel_on_exit: bool
) -> None:
    """No unit is left polling (or starting jobs) once `aclose()` has returned, either way."""
    loader = loader_for(server, [DONE, running_at(1)], cancel_on_exit=cancel_on_exit)

    async def leave() -> list[asyncio.Task[Any]]:
        documents = cast(AsyncGenerator[Document, None], loader.alazy_load())
        await anext(documents)
        await documents.aclose()
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(leave()) == []
