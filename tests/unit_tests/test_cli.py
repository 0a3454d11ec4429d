"""The command line: ids in, formats out, exit codes, and the offline demo."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_roe import _cli
from langchain_roe.replay import replay_client
from tests.support import example_jobs as jobs
from tests.support.fake_api import FakeRoeAPI
from tests.support.mock_api import Script, json_response, mock_client


class Terminal(io.StringIO):
    def __init__(self, text: str = "", *, tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def run(argv: list[str], stdin: str = "", *, stdin_tty: bool = False) -> tuple[int, str, str]:
    stdout, stderr = Terminal(), Terminal()
    code = _cli.main(argv, stdin=Terminal(stdin, tty=stdin_tty), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def replayed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's client answers from the in-memory API over the example jobs."""
    client = mock_client(FakeRoeAPI(jobs.example_jobs()).respond)
    monkeypatch.setattr(_cli, "build_client", lambda client_, **settings: client)


def test_demo_runs_offline_and_says_so() -> None:
    code, out, err = run(["--demo"])
    assert code == 0
    assert "replaying the recorded example session offline" in err
    assert "Loaded 5 Documents from 5 jobs" in out
    assert f"What roe_get_agent_job_result returns to a model for {jobs.WEB}" in out
    assert "Totals: 1 of 1 output shown, 18452 input tokens, 612 output tokens." in out


def test_demo_with_a_key_and_no_ids_replays_offline_and_says_how_to_go_live() -> None:
    code, out, err = run(["--demo", "--api-key", "k"])
    assert code == 0
    assert "no job ids given: replaying the recorded example session offline" in err
    assert "make demo IDS=" in err
    assert "Loaded 5 Documents from 5 jobs" in out


@pytest.mark.parametrize("ids", [[jobs.WEB], [jobs.AML, jobs.WEB], [jobs.PDF, jobs.AML, jobs.WEB]])
def test_the_offline_demo_answers_any_subset_of_its_jobs_in_any_order(ids: list[str]) -> None:
    code, out, err = run(["--demo", "--format", "jsonl", *ids])
    assert code == 0, err
    shown = list(
        dict.fromkeys(json.loads(line)["metadata"]["agent_job_id"] for line in out.splitlines())
    )
    assert shown == ids


@pytest.mark.parametrize("form", ["jsonl", "markdown", "text"])
def test_the_demo_honours_format(form: str) -> None:
    code, out, _ = run(["--demo", "--format", form, jobs.WEB])
    assert code == 0
    assert "Loaded " not in out  # not the demo's own summary
    if form == "jsonl":
        assert json.loads(out.splitlines()[0])["metadata"]["agent_job_id"] == jobs.WEB
    elif form == "markdown":
        assert out.startswith(f"# Roe agent job `{jobs.WEB}`")
    else:
        assert out.startswith(f"Roe agent job {jobs.WEB}: outputs")


def test_the_demo_marks_only_cut_previews() -> None:
    _, out, _ = run(["--demo"])
    previews = [line.strip() for line in out.splitlines() if line.startswith("    ")]
    assert any(p.endswith(" ...") for p in previews)  # long values are cut and say so
    assert any(not p.endswith("...") for p in previews)  # short ones are shown whole, unmarked


def test_no_key_is_a_usage_error_naming_the_variable() -> None:
    code, out, err = run([jobs.WEB])
    assert (code, out) == (2, "")
    assert "set ROE_API_KEY or pass --api-key" in err


