"""`roe-job-result` (also `python -m langchain_roe`): Roe agent job outputs on the command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn, TextIO

from langchain_core.documents import Document

from langchain_roe._cli_inputs import cli_inputs
from langchain_roe._cli_output import (
    Output,
    OutputError,
    Writer,
    missing_keys,
    render,
    shown,
    text_lines,
)
from langchain_roe._convert._agent_text import DEFAULT_MAX_OUTPUT_CHARS
from langchain_roe._convert._documents import FinishedJob
from langchain_roe._core._calls import result_url
from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import ENV_API_KEY, SETTING_ENV_VARS, RoeSettings
from langchain_roe._core._exceptions import (
    SETUP_ERRORS,
    APIConnectionError,
    ConfigurationError,
    RoeError,
    is_setup_error,
)
from langchain_roe._core._formats import unique_job_ids
from langchain_roe._core._surfaces import build_client
from langchain_roe._loaders._base import DEFAULT_WAIT_TIMEOUT
from langchain_roe._version import __version__
from langchain_roe.document_loaders import RoeAgentJobResultLoader, RoeAgentRunLoader
from langchain_roe.replay import recorded_job_ids, replay_client
from langchain_roe.tools import RoeAgentJobResultTool

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
#: The reader of standard output closed it early (`... | head`): what a shell reports for SIGPIPE.
EXIT_BROKEN_PIPE = 141
EXIT_INTERRUPTED = 130
#: Above this many jobs, a terminal gets a progress bar on standard error.
PROGRESS_FROM_JOBS = 50
#: The demo's one-line preview of each Document.
PREVIEW_CHARS = 90
FORMATS = ("text", "jsonl", "markdown")


def parser() -> argparse.ArgumentParser:
    """The command line's arguments."""
    cli = argparse.ArgumentParser(
        prog="roe-job-result",
        description="Print the outputs of Roe AI agent jobs: as a model reads them (text), as "
        "LangChain Documents (jsonl), or for people (markdown). With --run, start an agent's "
        "jobs first.",
        epilog="Exit status: 0 all jobs loaded, 1 some jobs failed or had none of the "
        "--output-keys (each named once on standard error), 2 usage, configuration, input or "
        "output error (an unreadable or non-UTF-8 file, a full disk), 3 the API could not be "
        "reached (no request "
        "got there: DNS, refused, proxy), 130 interrupted, 141 standard output closed early "
        "(as with | head).",
    )
    cli.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    cli.add_argument("agent_job_ids", nargs="*", metavar="AGENT_JOB_ID", help="job ids (UUIDs)")
    cli.add_argument(
        "--from-file",
        metavar="PATH",
        help="read ids from a file, one per line ('-' for standard input)",
    )
    cli.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="text: what roe_get_agent_job_result shows a model (the default); jsonl: one "
        "LangChain Document a line; markdown: for people. With --demo and no --format, the "
        "demo's own summary",
    )
    cli.add_argument(
        "--output-keys",
        type=_comma_list,
        metavar="KEY[,KEY...]",
        help="only the outputs with these keys; a key a job lacks is named on standard error "
        "(in every format), and a job with none of them is not printed and counts as failed",
    )
    cli.add_argument("--wait", action="store_true", help="wait for unfinished jobs to end")
    cli.add_argument(
        "--wait-timeout",
        type=float,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="SECONDS",
        help="with --wait, how long to wait for unfinished jobs (default: %(default)g)",
    )
    cli.add_argument(
        "--continue-on-failure",
        action="store_true",
        help="go on past jobs that fail, naming each; exit 1 at the end (without it, stop after "
        "the first request that had a failed job)",
    )
    runs = cli.add_argument_group("running an agent (instead of reading jobs by id)")
    runs.add_argument(
        "--run",
        metavar="AGENT_ID",
        help="start jobs of this agent and print their outputs once they finish (uses credits)",
    )
    runs.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one input of a single run; KEY=@PATH uploads the file at PATH (as curl does), "
        "KEY=@@TEXT is the text @TEXT; repeat for each input (a KEY given twice gets both values)",
    )
    runs.add_argument(
        "--inputs-jsonl",
        metavar="PATH",
        help="many runs: one JSON object of inputs per line ('-' for standard input); a string is "
        'always text; {"file": "PATH"} uploads that local file; a list gives several values',
    )
    runs.add_argument(
        "--cancel-on-interrupt",
        action="store_true",
        help="on Ctrl-C (or an error that stops the run), cancel the jobs it started that are "
        "still running, and those still running at --wait-timeout; each is named on standard error",
    )
    listing = cli.add_argument_group("reading an agent's jobs (instead of naming them)")
    listing.add_argument(
        "--agent",
        metavar="AGENT_ID",
        help="print the outputs of this agent's succeeded jobs, oldest first, found by listing them",
    )
    listing.add_argument(
        "--since",
        metavar="ISO_TIME",
        help="with --agent, only jobs created at or after this time, with its zone "
        "(2026-11-30T00:00:00Z)",
    )
    listing.add_argument(
        "--search",
        metavar="TEXT",
        help="with --agent, only the jobs the server's text search finds for TEXT",
    )
    cli.add_argument(
        "--demo",
        action="store_true",
        help="show the package at work; without ROE_API_KEY, or without job ids, on the recorded "
        "example session, offline",
    )
    settings = cli.add_argument_group("client settings (default: the ROE_* environment variables)")
    for name, field in RoeSettings.model_fields.items():
        # Each setting as RoeSettings defines it (its first sentence, its variable); the value is
        # checked there, so a bad one is named the same way as from Python or the environment.
        about = (field.description or "").split(";")[0].split(". ")[0].rstrip(".")
        flag = "--" + name.replace("_", "-")
        hint = f"{about} (${SETTING_ENV_VARS[name]})"
        if field.annotation is bool:
            settings.add_argument(flag, action="store_const", const=True, help=hint)
        else:
            settings.add_argument(flag, metavar=name.split("_")[-1].upper(), help=hint)
    return cli


