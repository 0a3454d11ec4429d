"""The command line's `--run ... --cancel-on-interrupt`: Ctrl-C, or a wait timing out, cancels
the jobs it started that are still running, and says which (the loopback server counts)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from langchain_roe import RoeClient, _cli
from langchain_roe._core import _flow
from langchain_roe._core._http import Call
from tests.support.agents import AGENT_ID, RUNNING_QUESTION
from tests.support.loopback import LoopbackServer, ServerConfig
from tests.unit_tests.test_cli import run

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig(outputs=1)) as running:
        yield running


@pytest.fixture
def interrupted(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's client sends a real SIGINT once its job is first polled; time stands still,
    so only the interrupt ends the wait."""
    client = RoeClient(api_key="k", base_url=server.base_url)
    send = client._request
    sent: list[bool] = []

    def request(call: Call[Any]) -> Any:
        if call.path.endswith("/statuses/") and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return send(call)

    client._request = request  # type: ignore[method-assign]
    monkeypatch.setattr(_cli, "build_client", lambda client_, **settings: client)
    monkeypatch.setattr(_flow, "monotonic", lambda: 5000.0)


def run_one(*flags: str) -> tuple[int, str, str]:
    inputs = ["--input", "url=https://x", "--input", f"question={RUNNING_QUESTION}"]
    return run(["--run", AGENT_ID, "--api-key", "k", *inputs, *flags])


@pytest.mark.usefixtures("interrupted")
def test_ctrl_c_cancels_the_running_job_and_names_it(server: LoopbackServer) -> None:
    code, out, err = run_one("--cancel-on-interrupt")
    [job] = server.runs.jobs
    assert code == _cli.EXIT_INTERRUPTED
    assert out == ""
    assert server.runs.cancels == [job]
    assert f"roe-job-result: cancelled 1 job(s) still running: {job}" in err
    assert err.rstrip().endswith("roe-job-result: interrupted")


@pytest.mark.usefixtures("interrupted")
def test_without_the_flag_ctrl_c_leaves_the_job_running(server: LoopbackServer) -> None:
    code, _, err = run_one()
    [job] = server.runs.jobs
    assert code == _cli.EXIT_INTERRUPTED
    assert server.runs.cancels == []
    assert server.runs.peek(job) == 1
    assert "cancelled" not in err


def test_a_job_still_running_at_wait_timeout_is_cancelled_and_named(
    server: LoopbackServer,
) -> None:
    code, _, err = run_one(
        "--cancel-on-interrupt", "--wait-timeout", "5", "--base-url", server.base_url
    )
    [job] = server.runs.jobs
    assert code == _cli.EXIT_SOME_FAILED
    assert server.runs.cancels == [job]
    assert "input 0 failed: the agent job did not finish within wait_timeout=5s" in err
    assert "it was cancelled (cancel_on_exit)" in err
    assert f"cancelled 1 job(s) still running: {job}" in err


def test_the_flag_goes_with_run_only() -> None:
    code, _, err = run(["--cancel-on-interrupt", "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"])
    assert code == _cli.EXIT_USAGE
    assert "--cancel-on-interrupt goes with --run" in err


def test_wait_timeout_bounds_a_run_s_polling_on_the_wire() -> None:
    """`--run --wait-timeout` is the run's wait: the status polls the server sees stop at it (on
    the suite's fake clock), the job is left running (no flag to cancel it) and named."""
    polls: dict[str, int] = {}
    for seconds in ("5", "60"):
        with LoopbackServer(ServerConfig(outputs=1)) as server:
            code, _, err = run_one("--wait-timeout", seconds, "--base-url", server.base_url)
            assert len(server.runs.jobs) == 1
            assert code == _cli.EXIT_SOME_FAILED
            assert f"did not finish within wait_timeout={seconds}s" in err
            assert server.runs.cancels == []
            polls[seconds] = sum("status" in line for line in server.log)
    assert 1 <= polls["5"] < polls["60"]
