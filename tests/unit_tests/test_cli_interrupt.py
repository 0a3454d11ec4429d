"""Ctrl-C on the command line: a real SIGINT to a real `roe-job-result` process whose request the
loopback server holds. It ends at once with exit 130 and one line, not after the request's
timeout, and with no traceback.

The child starts with SIGINT at its default (the suite's `_sigint_raises` fixture installs Python's
handler in this process, and a caught signal is reset to the default across exec), so the test
does not depend on how pytest itself was started.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.support.agents import AGENT_ID
from tests.support.loopback import LoopbackServer, ServerConfig

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
#: Seconds: far above what leaving takes, far below the held request's timeout (120 s).
PROMPT = 10.0


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([JOB], id="read"),
        pytest.param(["--run", AGENT_ID, "--input", "url=https://x", "--wait"], id="run"),
    ],
)
def test_ctrl_c_on_a_held_request_exits_130_at_once_with_one_line(command: list[str]) -> None:
    with LoopbackServer(ServerConfig(black_hole=True)) as server:
        settings = ["--api-key", "k", "--base-url", server.base_url, "--timeout", "120"]
        child = subprocess.Popen(
            [sys.executable, "-m", "langchain_roe", *command, *settings],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + PROMPT
            while server.requests == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert server.requests >= 1  # the request is on the wire, held
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=PROMPT)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
    assert child.returncode == 130
    assert out == ""
    assert err == "roe-job-result: interrupted\n"
