"""The package's public face is pinned: a change to it is a decision, not an accident."""

from __future__ import annotations

from importlib import metadata

import langchain_roe

EXPECTED_ALL = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "Agent",
    "AgentDatum",
    "AgentInputDefinition",
    "AgentJobResult",
    "AgentJobResultItem",
    "AgentJobStatus",
    "AgentJobStatusCode",
    "AgentJobStatusItem",
    "AgentJobSummary",
    "AgentVersion",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "InvalidAgentJobIdError",
    "InvalidReferenceError",
    "InvalidResponseError",
    "JobDataDeletion",
    "JobFailedError",
    "JobInput",
    "JobNotFinishedError",
    "JobReference",
    "JobStateError",
    "JobStatusEvent",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "RoeAgentJobResultInput",
    "RoeAgentJobResultLoader",
    "RoeAgentJobResultTool",
    "RoeAgentRunLoader",
    "RoeCancelAgentJobInput",
    "RoeCancelAgentJobTool",
    "RoeClient",
    "RoeDescribeTableInput",
    "RoeDescribeTableTool",
    "RoeError",
    "RoeJobResultRetriever",
    "RoeListTablesInput",
    "RoeListTablesTool",
    "RoeQueryTableInput",
    "RoeQueryTableTool",
    "RoeReadJobReferenceInput",
    "RoeReadJobReferenceTool",
    "RoeRunAgentTool",
    "RoeSettings",
    "RoeTableLoader",
    "RoeTablesToolkit",
    "RoeToolkit",
    "RunOutcomeUnknownError",
    "ServerError",
    "Table",
    "TableColumn",
    "TableDescription",
    "TablePreview",
    "TableQueryError",
    "TableQueryNotFinishedError",
    "TableQueryResult",
    "TableQueryStatus",
    "TableUpload",
    "TruncatedResultError",
    "__version__",
    "aindex_agent_jobs",
    "find_references",
    "index_agent_jobs",
]


def test_all_is_pinned_and_sorted() -> None:
    assert langchain_roe.__all__ == EXPECTED_ALL
    assert sorted(langchain_roe.__all__) == langchain_roe.__all__
    for name in langchain_roe.__all__:
        assert getattr(langchain_roe, name) is not None


def test_the_tools_module_exports_the_tools_and_their_inputs_alone() -> None:
    from langchain_roe import tools

    # What `from langchain_roe.tools import *` takes: `__all__`, else every public name.
    starred = getattr(tools, "__all__", [n for n in vars(tools) if not n.startswith("_")])
    expected = [n for n in EXPECTED_ALL if n.startswith("Roe") and n.endswith(("Tool", "Input"))]
    assert sorted(starred) == expected
    assert all(getattr(tools, n) is getattr(langchain_roe, n) for n in expected)


def test_version_comes_from_the_installed_metadata() -> None:
    assert langchain_roe.__version__ == metadata.version("langchain-roe")


def test_every_error_is_a_roe_error() -> None:
    errors = [getattr(langchain_roe, n) for n in EXPECTED_ALL if n.endswith("Error")]
    assert all(issubclass(e, langchain_roe.RoeError) for e in errors)
