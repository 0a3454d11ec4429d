"""Every literal the package relies on: URLs, paths, environment variables, defaults and bounds."""

from __future__ import annotations

from typing import Final

# Where the API lives and how it is reached.
DEFAULT_BASE_URL: Final = "https://api.roe-ai.com"
RESULT_PATH: Final = "/v1/agents/jobs/{agent_job_id}/result/"
RESULTS_PATH: Final = "/v1/agents/jobs/results/"
STATUS_PATH: Final = "/v1/agents/jobs/{agent_job_id}/status/"
STATUSES_PATH: Final = "/v1/agents/jobs/statuses/"
AGENTS_PATH: Final = "/v1/agents/"
AGENT_VERSION_PATH: Final = "/v1/agents/{agent_id}/versions/{version}/"
RUN_PATH: Final = "/v1/agents/run/{agent_id}/async/"
RUN_VERSION_PATH: Final = "/v1/agents/run/{agent_id}/versions/{version_id}/async/"
RUN_MANY_PATH: Final = "/v1/agents/run/{agent_id}/async/many/"
AGENT_JOBS_PATH: Final = "/v1/agents/{agent_id}/jobs/"
REFERENCE_PATH: Final = "/v1/agents/jobs/{agent_job_id}/references/{resource_id}/"
ARTIFACT_PATH: Final = "/v1/agents/jobs/{agent_job_id}/artifacts/result/"
ARTIFACT_KEY_PARAM: Final = "artifact_key"
ARTIFACT_RESULT_FIELD: Final = "result"
CURRENT_VERSION: Final = "current"
INPUTS_FIELD: Final = "inputs"
PAGE_SIZE_PARAM: Final = "page_size"
#: The job listing's query parameters, as the spec names them.
CREATED_FROM_PARAM: Final = "created_from"
CREATED_TO_PARAM: Final = "created_to"
STATUS_CODE_PARAM: Final = "status_code"
VERSION_NAME_PARAM: Final = "version_name"
METADATA_PARAM: Final = "metadata"
SEARCH_PARAM: Final = "search"
SEMANTIC_STRING_PARAM: Final = "semantic_string"
ORDERING_PARAM: Final = "ordering"
LIMIT_PARAM: Final = "limit"
#: The orderings the job listing accepts (a leading "-" for descending).
JOB_ORDERING_FIELDS: Final = frozenset(
    {
        "agent_version_name",
        "cost",
        "created_at",
        "duration",
        "grader_score",
        "id",
        "last_updated_at",
        "status_code",
    }
)
ORGANIZATION_ID_PARAM: Final = "organization_id"
JOB_IDS_FIELD: Final = "job_ids"

# Environment variables, named as the official Roe SDKs name them.
ENV_API_KEY: Final = "ROE_API_KEY"
ENV_ORGANIZATION_ID: Final = "ROE_ORGANIZATION_ID"
ENV_BASE_URL: Final = "ROE_BASE_URL"
ENV_TIMEOUT: Final = "ROE_TIMEOUT"
ENV_MAX_RETRIES: Final = "ROE_MAX_RETRIES"
ENV_MAX_RESPONSE_BYTES: Final = "ROE_MAX_RESPONSE_BYTES"
ENV_ALLOW_INSECURE_HTTP: Final = "ROE_ALLOW_INSECURE_HTTP"
ENV_MAX_REFERENCE_BYTES: Final = "ROE_MAX_REFERENCE_BYTES"

# Headers.
AUTHORIZATION_HEADER: Final = "Authorization"
BEARER_PREFIX: Final = "Bearer "
USER_AGENT_HEADER: Final = "User-Agent"
USER_AGENT_PRODUCT: Final = "langchain-roe"
REQUEST_ID_HEADER: Final = "X-Request-ID"
RETRY_AFTER_HEADER: Final = "Retry-After"
IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
SKIP_CACHE_HEADER: Final = "X-Skip-Cache"
ACCEPT_HEADER: Final = "Accept"
ACCEPT_ENCODING_HEADER: Final = "Accept-Encoding"
CONTENT_ENCODING_HEADER: Final = "Content-Encoding"
CONTENT_LENGTH_HEADER: Final = "Content-Length"
CONTENT_TYPE_HEADER: Final = "Content-Type"
CONTENT_RANGE_HEADER: Final = "Content-Range"
RANGE_HEADER: Final = "Range"
FIRST_BYTE_RANGE: Final = "bytes=0-0"
"""What a reference probe asks for: its first byte, the answer's `Content-Range` telling its size."""
ANY_MEDIA_TYPE: Final = "*/*"
JSON_MEDIA_TYPE: Final = "application/json"
IDEMPOTENCY_KEY_PREFIX: Final = "langchain-roe-"
"""Keys this package makes start so: they are told apart from a user's own in the server's logs."""

# Client defaults.
DEFAULT_TIMEOUT: Final = 60.0
DEFAULT_MAX_RETRIES: Final = 3
MAX_IDS_PER_REQUEST: Final = 1000
MAX_INPUTS_PER_REQUEST: Final = 1000

# Bounds on settings: past these a value is a mistake (or an attack), not a preference.
MAX_TIMEOUT: Final = 86_400.0
MAX_MAX_RETRIES: Final = 100

# Bodies are read as streams and never held past these sizes (decoded bytes).
DEFAULT_MAX_RESPONSE_BYTES: Final = 256 * 1024 * 1024
MIN_MAX_RESPONSE_BYTES: Final = 1024
DEFAULT_MAX_REFERENCE_BYTES: Final = 32 * 1024 * 1024
"""A reference file (a screenshot, a page's HTML or markdown) is read only this far."""
MAX_ERROR_BODY_BYTES: Final = 64 * 1024
"""An error answer is read only this far: its message is near the start, the rest is dropped."""