def read_ids(args: argparse.Namespace, stdin: TextIO | None) -> list[str]:
    """Ids from the arguments, then the file; from standard input when neither gave any.

    Raises:
        ValueError: `--from-file -` with standard input closed; a file that cannot be read, is not
            UTF-8 or has an endless line.
    """
    ids = list(args.agent_job_ids)
    if args.from_file == "-":
        ids += text_lines(None, stdin, "--from-file -")
    elif args.from_file:
        ids += text_lines(args.from_file, None, "--from-file")
    elif not ids and stdin is not None and not stdin.closed and not stdin.isatty():
        ids += text_lines(None, stdin, "standard input")
    return ids


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit status."""
    stdin = stdin if stdin is not None else sys.stdin  # None when the shell closed it (<&-)
    stream, stderr = stdout if stdout is not None else sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    try:
        return _main(args, stdin, Output(stream), stderr)
    except BrokenPipeError:
        _silence(stream)
        return EXIT_BROKEN_PIPE
    except OutputError as error:
        print(f"roe-job-result: {error}", file=stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("roe-job-result: interrupted", file=stderr)
        return EXIT_INTERRUPTED


def entry() -> NoReturn:
    """The `roe-job-result` program: `main`, then exit at once.

    Requests still in flight when the command is done (left by Ctrl-C, or by stopping after a
    failed job) answer nobody: the process does not wait for them (up to the timeout) at exit.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _main(args: argparse.Namespace, stdin: TextIO | None, stdout: Writer, stderr: TextIO) -> int:
    if args.run is not None:
        return _run(args, stdin, stdout, stderr)
    if args.cancel_on_interrupt:
        print("roe-job-result: --cancel-on-interrupt goes with --run AGENT_ID", file=stderr)
        return EXIT_USAGE
    if args.agent is not None or args.since is not None or args.search is not None:
        return _agent(args, stdout, stderr)
    try:
        ids = read_ids(args, stdin)
        replaying = _replaying(args, ids)
        if replaying and not ids:
            ids = recorded_job_ids()
        if not ids:
            raise ValueError(
                "no agent job ids: give them as arguments, with --from-file, or on standard input"
            )
        ids = unique_job_ids(ids)  # what is wrong with the input first, then the set-up
        client = _client(args, replaying, stderr)
        if client.settings.api_key is None:
            raise ConfigurationError(f"no Roe API key: set {ENV_API_KEY} or pass --api-key")
        loader = RoeAgentJobResultLoader(
            ids,
            client=client,
            output_keys=args.output_keys,
            wait_for_completion=args.wait,
            wait_timeout=args.wait_timeout,
            show_progress=len(ids) >= PROGRESS_FROM_JOBS and stderr.isatty() and _has_tqdm(),
        )
    except (ValueError, OSError) as error:
        print(f"roe-job-result: {error}", file=stderr)
        return EXIT_USAGE
    try:
        if args.demo and args.format is None:
            return _demo(loader, stdout, stderr)
        keep_going = args.continue_on_failure or args.demo
        return _print_jobs(loader, args.format or "text", keep_going, stdout, stderr)
    except LookupError as error:  # the offline session was asked for a job it never recorded
        print(f"roe-job-result: {error}", file=stderr)
        return EXIT_USAGE
    except SETUP_ERRORS as error:
        print(f"roe-job-result: {error}", file=stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace, stdin: TextIO | None, stdout: Writer, stderr: TextIO) -> int:
    """`--run`: start the agent on the inputs given, then print like the job ids' outputs."""
    try:
        given = run_inputs(args, stdin)
        client = build_client(None, **_settings(args))
        if client.settings.api_key is None:
            raise ConfigurationError(f"no Roe API key: set {ENV_API_KEY} or pass --api-key")
        loader = RoeAgentRunLoader(
            args.run,
            given,
            client=client,
            output_keys=args.output_keys,
            wait_timeout=args.wait_timeout,
            show_progress=len(given) >= PROGRESS_FROM_JOBS and stderr.isatty() and _has_tqdm(),
            cancel_on_exit=args.cancel_on_interrupt,
        )
    except (ValueError, OSError) as error:
        print(f"roe-job-result: {error}", file=stderr)
        return EXIT_USAGE
    try:
        return _print_jobs(loader, args.format or "text", True, stdout, stderr)
    except SETUP_ERRORS as error:
        print(f"roe-job-result: {error}", file=stderr)
        return EXIT_USAGE
    finally:
        if loader.cancelled:
            cancelled = [loader.cancelled[position] for position in sorted(loader.cancelled)]
            print(
                f"roe-job-result: cancelled {len(cancelled)} job(s) still running: "
                + ", ".join(cancelled),
                file=stderr,
            )


