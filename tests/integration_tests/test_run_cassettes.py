"""The recorded run (built from the spec's examples; see tests/cassettes/README.md) through vcrpy.

The session ships in the package for `examples/run_and_read.py`; here a default client replays it
through vcrpy, as the other cassettes are replayed, so a live re-recording is checked the same way.
"""

from __future__ import annotations

from langchain_roe import RoeClient, RoeRunAgentTool
from langchain_roe.replay import RUN_SESSION, RUN_SESSION_AGENT_ID, RUN_SESSION_TEXT
from tests.support.cassettes import replay


def test_the_recorded_run_replays_through_a_default_client() -> None:
    with replay(str(RUN_SESSION)):
        client = RoeClient(api_key="replayed-key")
        tool = RoeRunAgentTool.from_agent(RUN_SESSION_AGENT_ID, client=client)
        assert list(tool.args) == ["text"]
        call = {
            "type": "tool_call",
            "id": "run-1",
            "name": tool.name,
            "args": {"text": RUN_SESSION_TEXT},
        }
        message = tool.invoke(call)
    assert message.status == "success"
    assert '"summary": "hello world!"' in str(message.content)
    assert message.artifact["agent_id"] == RUN_SESSION_AGENT_ID
