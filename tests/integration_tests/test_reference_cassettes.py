"""References and artifacts against recorded sessions (built from the payloads; the files and
artifacts themselves are constructed: tests/cassettes/README.md), and the standard tool suite."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_tests.integration_tests import ToolsIntegrationTests

from langchain_roe import RoeAgentJobResultLoader, RoeClient, RoeReadJobReferenceTool
from tests.support import example_jobs as jobs
from tests.support.cassettes import (
    AML_EXTRACTION,
    AML_MISSING,
    FOREIGN,
    WEB_MARKDOWN,
    WEB_SCREENSHOT,
)

REPLAYED_KEY = "replayed-key-filtered-from-cassettes"


@pytest.mark.vcr("tool_reference_calls.yaml")
class TestRoeReadJobReferenceToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[RoeReadJobReferenceTool]:
        return RoeReadJobReferenceTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": REPLAYED_KEY}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"agent_job_id": jobs.WEB, "reference": WEB_MARKDOWN.replace("{id}", jobs.WEB)}


@pytest.mark.vcr("tool_reference_calls.yaml")
def test_the_recorded_reference_calls_answer_as_a_model_needs() -> None:
    tool = RoeReadJobReferenceTool(api_key=REPLAYED_KEY)
    answers = []
    calls = [
        (jobs.WEB, WEB_MARKDOWN),
        (jobs.WEB, WEB_SCREENSHOT),
        (jobs.AML, AML_EXTRACTION),
        (jobs.AML, AML_MISSING),
        (jobs.WEB, FOREIGN),
    ]
    for n, (job, reference) in enumerate(calls):
        args = {"agent_job_id": job, "reference": reference.replace("{id}", job)}
        message = tool.invoke({"type": "tool_call", "id": f"c{n}", "name": tool.name, "args": args})
        assert isinstance(message, ToolMessage)
        answers.append(message)
    markdown, screenshot, artifact, missing, foreign = answers
    assert markdown.status == "success"
    assert "# Roe AI" in markdown.content
    assert "Web Insights" in markdown.content
    assert screenshot.status == "success"
    assert "a image/png file of 2,056 bytes, not text" in screenshot.content
    assert '"customer_id": "CUST-9182"' in artifact.content
    assert artifact.artifact["result"]["ctr_threshold"] == 10000
    assert missing.status == "error"
    assert "has no reference or artifact" in missing.content
    assert foreign.status == "error"
    assert "does not point at the configured Roe API" in foreign.content


@pytest.mark.vcr("loader_references.yaml")
def test_a_web_jobs_text_references_load_after_its_output() -> None:
    loader = RoeAgentJobResultLoader(
        [jobs.WEB, jobs.AML], client=RoeClient(api_key=REPLAYED_KEY), load_references=True
    )
    documents = loader.load()
    shape = [
        (d.metadata["agent_job_id"], d.metadata.get("resource_id", "").rsplit(".", 1)[-1])
        for d in documents
    ]
    assert shape == [(jobs.WEB, ""), (jobs.WEB, "html"), (jobs.WEB, "md"), (jobs.AML, "")]
    markdown = documents[2]
    assert markdown.page_content.startswith("# Roe AI\n\nRoe AI builds AI agents")
    assert markdown.metadata["data_type"] == "text/markdown; charset=utf-8"
    assert markdown.metadata["source"].endswith("3a5c7e9b-1d3f-4a5c-8e7a-9b1d3f5a7c9e.md/")
    assert loader.failures == {}
