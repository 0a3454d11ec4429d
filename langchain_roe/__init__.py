"""LangChain integration for Roe AI agent jobs: a client, a tool for agents and a document loader."""

from __future__ import annotations

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
    AgentVersion,
)
from langchain_roe._version import __version__
from langchain_roe.document_loaders import RoeAgentJobResultLoader, RoeAgentRunLoader
from langchain_roe.toolkits import RoeToolkit
from langchain_roe.tools import RoeAgentJobResultInput, RoeAgentJobResultTool, RoeRunAgentTool

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
    "AgentVersion",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "InvalidAgentJobIdError",
    "InvalidResponseError",
    "JobFailedError",
    "JobNotFinishedError",
    "JobStateError",
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
    "RoeRunAgentTool",
    "RoeSettings",
    "RoeToolkit",
    "RunOutcomeUnknownError",
    "ServerError",
    "__version__",
]
