"""The command line on a user's machine: files it cannot read, output it cannot write, keys a job
does not have. Each is one line on standard error and a documented exit status, no traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from langchain_roe import _cli
from langchain_roe._cli_output import MAX_LINE_CHARS
from tests.support import example_jobs as jobs
from tests.unit_tests.test_cli import Terminal, replayed, run

__all__ = ["replayed"]  # the fixture, used by name


def one_line(err: str) -> str:
    assert "Traceback" not in err
    [line] = err.splitlines()
    return line


def test_an_ids_file_that_is_not_utf8_is_named_with_its_first_bad_byte(tmp_path: Path) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_bytes(f"{jobs.WEB}\n".encode() + b"\xff\xfe\n")
    code, out, err = run(["--from-file", str(listing), "--api-key", "k"])
    assert code == _cli.EXIT_USAGE
    assert out == ""
    assert one_line(err) == (
        f"roe-job-result: --from-file {listing}: not UTF-8 text (byte 0xff at offset 37)"
    )


def test_standard_input_that_is_not_utf8_is_one_line() -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"\xc3\x28\n"), encoding="utf-8")
    stdout, stderr = Terminal(), Terminal()
    code = _cli.main(["--api-key", "k"], stdin=stdin, stdout=stdout, stderr=stderr)
    assert code == _cli.EXIT_USAGE
    assert one_line(stderr.getvalue()) == (
        "roe-job-result: standard input: not UTF-8 text (byte 0xc3 at offset 0)"
    )


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_an_ids_file_that_cannot_be_read_is_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "ids.txt"
    if kind == "directory":
        path.mkdir()
    code, _, err = run(["--from-file", str(path), "--api-key", "k"])
    assert code == _cli.EXIT_USAGE
    reason = "No such file or directory" if kind == "missing" else "Is a directory"
    assert one_line(err) == f"roe-job-result: --from-file {path}: {reason}"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_ids_file_without_read_permission_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text(jobs.WEB, encoding="utf-8")
    path.chmod(0)
    code, _, err = run(["--from-file", str(path), "--api-key", "k"])
    assert code == _cli.EXIT_USAGE
    assert one_line(err) == f"roe-job-result: --from-file {path}: Permission denied"


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_an_endless_line_is_refused_without_reading_it_whole(tmp_path: Path, where: str) -> None:
    endless = "0" * (MAX_LINE_CHARS * 256)  # no newline: read whole, a large file is a MemoryError
    if where == "file":
        path = tmp_path / "ids.txt"
        path.write_text(f"{jobs.WEB}\n{endless}", encoding="utf-8")
        code, _, err = run(["--from-file", str(path), "--api-key", "k"])
        what = f"--from-file {path}"
    else:
        code, _, err = run(["--from-file", "-", "--api-key", "k"], stdin=f"{jobs.WEB}\n{endless}")
        what = "--from-file -"
    assert code == _cli.EXIT_USAGE
    assert one_line(err) == (
        f"roe-job-result: {what}: line 2 is longer than {MAX_LINE_CHARS} characters "
        "(one job id a line)"
    )


def test_a_line_just_within_the_bound_is_read() -> None:
    padded = jobs.WEB + " " * (MAX_LINE_CHARS - len(jobs.WEB) - 1)  # with its newline: the bound
    code, _, err = run(["--demo", "--format", "jsonl", "--from-file", "-"], stdin=padded + "\n")
    assert code == _cli.EXIT_OK, err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_one_line_and_exit_2() -> None:
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run(
            [sys.executable, "-m", "langchain_roe", "--demo", "--format", "text", jobs.WEB],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == _cli.EXIT_USAGE
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "roe-job-result: cannot write the output: No space left on device"
    )


class FailingOutput(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(5, "Input/output error")


@pytest.mark.usefixtures("replayed")
def test_an_output_that_fails_is_one_line_and_exit_2() -> None:
    stderr = Terminal()
    code = _cli.main([jobs.WEB], stdin=Terminal(), stdout=FailingOutput(), stderr=stderr)
    assert code == _cli.EXIT_USAGE
    assert one_line(stderr.getvalue()) == (
        "roe-job-result: cannot write the output: Input/output error"
    )


@pytest.mark.usefixtures("replayed")
def test_a_closed_standard_output_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", None)  # what Python has when the shell closed it (>&-)
    stderr = Terminal()
    code = _cli.main([jobs.WEB], stdin=Terminal(), stderr=stderr)
    assert code == _cli.EXIT_USAGE
    assert one_line(stderr.getvalue()) == (
        "roe-job-result: cannot write the output: standard output is closed"
    )


@pytest.mark.usefixtures("replayed")
@pytest.mark.parametrize("form", ["text", "jsonl", "markdown"])
def test_a_job_with_none_of_the_output_keys_is_the_same_in_every_format(form: str) -> None:
    code, out, err = run(["--format", form, "--output-keys", "nope,gone", jobs.WEB])
    assert code == _cli.EXIT_SOME_FAILED
    assert out == ""
    assert one_line(err) == (
        f"roe-job-result: job {jobs.WEB} has no output with key(s) gone, nope; available: output"
    )


@pytest.mark.usefixtures("replayed")
@pytest.mark.parametrize("form", ["text", "jsonl", "markdown"])
def test_an_output_key_some_job_lacks_is_named_and_the_rest_printed(form: str) -> None:
    code, out, err = run(["--format", form, "--output-keys", "output,nope", jobs.WEB, jobs.DOCS])
    assert code == _cli.EXIT_OK
    assert jobs.WEB in out
    assert jobs.DOCS in out
    assert err.splitlines() == [
        f"roe-job-result: job {jobs.WEB} has no output with key(s) nope; available: output",
        f"roe-job-result: job {jobs.DOCS} has no output with key(s) nope; available: output",
    ]


def test_the_demo_banner_tells_a_pip_user_the_command_to_go_live() -> None:
    """Installed with pip there is no Makefile: the banner names the installed command."""
    code, _, err = run(["--demo"])
    assert code == _cli.EXIT_OK
    assert "ROE_API_KEY=<key> roe-job-result --demo <id> ..." in err
