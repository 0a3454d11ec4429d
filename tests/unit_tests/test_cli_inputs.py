"""`--run`'s inputs on the wire (issue 21): local files only when asked for, every value sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.loopback import LoopbackServer, ServerConfig
from tests.unit_tests.test_cli import run_agent_cli

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig(outputs=1)) as running:
        yield running


def sent(server: LoopbackServer) -> list[dict[str, Any]]:
    return [job.inputs for job in server.runs.jobs.values()]


def bodies(server: LoopbackServer) -> bytes:
    return b"".join(r.body for r in server.received)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "id_rsa"
    path.write_text("PRIVATE KEY MATERIAL")
    return path


def test_a_jsonl_string_starting_with_at_is_text_never_a_file(
    server: LoopbackServer, secret: Path
) -> None:
    line = json.dumps({"url": f"@{secret}", "question": "@~/.ssh/id_rsa"})
    code, _, err = run_agent_cli(server, "--inputs-jsonl", "-", "--format", "jsonl", stdin=line)
    assert (code, err) == (0, "")
    assert sent(server) == [{"url": f"@{secret}", "question": "@~/.ssh/id_rsa"}]
    assert b"PRIVATE KEY MATERIAL" not in bodies(server)


def test_a_jsonl_file_object_uploads_that_file(server: LoopbackServer, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html></html>")
    lines = [
        json.dumps({"url": {"file": str(page)}, "question": "one"}),
        json.dumps({"url": ["https://a", {"file": str(page)}], "question": "two"}),
    ]
    code, _, err = run_agent_cli(
        server, "--inputs-jsonl", "-", "--format", "jsonl", stdin="\n".join(lines)
    )
    assert (code, err) == (0, "")
    by_question = {inputs["question"]: inputs["url"] for inputs in sent(server)}
    assert by_question == {"one": "file:page.html:13", "two": ["https://a", "file:page.html:13"]}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (3, "must be a JSON string (text)"),
        (None, "got null"),
        ({"path": "x"}, '{"file": "PATH"}'),
        ({"file": ""}, "names no file"),
        ([], "is an empty list"),
        ([["https://a"]], "a list inside a list"),
    ],
)
def test_a_jsonl_value_of_another_shape_exits_2_before_any_request(
    server: LoopbackServer, value: Any, problem: str
) -> None:
    lines = [json.dumps({"url": "https://a", "question": "q"}), json.dumps({"url": value})]
    code, out, err = run_agent_cli(server, "--inputs-jsonl", "-", stdin="\n".join(lines))
    assert (code, out) == (2, "")
    assert "line 2" in err
    assert problem in err
    assert server.received == []


def test_repeated_inputs_are_all_sent_and_at_at_is_literal_text(server: LoopbackServer) -> None:
    code, _, err = run_agent_cli(
        server,
        *("--input", "url=https://a", "--input", "url=https://b"),
        *("--input", "question=@@handle"),
    )
    assert (code, err) == (0, "")
    assert sent(server) == [{"url": ["https://a", "https://b"], "question": "@handle"}]


@pytest.mark.parametrize(
    ("argument", "problem"),
    [("url=@", "names no file"), ("url=@{tmp}", "it is a directory")],
)
def test_an_input_naming_no_readable_file_exits_2_before_any_request(
    server: LoopbackServer, tmp_path: Path, argument: str, problem: str
) -> None:
    given = argument.format(tmp=tmp_path)
    code, out, err = run_agent_cli(server, "--input", given, "--input", "question=q")
    assert (code, out) == (2, "")
    assert problem in err
    assert len(err.strip().splitlines()) == 1
    assert server.received == []


def test_the_upload_cap_is_an_option_checked_before_any_request(
    server: LoopbackServer, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html></html>")
    arguments = ("--input", f"url=@{page}", "--input", "question=q")
    code, _, err = run_agent_cli(server, *arguments, "--max-upload-bytes", "12")
    assert code == 2
    assert "past max_upload_bytes=12" in err
    assert server.received == []
    code, _, err = run_agent_cli(server, *arguments, "--max-upload-bytes", "13")
    assert (code, err) == (0, "")


def test_a_jsonl_file_that_is_not_utf8_is_one_line_and_exit_2(
    server: LoopbackServer, tmp_path: Path
) -> None:
    bad = tmp_path / "inputs.jsonl"
    bad.write_bytes(b'{"url": "\xff"}\n')
    code, _, err = run_agent_cli(server, "--inputs-jsonl", str(bad))
    assert code == 2
    assert "not UTF-8" in err
    assert len(err.strip().splitlines()) == 1
