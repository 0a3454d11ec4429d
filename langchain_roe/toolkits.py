"""`RoeToolkit`: a run tool per Roe agent, the result, reference and (asked for) cancel tools.

`RoeTablesToolkit`: list, describe and query Roe tables (defined in `_tools/_tables.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.tools import BaseTool, BaseToolkit
from pydantic import ConfigDict

from langchain_roe._core._client import RoeClient
from langchain_roe._core._formats import canonical_uuid
from langchain_roe._core._surfaces import check_options, client_from
from langchain_roe._tools._tables import RoeTablesToolkit
from langchain_roe.tools import (
    RoeAgentJobResultTool,
    RoeCancelAgentJobTool,
    RoeReadJobReferenceTool,
    RoeRunAgentTool,
)

__all__ = ["RoeTablesToolkit", "RoeToolkit"]


class RoeToolkit(BaseToolkit):
    """Tools for an LLM agent to run Roe agents and read their jobs.

    Example:
        ```python
        from langchain_roe import RoeToolkit

        toolkit = RoeToolkit.from_agents(["5eb1a2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"], wait_timeout=120)
        tools = toolkit.get_tools()  # roe_run_<agent>_<id> ..., the result and reference tools
        ```
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    tools: list[BaseTool]
    """One `RoeRunAgentTool` per agent, then the result tool, the reference tool and, when asked
    for, the cancel tool."""

    def __init__(self, **values: Any) -> None:
        check_options(type(self), values)
        super().__init__(**values)

    def get_tools(self) -> list[BaseTool]:
        """The toolkit's tools."""
        return list(self.tools)

    @classmethod
    def from_agents(
        cls,
        agent_ids: Iterable[str] | str,
        *,
        client: RoeClient | None = None,
        include_cancel: bool = False,
        **options: Any,
    ) -> RoeToolkit:
        """A run tool per agent (each reads its version once), then the result and reference tools.

        `include_cancel` adds `roe_cancel_agent_job` last: off by default, since it acts (a
        cancelled job makes no outputs). `options`: client settings when no `client` is given, and
        the run tools' options (`wait_timeout`, `cancel_on_timeout`, `max_output_chars`,
        `skip_cache`). All tools share one client.
        """
        client = client_from(client, options)
        runs = [RoeRunAgentTool.from_agent(i, client=client, **options) for i in _ids(agent_ids)]
        return cls(tools=[*runs, *_other_tools(client, options, include_cancel=include_cancel)])

    @classmethod
    async def afrom_agents(
        cls,
        agent_ids: Iterable[str] | str,
        *,
        client: RoeClient | None = None,
        include_cancel: bool = False,
        **options: Any,
    ) -> RoeToolkit:
        """Async `from_agents`."""
        client = client_from(client, options)
        runs = [
            await RoeRunAgentTool.afrom_agent(i, client=client, **options) for i in _ids(agent_ids)
        ]
        return cls(tools=[*runs, *_other_tools(client, options, include_cancel=include_cancel)])


def _ids(agent_ids: Iterable[str] | str) -> list[str]:
    """The agent ids asked for: one id, or several, each checked before any request."""
    given = [agent_ids] if isinstance(agent_ids, str) else list(agent_ids)
    if not given:
        msg = "agent_ids is empty: give at least one agent id"
        raise ValueError(msg)
    return [canonical_uuid(agent_id, "agent_id") for agent_id in given]


def _other_tools(
    client: RoeClient, options: dict[str, Any], *, include_cancel: bool
) -> list[BaseTool]:
    """The result and reference tools (and the cancel tool), on the toolkit's client and budget."""
    budget = options.get("max_output_chars")
    given = {"max_output_chars": budget} if budget else {}
    tools: list[BaseTool] = [
        RoeAgentJobResultTool(client=client, **given),
        RoeReadJobReferenceTool(client=client, **given),
    ]
    if include_cancel:
        tools.append(RoeCancelAgentJobTool(client=client))
    return tools
