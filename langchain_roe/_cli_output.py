"""What `roe-job-result` reads and writes: bounded lines of text in, jobs rendered safely out.

Every way in or out can fail on a user's machine (a file that is not there, not readable, not
UTF-8, one endless line; a full disk, a closed standard output). Each failure here becomes a
`ValueError` or `OutputError` with one line that names what failed, which the command prints.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection, Iterator
from typing import Protocol, TextIO

from langchain_roe._convert._agent_text import DEFAULT_MAX_OUTPUT_CHARS, result_text
from langchain_roe._convert._documents import FinishedJob, job_documents, readable_value

#: The longest line an ids file may have (a job id is 36 characters; the rest is for comments):
#: a file of one endless line is refused instead of read whole into memory.
MAX_LINE_CHARS = 4096


class Writer(Protocol):
    """Where output goes: a text stream."""

    def write(self, text: str, /) -> object:
        """Write `text`."""

    def flush(self) -> object:
        """Flush what was written."""


class OutputError(Exception):
    """Standard output could not be written (a full disk, a closed or failing descriptor)."""


class Output:
    """Standard output whose failures are an `OutputError`.

    A closed pipe stays a `BrokenPipeError`: the reader left, which is no error of the command's.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def write(self, text: str, /) -> None:
        """Write `text`, or raise `OutputError`."""
        with self._failures() as stream:
            stream.write(text)

    def flush(self) -> None:
        """Flush, or raise `OutputError`."""
        with self._failures() as stream:
            stream.flush()

    @contextlib.contextmanager
    def _failures(self) -> Iterator[TextIO]:
        if self._stream is None:  # the shell closed it (>&-)
            raise OutputError("cannot write the output: standard output is closed")
        try:
            yield self._stream
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as error:  # ValueError: a stream closed under us
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            raise OutputError(f"cannot write the output: {reason}") from error


def text_lines(path: str | None, stream: TextIO | None, what: str) -> list[str]:
    """The non-blank, non-comment lines of the file at `path` (else of `stream`), stripped.

    Read in lines of at most `MAX_LINE_CHARS`, so no line is ever held whole past that.

    Raises:
        ValueError: One line naming `what` (the option) and why: the file cannot be opened or read,
            is not UTF-8, or has a line longer than `MAX_LINE_CHARS`.
    """
    where = f"{what} {path}" if path is not None else what
    try:
        if path is None:
            if stream is None:
                raise ValueError(f"{what}: standard input is closed")
            return list(_kept(_bounded(stream, where)))
        with open(path, encoding="utf-8") as handle:
            return list(_kept(_bounded(handle, where)))
    except UnicodeDecodeError as error:
        bad = error.object[error.start : error.start + 1].hex()
        raise ValueError(
            f"{where}: not UTF-8 text (byte 0x{bad} at offset {error.start})"
        ) from None
    except OSError as error:
        raise ValueError(f"{where}: {error.strerror or error}") from None


def _bounded(handle: TextIO, where: str) -> Iterator[str]:
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise ValueError(
                f"{where}: line {number} is longer than {MAX_LINE_CHARS} characters "
                "(one job id a line)"
            )
        yield line


def _kept(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield stripped


#: Control characters a terminal acts on (ESC, CSI, BEL, backspace, carriage return, ...), shown
#: as text instead: a job that read a hostile page must not rewrite the user's terminal.
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\n\t"}
#: In JSON the same characters (those `json.dumps` leaves as they are) as JSON escapes: the value
#: read back is unchanged.
_JSON_CONTROLS = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}


def shown(text: str, form: str) -> str:
    """`text` safe to print on a terminal: its control characters escaped (JSON-escaped in jsonl)."""
    return text.translate(_JSON_CONTROLS if form == "jsonl" else _CONTROLS)


def missing_keys(job: FinishedJob, output_keys: Collection[str] | None) -> list[str]:
    """The asked `output_keys` the job has no output for."""
    if output_keys is None:
        return []
    return sorted(set(output_keys).difference(output.key for output in job.outputs))


def render(job: FinishedJob, form: str, output_keys: Collection[str] | None, source: str) -> str:
    """One job in `form` (text, jsonl or markdown), escaped for the terminal."""
    return shown(_rendered(job, form, output_keys, source), form)


def _rendered(job: FinishedJob, form: str, output_keys: Collection[str] | None, source: str) -> str:
    if form == "text":
        text = result_text(job, output_keys=output_keys, max_chars=DEFAULT_MAX_OUTPUT_CHARS)
        return text + "\n\n"
    if form == "jsonl":
        documents = job_documents(job, source=source, output_keys=output_keys)
        return "".join(
            json.dumps(
                {"id": d.id, "page_content": d.page_content, "metadata": d.metadata},
                ensure_ascii=False,
            )
            + "\n"
            for d in documents
        )
    lines = [f"# Roe agent job `{job.agent_job_id}`", ""]
    for output in job.outputs:
        if output_keys is not None and output.key not in output_keys:
            continue
        lines.append(f"## {output.key}")
        lines.append("")
        facts = [f"type `{output.data_type}`"]
        if output.cost is not None:
            facts.append(f"cost {output.cost:g}")
        lines.append(" · ".join(([output.description] if output.description else []) + facts))
        fence = "json" if readable_value(output) != output.value else ""
        lines += ["", f"```{fence}", readable_value(output), "```", ""]
    return "\n".join(lines) + "\n"
