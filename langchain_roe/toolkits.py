"""`RoeToolkit`: a run tool per Roe agent, the result tool and the reference tool, on one client."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.tools import BaseTool, BaseToolkit
from pydantic import ConfigDict

from langchain_roe._core._client import RoeClient, client_from
from langchain_roe._core._formats import canonical_uuid
from langchain_roe.tools import RoeAgentJobResultTool, RoeReadJobReferenceTool, RoeRunAgentTool


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
    """One `RoeRunAgentTool` per agent, then the result tool and the reference tool."""

    def get_tools(self) -> list[BaseTool]:
        """The toolkit's tools."""
        return list(self.tools)

    @classmethod
    def from_agents(
        cls, agent_ids: Iterable[str] | str, *, client: RoeClient | None = None, **options: Any
    ) -> RoeToolkit:
        """A run tool per agent (each reads its version once), then the result and reference tools.

        `options`: client settings when no `client` is given, and the run tools' options
        (`wait_timeout`, `max_output_chars`, `skip_cache`). All tools share one client.
        """
        client = client_from(client, options)
        runs = [RoeRunAgentTool.from_agent(i, client=client, **options) for i in _ids(agent_ids)]
        return cls(tools=[*runs, *_reading_tools(client, options)])

    @classmethod
    async def afrom_agents(
        cls, agent_ids: Iterable[str] | str, *, client: RoeClient | None = None, **options: Any
    ) -> RoeToolkit:
        """Async `from_agents`."""
        client = client_from(client, options)
        runs = [
            await RoeRunAgentTool.afrom_agent(i, client=client, **options) for i in _ids(agent_ids)
        ]
        return cls(tools=[*runs, *_reading_tools(client, options)])


def _ids(agent_ids: Iterable[str] | str) -> list[str]:
    """The agent ids asked for: one id, or several, each checked before any request."""
    given = [agent_ids] if isinstance(agent_ids, str) else list(agent_ids)
    if not given:
        msg = "agent_ids is empty: give at least one agent id"
        raise ValueError(msg)
    return [canonical_uuid(agent_id, "agent_id") for agent_id in given]


def _reading_tools(client: RoeClient, options: dict[str, Any]) -> list[BaseTool]:
    """The result tool and the reference tool, on the toolkit's client and text budget."""
    budget = options.get("max_output_chars")
    given = {"max_output_chars": budget} if budget else {}
    return [
        RoeAgentJobResultTool(client=client, **given),
        RoeReadJobReferenceTool(client=client, **given),
    ]
