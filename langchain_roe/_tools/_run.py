"""`RoeRunAgentTool`: a tool that runs one Roe agent and answers with what the job produced.

The argument schema is made from the agent version's input definitions, one field per input, each
with a distinct, safe argument name mapped back to its input key (`argument_names`). The job is
started under an idempotency key derived from the agent, the tool call's id, the arguments and the
LangGraph thread where there is one (a graph that retries a tool call finds the job it already
started; another call, or the same call id with other arguments, starts its own), waited for up to
`wait_timeout`, and read; the answer
is the result tool's text and artifact. A job still running then is not an error: the model gets
its id, to read later with `roe_get_agent_job_result`; or, with `cancel_on_timeout`, the job is
cancelled and the model is told so.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, Final

from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, Field, create_model

from langchain_roe._convert._agent_text import TOOL_NAME, error_text, result_artifact, result_text
from langchain_roe._convert._documents import FinishedJob
from langchain_roe._core import _flow
from langchain_roe._core._calls import result_flow
from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import SETTING_ENV_VARS, RoeSettings
from langchain_roe._core._constants import (
    IDEMPOTENCY_CONFLICT_STATUS,
    IDEMPOTENCY_KEY_PREFIX,
    JOB_CANCELLED_EVENT,
    JOB_STARTED_EVENT,
)
from langchain_roe._core._control import cancel_flow
from langchain_roe._core._exceptions import (
    BadRequestError,
    JobNotFinishedError,
    RoeError,
    is_for_the_model,
)
from langchain_roe._core._flow import Flow, Report, Reporter
from langchain_roe._core._formats import canonical_uuid, is_uuid
from langchain_roe._core._models import AgentInputDefinition, AgentJobResult, AgentVersion
from langchain_roe._core._runs import run_call, run_flow
from langchain_roe._core._surfaces import Seconds, client_from
from langchain_roe._core._waiting import wait_flow
from langchain_roe._tools._base import Answer, RoeTool, stream_writer

# How long the run tool waits for its job before answering with the job's id, what its name is
# made of.
DEFAULT_RUN_WAIT_TIMEOUT: Final = 120.0
RUN_TOOL_NAME_PREFIX: Final = "roe_run_"
MAX_TOOL_NAME_CHARS: Final = 64


#: The tool call being run: its id and the LangGraph thread it is in (set by `run`/`arun`, read by
#: `_run`/`_arun`).
_TOOL_CALL: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "roe_tool_call", default=(None, None)
)
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_]+")
#: Argument names that would clash with how a tool is called (`_run(self, run_manager=...)`,
#: `config`, `callbacks`) or with an attribute of the schema model or the tool: an input key that
#: comes to one of these gets `input_` before it.
_RESERVED_NAMES: Final = frozenset(
    {"self", "cls", "args", "kwargs", "run_manager", "callbacks", "config", "tool_call_id"}
    | set(dir(BaseModel))
    | set(dir(BaseTool))
    | set(BaseTool.model_fields)
)
#: Whether a job still running at `wait_timeout` was cancelled: not asked (False), done (True), or
#: why it could not be.
Cancelling = bool | RoeError
#: What a run and read comes to: the job, its outputs (or why there are none), and `Cancelling`.
RunAnswer = tuple[str, AgentJobResult | RoeError, Cancelling]


class RoeRunAgentTool(RoeTool):
    """Run a Roe AI agent from an LLM agent: start a job on the model's inputs, wait, read it.

    Make it from an agent id (`from_agent` reads the agent's current version), or give
    `input_definitions` yourself and no request is needed to build it.

    Example:
        ```python
        from langchain_roe import RoeRunAgentTool

        tool = RoeRunAgentTool.from_agent("5eb1a2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b", wait_timeout=120)
        print(tool.name, tool.args)  # one argument per input of the agent
        ```

    What the model gets: the job's outputs as `roe_get_agent_job_result` gives them; if the job is
    still running at `wait_timeout`, its id and where to read it later (not an error), or, with
    `cancel_on_timeout`, that it was cancelled; if the
    server refuses the inputs (400), the server's message, so it can fix its call. A missing agent,
    no permission or credits (403) and authentication errors are raised to the developer. Inside a
    LangGraph graph, the job's start and status changes go to the graph's custom stream.
    """

    name: str = "roe_run_agent"
    description: str = "Run a Roe AI agent."
    args_schema: type[BaseModel] = BaseModel

    agent_id: str
    """The agent to run."""
    version_id: str | None = None
    """A version to run; the agent's current version when None."""
    input_definitions: list[AgentInputDefinition]
    """The inputs a run takes, as the agent version defines them."""
    agent_name: str | None = None
    """The agent's name, used in the tool's name and description."""
    agent_description: str | None = None
    """What the agent does, used in the tool's description."""
    wait_timeout: Annotated[float, Seconds()] = DEFAULT_RUN_WAIT_TIMEOUT
    """Seconds to wait for the job before answering with its id instead of its outputs."""
    skip_cache: bool = False
    """Ask the server not to answer from its cache of earlier runs on the same inputs."""
    cancel_on_timeout: bool = False
    """Cancel the job if it is still running at `wait_timeout`, and tell the model it was (it
    makes no outputs then); off, the model gets the job's id, to read its outputs later."""

    def __init__(self, **values: Any) -> None:
        definitions = [
            d if isinstance(d, AgentInputDefinition) else AgentInputDefinition.model_validate(d)
            for d in values.get("input_definitions") or []
        ]
        if not definitions:
            msg = "input_definitions must list at least one input (from_agent reads them)"
            raise ValueError(msg)
        agent_id = canonical_uuid(values.get("agent_id"), "agent_id")
        values = {
            "name": tool_name(values.get("agent_name"), agent_id),
            "description": tool_description(values, definitions),
            "args_schema": input_schema(definitions),
            **values,
            "agent_id": agent_id,
            "input_definitions": definitions,
        }
        super().__init__(**values)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by the fields given; the copy makes its input schema anew from the definitions.

        The client (which pickles) carries the settings.
        """
        skip = {"args_schema", *SETTING_ENV_VARS}
        given = {k: getattr(self, k) for k in self.model_fields_set if k not in skip}
        return (_remake_run_tool, (type(self), given))

    @classmethod
    def from_agent(
        cls,
        agent_id: str,
        *,
        version_id: str | None = None,
        client: RoeClient | None = None,
        **options: Any,
    ) -> RoeRunAgentTool:
        """Make the tool from the agent's version (the current one by default), read once.

        `options` are the tool's other fields: `wait_timeout`, `cancel_on_timeout`,
        `max_output_chars`, `skip_cache`, `name`, `description`, and client settings when no
        `client` is given.
        """
        client = client_from(client, options)
        return cls._from_version(
            client.get_agent_version(agent_id, version_id), agent_id, version_id, client, options
        )

    @classmethod
    async def afrom_agent(
        cls,
        agent_id: str,
        *,
        version_id: str | None = None,
        client: RoeClient | None = None,
        **options: Any,
    ) -> RoeRunAgentTool:
        """Async `from_agent`."""
        client = client_from(client, options)
        version = await client.aget_agent_version(agent_id, version_id)
        return cls._from_version(version, agent_id, version_id, client, options)

    @classmethod
    def _from_version(
        cls,
        version: AgentVersion,
        agent_id: str,
        version_id: str | None,
        client: RoeClient,
        options: dict[str, Any],
    ) -> RoeRunAgentTool:
        return cls(
            agent_id=agent_id,
            version_id=version_id,
            input_definitions=version.input_definitions,
            agent_name=version.name,
            agent_description=version.description,
            client=client,
            **options,
        )

    # The tool call's id reaches `_run` through a context variable: LangChain passes it to `run`.

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run the tool (see `BaseTool.run`), keeping the tool call's id for the job's key."""
        token = _TOOL_CALL.set(_tool_call(kwargs))
        try:
            return super().run(*args, **kwargs)
        finally:
            _TOOL_CALL.reset(token)

    async def arun(self, *args: Any, **kwargs: Any) -> Any:
        """Async `run`."""
        token = _TOOL_CALL.set(_tool_call(kwargs))
        try:
            return await super().arun(*args, **kwargs)
        finally:
            _TOOL_CALL.reset(token)

    def _reporter(self) -> Reporter | None:
        return stream_writer()

    def _flow(self, *args: Any, **arguments: Any) -> Flow[Answer]:
        if args:  # a bare string instead of the inputs by name: no input it could be is guessed
            msg = f"{self.name} takes its inputs by name: {', '.join(self.args)}"
            raise ToolException(msg)
        inputs = self._inputs(arguments)
        tool_call_id, thread_id = _TOOL_CALL.get()
        key = idempotency_key(self.agent_id, tool_call_id, inputs, thread_id)
        run = run_and_read_flow(
            self.client.settings,
            self.agent_id,
            inputs,
            version_id=self.version_id,
            idempotency_key=key,
            skip_cache=self.skip_cache,
            wait_timeout=self.wait_timeout,
            cancel_on_timeout=self.cancel_on_timeout,
        )
        try:
            answer = yield from run
        except RoeError as error:
            raise self._refusal(error) from error
        return self._respond(*answer)

    def _inputs(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The run's inputs by key, each file input checked to be a Roe file id or a URL."""
        by_field = argument_names(self.input_definitions)
        inputs: dict[str, Any] = {}
        for field, value in arguments.items():
            definition = by_field.get(field)
            if definition is None or value is None:
                continue
            if _is_file(definition):
                for one in value if isinstance(value, list) else [value]:
                    if not (is_uuid(one) or one.startswith(("https://", "http://"))):
                        msg = (
                            f"{definition.key!r} takes a file: give a Roe file id (a UUID) or an "
                            f"http(s) URL of the file, not {one!r}. Local paths are not accepted."
                        )
                        raise ToolException(msg)
            inputs[definition.key] = value
        return inputs

    def _refusal(self, error: RoeError) -> Exception:
        """An error from starting the job: the model's to fix (400), else the developer's."""
        if isinstance(error, BadRequestError):
            return ToolException(
                f"The Roe agent refused these inputs: {error.message}. Fix them and call again."
            )
        if not is_for_the_model(error, the_model_chose_the_id=False):
            return error
        if error.status_code == IDEMPOTENCY_CONFLICT_STATUS:
            return ToolException(
                "The Roe API was still processing an earlier request for this same tool call "
                f"({error.message}): its job may be running already. Calling again with other "
                "arguments starts another job (and uses credits again)."
            )
        return ToolException(f"Starting the Roe agent failed ({error.message}). Try again later.")

    def _respond(
        self, agent_job_id: str, outcome: AgentJobResult | RoeError, cancelled: Cancelling
    ) -> tuple[str, dict[str, Any]]:
        if isinstance(outcome, AgentJobResult):
            job = FinishedJob.from_result(agent_job_id, outcome)
            text = result_text(job, max_chars=self.max_output_chars)
            return text, result_artifact(agent_job_id, outcome)
        if isinstance(outcome, JobNotFinishedError):
            status = outcome.status.name
            waited = f"after {self.wait_timeout:g}s"
            artifact: dict[str, Any] = {"agent_job_id": agent_job_id, "status": status}
            if cancelled is True:
                text = (
                    f"Roe agent job {agent_job_id} was started and was still {status} {waited}, "
                    "so it was cancelled: it will produce no outputs. Calling this tool again "
                    "starts a new job (and uses credits again)."
                )
                return text, {**artifact, "cancelled": True}
            failed = (
                f" Cancelling it failed ({cancelled.message}): it may still be running."
                if isinstance(cancelled, RoeError)
                else ""
            )
            text = (
                f"Roe agent job {agent_job_id} was started and is still {status} {waited}."
                f"{failed} Its outputs are not ready yet: read them later with {TOOL_NAME} and "
                f"agent_job_id {agent_job_id}."
            )
            return text, {**artifact, "cancelled": False} if failed else artifact
        raise ToolException(error_text(outcome, agent_job_id))


def _remake_run_tool(cls: type[RoeRunAgentTool], given: dict[str, Any]) -> RoeRunAgentTool:
    return cls(**given)


def run_and_read_flow(
    settings: RoeSettings,
    agent_id: str,
    inputs: dict[str, Any],
    *,
    version_id: str | None,
    idempotency_key: str,
    skip_cache: bool,
    wait_timeout: float,
    cancel_on_timeout: bool = False,
) -> Flow[RunAnswer]:
    """Start a job, wait for it, read it. Errors starting it raise; later ones are the outcome.

    With `cancel_on_timeout`, a job still running at `wait_timeout` is cancelled (and reported).
    """
    call = run_call(
        agent_id,
        inputs,
        version_id=version_id,
        idempotency_key=idempotency_key,
        skip_cache=skip_cache,
        max_upload_bytes=settings.max_upload_bytes,
    )
    agent_job_id = yield from run_flow(call)
    yield Report({"event": JOB_STARTED_EVENT, "agent_job_id": agent_job_id})
    deadline = _flow.monotonic() + wait_timeout
    settled = yield from wait_flow([agent_job_id], deadline, wait_timeout, settings, batch=False)
    state = settled[agent_job_id]
    if isinstance(state, JobNotFinishedError) and cancel_on_timeout:
        try:
            yield from cancel_flow(agent_job_id)
        except RoeError as error:
            return agent_job_id, state, error
        yield Report({"event": JOB_CANCELLED_EVENT, "agent_job_id": agent_job_id})
        return agent_job_id, state, True
    if state is not None:
        return agent_job_id, state, False
    try:
        result = yield from result_flow(agent_job_id)
    except RoeError as error:
        return agent_job_id, error, False
    return agent_job_id, result, False


def idempotency_key(
    agent_id: str,
    tool_call_id: str | None,
    inputs: Mapping[str, Any] | None = None,
    thread_id: str | None = None,
) -> str:
    """The run's key: the same for every attempt at one tool call, fresh without a call id.

    It covers the agent, the tool call's id, the inputs and the LangGraph thread (where the call's
    config names one), so only a true retry of the same call reuses it: a provider that reuses call
    ids across conversations, or the same id with other arguments, gets a job of its own.
    """
    if tool_call_id is None:
        return str(uuid.uuid4())
    call = {"agent_id": agent_id, "tool_call_id": tool_call_id, "inputs": inputs or {}}
    if thread_id is not None:
        call["thread_id"] = thread_id
    text = json.dumps(call, sort_keys=True, ensure_ascii=True, default=str)
    return IDEMPOTENCY_KEY_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:32]


def _tool_call(kwargs: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The tool call's id and its LangGraph thread id (`configurable.thread_id`), where given."""
    config = kwargs.get("config") or {}
    thread = None
    for part in ("configurable", "metadata"):
        section = config.get(part) if isinstance(config, Mapping) else None
        if isinstance(section, Mapping) and section.get("thread_id") is not None:
            thread = str(section["thread_id"])
            break
    return kwargs.get("tool_call_id"), thread


def tool_name(agent_name: object, agent_id: str) -> str:
    """`roe_run_<agent name>_<first 8 of its id>`: a valid tool name, unique per agent."""
    slug = _NOT_A_NAME.sub("_", str(agent_name or "agent")).strip("_").lower() or "agent"
    suffix = "_" + agent_id.replace("-", "")[:8]
    return (RUN_TOOL_NAME_PREFIX + slug)[: MAX_TOOL_NAME_CHARS - len(suffix)].rstrip("_") + suffix


def tool_description(values: dict[str, Any], definitions: list[AgentInputDefinition]) -> str:
    """What the agent takes and returns, for the model."""
    name = values.get("agent_name") or "a Roe AI agent"
    described = str(values.get("agent_description") or "").strip().rstrip(".")
    about = f" What it does: {described}." if described else ""
    takes = "; ".join(f"{d.key} ({d.data_type})" for d in definitions)
    return (
        f"Run the Roe AI agent {name!r} on new inputs.{about} Inputs: {takes}. Starts a job (this "
        "uses Roe credits), waits for it, and returns the job's outputs (key, type, value). If the "
        f"job is still running, returns its id: read it later with {TOOL_NAME}."
    )


def input_schema(definitions: list[AgentInputDefinition]) -> type[BaseModel]:
    """One field per input definition, described from it (example included, and its input key)."""
    fields: dict[str, Any] = {}
    for name, definition in argument_names(definitions).items():
        description = definition.description or definition.key
        description += f" (type {definition.data_type})"
        if _is_file(definition):
            description += ". A file: give a Roe file id or an http(s) URL of it"
            if definition.accepts_multiple_files:
                description += "; several: a list of them"
        if definition.example:
            description += f". Example: {definition.example}"
        description += f". Fills the agent's input {definition.key!r}"
        kind: Any = list[str] if definition.accepts_multiple_files else str
        fields[name] = (kind, Field(description=description))
    return create_model("RoeRunAgentInput", **fields)


def argument_names(definitions: list[AgentInputDefinition]) -> dict[str, AgentInputDefinition]:
    """Each input's argument name, in the definitions' order: distinct, safe, mapped to its input.

    A name is the key with anything but letters, digits and `_` made `_`, with `input_` before it
    when it starts with a digit or `model_`, or is one of `_RESERVED_NAMES`. A key that is its own
    name keeps it; a key that comes to a name already taken gets `_2`, `_3`, ... (`doc-type`
    beside `doc_type`).
    """
    wanted = {id(d): _safe_name(d.key) for d in definitions}
    names: dict[str, AgentInputDefinition] = {}
    for definition in sorted(definitions, key=lambda d: wanted[id(d)] != d.key):
        name, suffix = wanted[id(definition)], 2
        while name in names:
            name, suffix = f"{wanted[id(definition)]}_{suffix}", suffix + 1
        names[name] = definition
    order = {id(d): position for position, d in enumerate(definitions)}
    return dict(sorted(names.items(), key=lambda item: order[id(item[1])]))


def _safe_name(key: str) -> str:
    name = _NOT_A_NAME.sub("_", key).strip("_") or "input"
    reserved = name in _RESERVED_NAMES or name.startswith("model_") or name[0].isdigit()
    return f"input_{name}" if reserved else name


def _is_file(definition: AgentInputDefinition) -> bool:
    """Whether the input is a file (anything but text; a URL input is text)."""
    data_type = definition.data_type.lower()
    return not (data_type.startswith("text/") or "url" in data_type or data_type.endswith("json"))