@pytest.mark.parametrize("argv", [[], ["not-a-uuid"], ["--from-file", "/nonexistent/ids.txt"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    code, _, err = run(["--api-key", "k", *argv], stdin_tty=True)
    assert code == 2
    assert err.startswith("roe-job-result: ")


def test_jsonl_writes_one_document_a_line(replayed: None) -> None:
    code, out, _ = run(["--format", "jsonl", jobs.WEB, jobs.DOCS], stdin_tty=True)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["metadata"]["agent_job_id"] for line in lines] == [jobs.WEB, jobs.DOCS]
    assert set(lines[0]) == {"id", "page_content", "metadata"}
    assert json.loads(lines[1]["page_content"]) == {"summary": "hello world!"}


def test_text_is_what_the_tool_shows(replayed: None) -> None:
    code, out, _ = run([jobs.WEB], stdin_tty=True)
    assert code == 0
    assert out.startswith(f"Roe agent job {jobs.WEB}: outputs\n\n## output\n")


def test_markdown_for_people(replayed: None) -> None:
    code, out, _ = run(["--format", "markdown", "--output-keys", "output,score", jobs.PDF])
    assert code == 0
    assert out.startswith(f"# Roe agent job `{jobs.PDF}`\n\n## output\n")
    assert '```json\n{\n  "name": "Jane Doe"' in out


def test_ids_from_a_file_and_from_stdin(replayed: None, tmp_path: Path) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_text(f"# jobs\n{jobs.WEB}\n\n{jobs.DOCS}\n", encoding="utf-8")
    code, out, _ = run(["--format", "jsonl", "--from-file", str(listing)])
    assert code == 0
    assert len(out.splitlines()) == 2
    code, out, _ = run(["--format", "jsonl"], stdin=f"{jobs.AML}\n")
    assert code == 0
    assert json.loads(out)["metadata"]["agent_job_id"] == jobs.AML


def _mixed_client(**_: Any) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["job_ids"]
        if request.url.path.endswith("/statuses/"):
            return json_response(
                200, [{"id": i, "status": 4, "error_message": "bad scan"} for i in ids]
            )
        return json_response(
            200,
            [
                {
                    "id": jobs.WEB,
                    "status": 3,
                    "result": [{"key": "k", "data_type": "text/plain", "value": "v"}],
                },
                {"id": jobs.FAILED, "status": 4, "result": None},
            ],
        )

    return mock_client(Script([answer]))


@pytest.mark.parametrize("continuing", [True, False])
def test_failed_jobs_exit_1_and_are_named_once(
    monkeypatch: pytest.MonkeyPatch, continuing: bool
) -> None:
    monkeypatch.setattr(_cli, "build_client", lambda client, **settings: _mixed_client())
    flags = ["--continue-on-failure"] if continuing else []
    code, out, err = run([*flags, "--format", "jsonl", jobs.FAILED, jobs.WEB])
    assert code == 1
    assert err.count(f"job {jobs.FAILED} failed") == 1
    assert f"job {jobs.FAILED} failed: the agent job ended in FAILURE: bad scan" in err
    assert jobs.WEB in out  # loaded in the same request as the failure: printed either way


@pytest.mark.parametrize("continuing", [True, False])
def test_a_failed_batch_names_every_job_in_it_once(
    monkeypatch: pytest.MonkeyPatch, continuing: bool
) -> None:
    client = mock_client(
        Script([json_response(500, {"detail": "database unavailable"})]), max_retries=0
    )
    monkeypatch.setattr(_cli, "build_client", lambda client_, **settings: client)
    flags = ["--continue-on-failure"] if continuing else []
    code, out, err = run([*flags, jobs.WEB, jobs.PDF, jobs.AML])
    assert (code, out) == (1, "")
    for agent_job_id in (jobs.WEB, jobs.PDF, jobs.AML):
        assert err.count(f"job {agent_job_id} failed: database unavailable") == 1
    assert "WARNING" not in err
    assert "skipped agent job" not in err


def test_a_bad_id_is_reported_before_a_missing_key() -> None:
    code, _, err = run(["not-a-uuid"])
    assert code == 2
    assert "'not-a-uuid'" in err
    assert "API key" not in err


def shell(command: str) -> subprocess.CompletedProcess[str]:
    """Run the command line through a real shell, with no API key in its environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ROE_")}
    line = command.replace("roe-job-result", f"{sys.executable} -m langchain_roe")
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-c", line],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment,
    )


@pytest.mark.parametrize("arguments", ["", "--from-file -"])
def test_closed_stdin_is_a_usage_error_not_a_traceback(arguments: str) -> None:
    done = shell(f"roe-job-result {arguments} <&-")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "no agent job ids" in done.stderr or "standard input is closed" in done.stderr


class ClosedPipe(Terminal):
    """A standard output whose reader has gone, as after `| head -1`."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("form", ["jsonl", "text", None])
def test_a_closed_pipe_ends_quietly(form: str | None) -> None:
    stderr = Terminal()
    argv = ["--demo"] + (["--format", form] if form else [])
    code = _cli.main(argv, stdin=Terminal(), stdout=ClosedPipe(), stderr=stderr)
    assert code == _cli.EXIT_BROKEN_PIPE
    assert "Traceback" not in stderr.getvalue()
    assert "failed" not in stderr.getvalue()


def test_a_real_pipe_closed_early_leaves_no_traceback() -> None:
    done = shell("roe-job-result --demo --format jsonl | head -c 10")
    assert len(done.stdout) == 10
    assert "Traceback" not in done.stderr


def test_help_describes_format_and_wait_timeout_with_defaults() -> None:
    text = _cli.parser().format_help()
    assert "what roe_get_agent_job_result shows a model (the default)" in " ".join(text.split())
    assert "(default: 600)" in text


def test_the_module_and_the_console_script_run() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "langchain_roe", "--demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Loaded 5 Documents" in done.stdout
    script = Path(sys.executable).with_name("roe-job-result")
    done = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert "Exit status: 0 all jobs loaded" in done.stdout


def test_wait_loads_a_job_once_it_finishes(replayed: None, retry_sleeps: list[float]) -> None:
    code, out, err = run(["--format", "jsonl", "--wait", "--wait-timeout", "60", jobs.WAITING])
    assert (code, err) == (0, "")
    assert json.loads(json.loads(out)["page_content"])["name"] == "Jane Doe"
    assert len(retry_sleeps) == 3  # polled PENDING, STARTED, then SUCCESS


def test_without_wait_a_running_job_fails(replayed: None) -> None:
    code, _, err = run([jobs.RUNNING])
    assert code == 1
    assert f"job {jobs.RUNNING} failed: the agent job has not finished: it is STARTED" in err


def test_the_replayed_session_answers_only_what_it_recorded() -> None:
    client = replay_client()
    first = client.get_result(jobs.WEB)
    assert client.get_result(jobs.WEB) == first  # a recorded read repeats, as a server would
    with pytest.raises(LookupError, match="set ROE_API_KEY to ask the live API"):
        client.get_result(jobs.FAILED)


def test_the_offline_demo_refuses_jobs_it_never_recorded_cleanly() -> None:
    code, out, err = run(["--demo", jobs.FAILED])
    assert code == 2
    assert out == ""
    assert "the recorded session has no answer" in err
    assert "set ROE_API_KEY to ask the live API" in err


@pytest.fixture
def agent_server() -> Any:
    from tests.support.loopback import LoopbackServer, ServerConfig

    with LoopbackServer(ServerConfig(outputs=1)) as running:
        yield running


def run_agent_cli(server: Any, *arguments: str, stdin: str = "") -> tuple[int, str, str]:
    from tests.support.agents import AGENT_ID

    return run(
        ["--run", AGENT_ID, "--api-key", "k", "--base-url", server.base_url, *arguments], stdin
    )


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_run_an_agent_on_inputs_and_print_its_outputs(agent_server: Any, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html></html>")
    code, out, err = run_agent_cli(
        agent_server, "--input", f"url=@{page}", "--input", "question=Who?", "--format", "jsonl"
    )
    assert (code, err) == (0, "")
    (document,) = [json.loads(line) for line in out.splitlines()]
    assert document["metadata"]["input_index"] == 0
    assert [job.inputs["url"] for job in agent_server.runs.jobs.values()] == ["file:page.html:13"]


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_run_many_inputs_from_jsonl_names_each_failed_input(agent_server: Any) -> None:
    from tests.support.agents import FAILING_QUESTION

    lines = [
        json.dumps({"url": "https://a", "question": "one"}),
        json.dumps({"url": "https://b", "question": FAILING_QUESTION}),
        json.dumps({"url": "https://c", "question": "three"}),
    ]
    code, out, err = run_agent_cli(
        agent_server, "--inputs-jsonl", "-", "--format", "jsonl", stdin="\n".join(lines)
    )
    assert code == 1
    assert [json.loads(line)["metadata"]["input_index"] for line in out.splitlines()] == [0, 2]
    assert err.count("input 1 failed") == 1
    assert agent_server.runs.created == 3


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ([], "--input KEY=VALUE ... or --inputs-jsonl"),
        (["--input", "novalue"], "--input takes KEY=VALUE"),
        (["--input", "url=@/no/such/file"], "is not a readable file"),
    ],
)
def test_run_usage_errors_exit_2_before_any_request(arguments: list[str], problem: str) -> None:
    from tests.support.agents import AGENT_ID

    code, _, err = run(["--run", AGENT_ID, "--api-key", "k", *arguments])
    assert code == 2
    assert problem in err


def test_every_client_setting_is_an_option_checked_as_the_settings_check_it() -> None:
    from langchain_roe._cli import parser
    from langchain_roe._core._config import SETTING_ENV_VARS, RoeSettings

    options = {a.dest: a for a in parser()._actions}
    for name in RoeSettings.model_fields:
        assert name in options, name
        assert SETTING_ENV_VARS[name] in (options[name].help or "")
    code, _, err = run(["--timeout", "abc", "--api-key", "k", "--demo"])
    assert code == 2
    assert "timeout" in err
    assert "number" in err
    code, _, err = run(["--max-reference-bytes", "1", "--api-key", "k", "--demo"])
    assert code == 2
    assert "max_reference_bytes" in err


def _refusing(monkeypatch: pytest.MonkeyPatch, reached: set[str]) -> None:
    """Jobs in `reached` fail on the server (a 500); any other request is refused unconnected."""

    def handler(request: httpx.Request) -> httpx.Response:
        asked = json.loads(request.content)["job_ids"]
        if set(asked) & reached:
            return httpx.Response(500, json={"detail": "database unavailable"})
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client = mock_client(handler, max_retries=0)
    monkeypatch.setattr(_cli, "build_client", lambda client_, **settings: client)


def test_an_api_that_cannot_be_reached_says_so_names_the_host_and_exits_3(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _refusing(monkeypatch, reached=set())
    code, out, err = run(["--api-key", "k", jobs.WEB])
    assert code == _cli.EXIT_UNREACHABLE == 3
    assert out == ""
    assert "could not connect to api.roe-ai.com" in err
    assert "never reached the server" in err


def test_a_job_that_failed_on_the_server_is_exit_1_not_3(monkeypatch: pytest.MonkeyPatch) -> None:
    _refusing(monkeypatch, reached={jobs.WEB})
    code, _, err = run(["--api-key", "k", jobs.WEB])
    assert code == _cli.EXIT_SOME_FAILED == 1
    assert "database unavailable" in err


HOSTILE = "ok\x1b]0;owned\x07\x1b[2J\rcleared\x9b31m"


@pytest.mark.parametrize("form", ["text", "markdown", "jsonl"])
def test_control_sequences_from_a_job_never_reach_the_terminal(
    monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        asked = json.loads(request.content)["job_ids"]
        output = {"key": "page\x1b[1m", "data_type": "text/plain", "value": HOSTILE, "cost": 0.0}
        return httpx.Response(200, json=[{"id": i, "status": 3, "result": [output]} for i in asked])

    client = mock_client(handler)
    monkeypatch.setattr(_cli, "build_client", lambda client_, **settings: client)
    code, out, _ = run(["--api-key", "k", "--format", form, jobs.WEB])
    assert code == 0
    for control in ("\x1b", "\x07", "\r", "\x9b"):
        assert control not in out
    if form == "jsonl":
        (line,) = out.splitlines()
        assert json.loads(line)["page_content"] == HOSTILE  # the data itself is kept whole
    else:
        assert "\\x1b[2J" in out  # shown as text


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    from langchain_roe import __version__

    with pytest.raises(SystemExit) as exited:
        _cli.parser().parse_args(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"roe-job-result {__version__}"
