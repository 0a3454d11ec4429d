"""LangChain integration for Roe AI agent jobs: a client, tools, loaders, a retriever and sync."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from langchain_roe._version import __version__

if TYPE_CHECKING:
    from langchain_roe._convert._references import JobReference, find_references
    from langchain_roe._core._client import RoeClient
    from langchain_roe._core._config import RoeSettings
    from langchain_roe._core._exceptions import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        InvalidAgentJobIdError,
        InvalidReferenceError,
        InvalidResponseError,
        JobFailedError,
        JobNotFinishedError,
        JobStateError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ResponseTooLargeError,
        RoeError,
        RunOutcomeUnknownError,
        ServerError,
        TableQueryError,
        TableQueryNotFinishedError,
        TruncatedResultError,
    )
    from langchain_roe._core._models import (
        Agent,
        AgentDatum,
        AgentInputDefinition,
        AgentJobResult,
        AgentJobResultItem,
        AgentJobStatus,
        AgentJobStatusCode,
        AgentJobStatusItem,
        AgentJobSummary,
        AgentVersion,
        JobDataDeletion,
        JobInput,
        JobStatusEvent,
        Table,
        TableColumn,
        TableDescription,
        TablePreview,
        TableQueryResult,
        TableQueryStatus,
        TableUpload,
    )
    from langchain_roe.document_loaders import RoeAgentJobResultLoader, RoeAgentRunLoader
    from langchain_roe.indexing import aindex_agent_jobs, index_agent_jobs
    from langchain_roe.retrievers import RoeJobResultRetriever
    from langchain_roe.toolkits import RoeToolkit
    from langchain_roe.tools import (
        RoeAgentJobResultInput,
        RoeAgentJobResultTool,
        RoeCancelAgentJobInput,
        RoeCancelAgentJobTool,
        RoeReadJobReferenceInput,
        RoeReadJobReferenceTool,
        RoeRunAgentTool,
    )

# Each public name and the module that defines it: a name is imported on first use, so
# `from langchain_roe import RoeClient` loads the client core and nothing of the LangChain surfaces.
_WHERE = {
    "APIConnectionError": "langchain_roe._core._exceptions",
    "APIStatusError": "langchain_roe._core._exceptions",
    "APITimeoutError": "langchain_roe._core._exceptions",
    "Agent": "langchain_roe._core._models",
    "AgentDatum": "langchain_roe._core._models",
    "AgentInputDefinition": "langchain_roe._core._models",
    "AgentJobResult": "langchain_roe._core._models",
    "AgentJobResultItem": "langchain_roe._core._models",
    "AgentJobStatus": "langchain_roe._core._models",
    "AgentJobStatusCode": "langchain_roe._core._models",
    "AgentJobStatusItem": "langchain_roe._core._models",
    "AgentJobSummary": "langchain_roe._core._models",
    "AgentVersion": "langchain_roe._core._models",
    "AuthenticationError": "langchain_roe._core._exceptions",
    "BadRequestError": "langchain_roe._core._exceptions",
    "ConfigurationError": "langchain_roe._core._exceptions",
    "InvalidAgentJobIdError": "langchain_roe._core._exceptions",
    "InvalidReferenceError": "langchain_roe._core._exceptions",
    "InvalidResponseError": "langchain_roe._core._exceptions",
    "JobDataDeletion": "langchain_roe._core._models",
    "JobFailedError": "langchain_roe._core._exceptions",
    "JobInput": "langchain_roe._core._models",
    "JobNotFinishedError": "langchain_roe._core._exceptions",
    "JobReference": "langchain_roe._convert._references",
    "JobStateError": "langchain_roe._core._exceptions",
    "JobStatusEvent": "langchain_roe._core._models",
    "NotFoundError": "langchain_roe._core._exceptions",
    "PermissionDeniedError": "langchain_roe._core._exceptions",
    "RateLimitError": "langchain_roe._core._exceptions",
    "ResponseTooLargeError": "langchain_roe._core._exceptions",
    "RoeAgentJobResultInput": "langchain_roe._tools._result",
    "RoeAgentJobResultLoader": "langchain_roe.document_loaders",
    "RoeAgentJobResultTool": "langchain_roe._tools._result",
    "RoeAgentRunLoader": "langchain_roe.document_loaders",
    "RoeCancelAgentJobInput": "langchain_roe.tools",
    "RoeCancelAgentJobTool": "langchain_roe.tools",
    "RoeClient": "langchain_roe._core._client",
    "RoeError": "langchain_roe._core._exceptions",
    "RoeJobResultRetriever": "langchain_roe.retrievers",
    "RoeReadJobReferenceInput": "langchain_roe._tools._reference",
    "RoeReadJobReferenceTool": "langchain_roe._tools._reference",
    "RoeRunAgentTool": "langchain_roe._tools._run",
    "RoeSettings": "langchain_roe._core._config",
    "RoeToolkit": "langchain_roe.toolkits",
    "RunOutcomeUnknownError": "langchain_roe._core._exceptions",
    "ServerError": "langchain_roe._core._exceptions",
    "Table": "langchain_roe._core._models",
    "TableColumn": "langchain_roe._core._models",
    "TableDescription": "langchain_roe._core._models",
    "TablePreview": "langchain_roe._core._models",
    "TableQueryError": "langchain_roe._core._exceptions",
    "TableQueryNotFinishedError": "langchain_roe._core._exceptions",
    "TableQueryResult": "langchain_roe._core._models",
    "TableQueryStatus": "langchain_roe._core._models",
    "TableUpload": "langchain_roe._core._models",
    "TruncatedResultError": "langchain_roe._core._exceptions",
    "aindex_agent_jobs": "langchain_roe.indexing",
    "find_references": "langchain_roe._convert._references",
    "index_agent_jobs": "langchain_roe.indexing",
}

__all__ = [
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
    "RoeError",
    "RoeJobResultRetriever",
    "RoeReadJobReferenceInput",
    "RoeReadJobReferenceTool",
    "RoeRunAgentTool",
    "RoeSettings",
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
