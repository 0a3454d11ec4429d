"""What every Roe tool shares: its settings and client, its text budget, and who gets which error.

The tools are thin adapters over `RoeClient`, built through `build_client` like the loaders and
the command line (`RoeSettingsFields`, shared with the retriever). Each tool writes its work once,
as a flow (`_flow`: the client's calls it makes and the answer it gives, see `_core._flow`); this
base runs that flow on the client, sync in `_run` and async in `_arun`. Errors a model can act on
come back to it as an error `ToolMessage` (`handle_tool_error`); those only the developer can fix
are raised.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Final, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool, ToolException
from pydantic import ConfigDict

from langchain_roe._convert._agent_text import DEFAULT_MAX_OUTPUT_CHARS
from langchain_roe._convert._documents import check_output_keys
from langchain_roe._core._exceptions import (
    RoeError,
    is_for_the_model,
)
from langchain_roe._core._flow import Flow, Reporter
from langchain_roe._core._surfaces import RoeSettingsFields, Whole

#: What a tool answers: what the model reads (text, or content blocks such as an image), and the
#: data kept as the message's artifact.
Answer = tuple[str | list[dict[str, Any]], dict[str, Any]]

MIN_MAX_OUTPUT_CHARS: Final = 500
"""The least text budget a tool takes: under it, a job's outputs barely begin."""


OutputBudget = Annotated[int, Whole(MIN_MAX_OUTPUT_CHARS)]
"""A tool's `max_output_chars`."""


class RoeTool(RoeSettingsFields, BaseTool):
    """Base of the Roe tools: client settings, a shared client, and a text budget."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    """Errors come back to the model as an error ToolMessage instead of ending the agent run."""

    max_output_chars: OutputBudget = DEFAULT_MAX_OUTPUT_CHARS
    """The most characters of text the model is given (at least 500); the rest is cut with a
    marker that says how much was left out."""

    def _flow(self, *args: Any, **kwargs: Any) -> Flow[Answer]:
        """The tool's work for one call, as a flow of the client's calls: written once per tool."""
        raise NotImplementedError

    def _reporter(self) -> Reporter | None:
        """Where the flow's progress reports go (none, unless a tool says otherwise)."""
        return None

    def _run(
        self,
        *args: Any,
        run_manager: CallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> Answer:
        return self.client._drive(self._flow(*args, **kwargs), self._reporter())

    async def _arun(
        self,
        *args: Any,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> Answer:
        return await self.client._adrive(self._flow(*args, **kwargs), self._reporter())


@contextlib.contextmanager
def errors_for_the_model(describe: Callable[[RoeError], str]) -> Iterator[None]:
    """Turn an error the model can act on into a `ToolException` saying `describe(error)`.

    The model then gets an error ToolMessage; any other error is raised to the developer
    (`is_for_the_model`). Used inside a tool's flow, it sees the errors its calls end in.
    """
    try:
        yield
    except RoeError as error:
        if not is_for_the_model(error):
            raise
        raise ToolException(describe(error)) from error


def resolve_run_annotations(tool: type[BaseTool]) -> None:
    """Leave LangChain nothing to evaluate in a tool's `_run`/`_arun` annotations on each call.

    LangChain reads them with `typing.get_type_hints` on every call, for one thing: a parameter
    typed `RunnableConfig` (and, once per tool, parameters it injects). Evaluating ours, even
    resolved (the union of `run_manager`, the nested `Answer` return type), cost about 30-50 us a
    call; strings under `from __future__ import annotations` more. When LangChain finds neither in
    them, as in ours, it is given none to read; a method that does take one keeps its annotations,
    evaluated once. Type checkers read the source, not these. Only the methods `tool` defines
    itself are touched, never those it inherits (LangChain's own `BaseTool._arun`). The two
    look-ups are LangChain's private functions: a langchain-core without them leaves the
    annotations resolved, as they were before this step.
    """
    for name in ("_run", "_arun"):
        method = vars(tool).get(name)
        if method is None:
            continue
        method.__annotations__ = typing.get_type_hints(method)
        if not _langchain_reads(method):
            method.__annotations__ = {}


def _langchain_reads(method: Callable[..., Any]) -> bool:
    """Whether LangChain finds a `RunnableConfig` or an injected argument in `method`'s annotations.

    True too when its private look-ups are gone from langchain-core: the annotations are kept.
    """
    try:
        from langchain_core.tools.base import (
            _get_injected_args_keys_from_signature,
            _get_runnable_config_param,
        )
    except ImportError:  # a langchain-core that renamed them
        return True
    return bool(
        _get_runnable_config_param(method) or _get_injected_args_keys_from_signature(method)
    )


def stream_writer() -> Callable[[Any], None] | None:
    """LangGraph's custom stream writer inside a graph; None outside one (or without LangGraph).

    Where the run tool writes a job's progress, and the query tool a table query's.
    """
    try:
        from langgraph.config import get_stream_writer
    except ImportError:
        return None
    try:
        return get_stream_writer()
    except (RuntimeError, LookupError):  # outside a graph: no runnable context, or no runtime in it
        return None


def keys_asked(output_keys: list[str] | None) -> frozenset[str] | None:
    try:
        return check_output_keys(output_keys)
    except ValueError as error:
        raise ToolException(str(error)) from None


resolve_run_annotations(RoeTool)