def _agent(args: argparse.Namespace, stdout: Writer, stderr: TextIO) -> int:
    """`--agent`: list the agent's jobs (filtered by `--since`, `--search`) and print their outputs."""
    try:
        if args.agent is None:
            raise ValueError("--since and --search filter an agent's jobs: give --agent AGENT_ID")
        if args.agent_job_ids or args.from_file or args.demo:
            raise ValueError(
                "--agent finds the jobs itself: give no job ids, --from-file or --demo"
            )
        client = build_client(None, **_settings(args))
        if client.settings.api_key is None:
            raise ConfigurationError(f"no Roe API key: set {ENV_API_KEY} or pass --api-key")
        loader = RoeAgentJobResultLoader.from_agent(
            args.agent,
            created_from=args.since,
            search=args.search,
            client=client,
            output_keys=args.output_keys,
            wait_for_completion=args.wait,
            wait_timeout=args.wait_timeout,
            show_progress=stderr.isatty() and _has_tqdm(),
        )
    except (ValueError, OSError) as error:
        print(f"roe-job-result: {error}", file=stderr)
        return EXIT_USAGE
    try:
        return _print_jobs(loader, args.format or "text", args.continue_on_failure, stdout, stderr)
    except SETUP_ERRORS as error:
        print(f"roe-job-result: {error}", file=stderr)
        return EXIT_USAGE
    except RoeError as error:  # the listing itself failed: no job can be named
        print(f"roe-job-result: listing the agent's jobs failed: {error}", file=stderr)
        return _exit_code({"listing": error})


def run_inputs(args: argparse.Namespace, stdin: TextIO | None) -> list[dict[str, Any]]:
    """The runs asked for (`_cli_inputs`): one from `--input`s, or one per `--inputs-jsonl` line."""
    return cli_inputs(args.input, args.inputs_jsonl, stdin)


def _print_jobs(
    loader: RoeAgentJobResultLoader | RoeAgentRunLoader,
    form: str,
    keep_going: bool,
    stdout: Writer,
    stderr: TextIO,
) -> int:
    """Print each loaded job and name each failed one once.

    Without `keep_going`, stop after the first request unit that had a failed job.
    """
    failed: dict[Any, RoeError] = {}
    empty = 0
    for jobs, failures in _unit_results(loader):
        for job in jobs:
            if _lacks_keys(loader, job, stderr):
                empty += 1
                continue
            source = result_url(loader.client.settings, job.agent_job_id)
            stdout.write(render(job, form, loader.output_keys, source))
        stdout.flush()
        _report(failures, stderr, loader._what)
        failed.update(failures)
        if failures and not keep_going:
            break
    code = _exit_code(failed)
    return EXIT_SOME_FAILED if empty and code == EXIT_OK else code