#: The encodings we ask for, and inflate ourselves a piece of this size at a time.
ACCEPT_ENCODING: Final = "gzip, deflate"
INFLATE_PIECE_BYTES: Final = 64 * 1024

# Hosts a key may be sent to over plain http:// without `allow_insecure_http`.
LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})

# Retry timing, in seconds.
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
MAX_RETRY_AFTER: Final = 60.0
RETRY_JITTER: Final = 0.25
MAX_SANE_RETRY_AFTER: Final = 86_400.0
"""A `Retry-After` past this (or not finite) is treated as absent rather than believed."""

# Status codes retried for read-only calls (besides every 5xx).
RETRYABLE_STATUS_CODES: Final = frozenset({408, 429})

# Waiting for unfinished jobs: status polls back off from the first delay to the last, with jitter.
DEFAULT_WAIT_TIMEOUT: Final = 600.0
POLL_INITIAL_DELAY: Final = 0.5
POLL_MAX_DELAY: Final = 10.0
POLL_BACKOFF: Final = 1.3
POLL_JITTER: Final = 0.2

# The loader's defaults.
DEFAULT_MAX_CONCURRENCY: Final = 4

# Listing an agent's jobs: pages of this size by default (the spec sets no maximum; this is the
# most a page is asked for), oldest first so that jobs created while a listing runs land at its
# end instead of shifting the pages already read.
DEFAULT_JOBS_PAGE_SIZE: Final = 100
MAX_JOBS_PAGE_SIZE: Final = 1000
LISTING_ORDER: Final = ("created_at", "id")
SERVER_COUNT_CAP: Final = 100_000
"""The server counts (and, by its spec, considers) only this many recent jobs unless told `limit`."""
#: Metadata keys a listed job's own metadata is flattened into: `job_metadata_<key>`.
JOB_METADATA_PREFIX: Final = "job_metadata_"

# The retriever: how many jobs a query returns by default, and at most.
DEFAULT_RETRIEVER_K: Final = 4
MAX_RETRIEVER_K: Final = 100
MAX_SEARCH_PAGES: Final = 5
"""How many pages a retriever query reads at most to find `k` finished jobs."""

# The run tool: how long it waits for the job before answering with the job's id, what its name
# is made of, and the progress events it writes to a LangGraph graph's custom stream.
DEFAULT_RUN_WAIT_TIMEOUT: Final = 120.0
RUN_TOOL_NAME_PREFIX: Final = "roe_run_"
MAX_TOOL_NAME_CHARS: Final = 64
JOB_STARTED_EVENT: Final = "roe_job_started"
JOB_STATUS_EVENT: Final = "roe_job_status"
JOBS_LISTED_EVENT: Final = "roe_jobs_listed"
"""Reported after each page of an agent's job listing (the loaders' progress bar reads it)."""

# Untrusted JSON: a body too deep to parse has its values past this depth replaced by null.
MAX_JSON_DEPTH: Final = 200
WATCHDOG_THREAD_NAME: Final = "langchain-roe-deadlines"

# The tool: its name, and how much text it hands a model at most.
TOOL_NAME: Final = "roe_get_agent_job_result"
DEFAULT_MAX_OUTPUT_CHARS: Final = 20_000
MIN_MAX_OUTPUT_CHARS: Final = 500
EXAMPLE_AGENT_JOB_ID: Final = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"

# Documents: the namespace their ids are derived in (uuid5 of "<agent_job_id>/<output_index>").
DOCUMENT_ID_NAMESPACE: Final = "6b1f2c3e-7d0a-5e4b-9c8d-1a2b3c4d5e6f"
#: A reference's Document id: uuid5 of "<agent_job_id>/references/<resource_id>" in the same space.

# References and artifacts: what a resource id may look like, and how much of a job's outputs is
# searched for them (a value nesting deeper, or holding more, is not searched further).
MAX_RESOURCE_ID_CHARS: Final = 512
MAX_ARTIFACT_KEY_CHARS: Final = 1024
MAX_REFERENCE_SCAN_NODES: Final = 100_000
REFERENCE_TOOL_NAME: Final = "roe_read_agent_job_reference"
#: Text types a reference's bytes are read as (besides any `text/*`).
TEXT_LIKE_MEDIA_TYPES: Final = frozenset(
    {"application/json", "application/xhtml+xml", "application/xml", "application/x-ndjson"}
)

# How much of an unreadable error body is quoted in a message.
ERROR_SNIPPET_CHARS: Final = 200

LOGGER_NAME: Final = "langchain_roe"

# `langchain_roe.ray` (the `ray` extra): how an agent's jobs are cut into read tasks, and the rows.
RAY_EXTRA_INSTALL: Final = "pip install 'langchain-roe[ray]'"
DEFAULT_MAX_PARTITION_JOBS: Final = 10_000
"""Most jobs one listing window holds when planned: a retried read task redoes at most this many."""
MIN_AUTO_PARTITION_JOBS: Final = 1_000
"""Fewest jobs per window when Ray chooses the number of read tasks: one full batch request."""
MAX_PARTITION_IDS: Final = 1_000
"""Most explicit ids one partition holds: one batch request."""
BLOCK_ROWS: Final = 4_096
BLOCK_BYTES: Final = 64 * 1024 * 1024
"""A read task hands Ray a block once it holds this many rows or this many bytes of text."""
ROW_COLUMNS: Final = ("id", "page_content", "metadata")
"""A row per Document: its id, its text, and its metadata as one JSON object (a string)."""
