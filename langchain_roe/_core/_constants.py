"""The client core's literals: URLs, paths, headers, environment variables, defaults and bounds.

The tables' paths and bounds live with their calls in `_core/_tables`. What belongs to a surface
lives with it: the tools' names and text budget in `_convert/_agent_text`, the
run tool's in `_tools/_run`, Document ids' namespace in `_convert/_documents`, the retriever's `k` in
`retrievers`, the loaders' defaults in `_loaders/_base`.
"""

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
#: Cancelling jobs and deleting a job's data (`openapi-tables-control.yml`).
CANCEL_PATH: Final = "/v1/agents/jobs/{agent_job_id}/cancel/"
CANCEL_ALL_PATH: Final = "/v1/agents/{agent_id}/jobs/cancel-all/"
DELETE_DATA_PATH: Final = "/v1/agents/jobs/{agent_job_id}/delete-data/"
CURRENT_VERSION: Final = "current"
INPUTS_FIELD: Final = "inputs"
PAGE_SIZE_PARAM: Final = "page_size"
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

# Environment variables: a setting's name in capitals after this, as the official Roe SDKs name
# them (`ROE_API_KEY`; see `_config.SETTING_ENV_VARS`).
ENV_PREFIX: Final = "ROE_"

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
"""A ranged answer's part and whole size, `bytes 0-0/SIZE`: how a reference's size is learnt."""
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
DEFAULT_MAX_UPLOAD_BYTES: Final = 100 * 1024 * 1024
"""A file uploaded as a run's input is refused past this size, before any request."""
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
#: A keyed run's answer while the first request under its key is still being processed (the
#: IETF Idempotency-Key draft): retried under the same key.
IDEMPOTENCY_CONFLICT_STATUS: Final = 409

# Listing an agent's jobs: pages of this size by default (the spec sets no maximum; this is the
# most a page is asked for), oldest first so that jobs created while a listing runs land at its
# end instead of shifting the pages already read.
DEFAULT_JOBS_PAGE_SIZE: Final = 100
MAX_JOBS_PAGE_SIZE: Final = 1000
LISTING_ORDER: Final = ("created_at", "id")
MAX_STALE_PAGES: Final = 2
"""How many pages in a row a listing may bring nothing new (every item on them listed before)
before it is stopped with `InvalidResponseError`. One is a shift (jobs created while a newest-first
listing is read); two in a row is a server repeating itself (one ignoring `page`, say), so such a
listing ends at its third request instead of never."""
SERVER_COUNT_CAP: Final = 100_000
"""The server counts (and, by its spec, considers) only this many recent jobs unless told `limit`."""

#: The progress event `wait_flow` reports for each change of a waited-for job's status (the run
#: tool writes it to a LangGraph graph's custom stream).
JOB_STATUS_EVENT: Final = "roe_job_status"
#: Reported when a run starts a job (the run tool writes it to the graph's stream; the run loader
#: keeps the job to cancel it on exit).
JOB_STARTED_EVENT: Final = "roe_job_started"

#: Reported for each job a run load or the run tool cancelled.
JOB_CANCELLED_EVENT: Final = "roe_job_cancelled"

# Untrusted JSON: a body too deep to parse has its values past this depth replaced by null.
MAX_JSON_DEPTH: Final = 200
WATCHDOG_THREAD_NAME: Final = "langchain-roe-deadlines"

# References and artifacts: how long a resource id and an artifact key may be.
MAX_RESOURCE_ID_CHARS: Final = 512
MAX_ARTIFACT_KEY_CHARS: Final = 1024

# How much of an unreadable error body is quoted in a message.
ERROR_SNIPPET_CHARS: Final = 200

LOGGER_NAME: Final = "langchain_roe"