def _lacks_keys(
    loader: RoeAgentJobResultLoader | RoeAgentRunLoader, job: FinishedJob, stderr: TextIO
) -> bool:
    """Name the `--output-keys` the job lacks, in every format; True when it has none of them."""
    missing = missing_keys(job, loader.output_keys)
    if not missing:
        return False
    available = ", ".join(sorted({output.key for output in job.outputs})) or "none"
    print(
        shown(
            f"roe-job-result: job {job.agent_job_id} has no output with key(s) "
            f"{', '.join(missing)}; available: {available}",
            "text",
        ),
        file=stderr,
    )
    return len(missing) == len(set(loader.output_keys or ()))


def _exit_code(failed: dict[Any, RoeError]) -> int:
    """0 when nothing failed; 3 when no request of a failed job reached the API; else 1."""
    if not failed:
        return EXIT_OK
    unreached = all(
        isinstance(error, APIConnectionError) and not error.request_sent
        for error in failed.values()
    )
    return EXIT_UNREACHABLE if unreached else EXIT_SOME_FAILED


def _unit_results(
    loader: RoeAgentJobResultLoader | RoeAgentRunLoader,
) -> Iterator[tuple[list[FinishedJob], dict[Any, RoeError]]]:
    """Each request unit's loaded jobs and failures, in order; set-up errors raise."""
    for outcomes in loader._outcomes():
        jobs: list[FinishedJob] = []
        failures: dict[Any, RoeError] = {}
        for agent_job_id, outcome in outcomes:
            if isinstance(outcome, RoeError):
                if is_setup_error(outcome):
                    raise outcome
                failures[agent_job_id] = outcome
            else:
                jobs.append(outcome)
        yield jobs, failures


def _report(failures: dict[Any, RoeError], stderr: TextIO, what: str = "agent job") -> None:
    name = "job" if what == "agent job" else what
    for key, error in failures.items():
        print(shown(f"roe-job-result: {name} {key} failed: {error.message}", "text"), file=stderr)


def _demo(loader: RoeAgentJobResultLoader, stdout: Writer, stderr: TextIO) -> int:
    documents: list[Document] = []
    failed: dict[str, RoeError] = {}
    ids = loader.agent_job_ids or []
    for jobs, failures in _unit_results(loader):
        documents += [d for job in jobs for d in loader._documents(job)]
        failed.update(failures)
    print(f"Loaded {len(documents)} Documents from {len(ids)} jobs:\n", file=stdout)
    for document in documents:
        meta = document.metadata
        preview = " ".join(document.page_content.split())
        if len(preview) > PREVIEW_CHARS:
            preview = preview[:PREVIEW_CHARS] + " ..."
        line = (
            f"- job {meta['agent_job_id']}, output {meta['key']!r} ({meta['data_type']}, "
            f"cost {meta.get('cost', 'n/a')})\n    {preview}"
        )
        print(shown(line, "text"), file=stdout)
    tool = RoeAgentJobResultTool(client=loader.client, max_output_chars=DEFAULT_MAX_OUTPUT_CHARS)
    first_job = ids[0]
    message = tool.invoke(
        {
            "type": "tool_call",
            "id": "demo-1",
            "name": tool.name,
            "args": {"agent_job_id": first_job},
        }
    )
    print(f"\nWhat {tool.name} returns to a model for {first_job}:\n", file=stdout)
    print(shown(str(message.content), "text"), file=stdout)
    _report(failed, stderr)
    return _exit_code(failed)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in RoeSettings.model_fields}


def _client(args: argparse.Namespace, replaying: bool, stderr: TextIO) -> RoeClient:
    settings = _settings(args)
    if not replaying:
        return build_client(None, **settings)
    why = "no job ids given" if _has_key(args) else f"no {ENV_API_KEY} set"
    print(
        f"roe-job-result: {why}: replaying the recorded example session offline (no network). "
        f"To ask the live API, set {ENV_API_KEY} and name jobs: "
        f"{ENV_API_KEY}=<key> roe-job-result --demo <id> ... (in a clone: make demo IDS='<id> ...')",
        file=stderr,
    )
    return replay_client(**{k: v for k, v in settings.items() if k != "api_key"})


def _replaying(args: argparse.Namespace, ids: list[str]) -> bool:
    return bool(args.demo and (not _has_key(args) or not ids))


def _has_key(args: argparse.Namespace) -> bool:
    return bool(args.api_key or os.environ.get(ENV_API_KEY, "").strip())


def _silence(stdout: TextIO | None) -> None:
    """After a broken pipe: send what Python still flushes at exit to /dev/null, not a traceback."""
    if stdout is None:
        return
    try:
        descriptor = stdout.fileno()
    except (OSError, ValueError):
        return  # not a real file: nothing will be flushed to it
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _has_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True
