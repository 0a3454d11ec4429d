"""LangChain integration for Roe AI agent jobs: a client, tools, loaders, a retriever and sync."""

from __future__ import annotations

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
    JobInput,
    JobStatusEvent,
)
from langchain_roe._version import __version__
from langchain_roe.document_loaders import RoeAgentJobResultLoader, RoeAgentRunLoader
from langchain_roe.indexing import aindex_agent_jobs, index_agent_jobs
from langchain_roe.retrievers import RoeJobResultRetriever
from langchain_roe.toolkits import RoeToolkit
from langchain_roe.tools import (
    RoeAgentJobResultInput,
    RoeAgentJobResultTool,
    RoeReadJobReferenceInput,
    RoeReadJobReferenceTool,
    RoeRunAgentTool,
)

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
    "__version__",
    "aindex_agent_jobs",
    "find_references",
    "index_agent_jobs",
]
