"""The Roe retriever: an agent's jobs most like a query, as Documents of their outputs."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from langchain_roe._convert._documents import FinishedJob, check_output_keys, job_documents
from langchain_roe._core._calls import result_url
from langchain_roe._core._constants import (
    LOGGER_NAME,
)
from langchain_roe._core._exceptions import (
    RoeError,
    is_one_jobs_failure,
)
from langchain_roe._core._flow import Flow
from langchain_roe._core._formats import canonical_uuid, check_whole
from langchain_roe._core._listing import Pager, job_filters, jobs_call
from langchain_roe._core._surfaces import RoeSettingsFields, Whole
from langchain_roe._loaders._finding import search_flow
from langchain_roe._loaders._units import LoadOptions, Outcome

# How many Documents a query returns by default, and at most.
DEFAULT_RETRIEVER_K: Final = 4
MAX_RETRIEVER_K: Final = 100


__all__ = ["RoeJobResultRetriever"]

logger = logging.getLogger(LOGGER_NAME)


class RoeJobResultRetriever(RoeSettingsFields, BaseRetriever):
    """Retrieve the outputs of the Roe agent jobs most like a query, best match first.

    A query lists the agent's jobs ranked by the server (`semantic_string`, by meaning, or
    `search`, by text), keeps the ones that succeeded, reads their outputs in one batch request
    and returns their Documents in ranking order: the same Documents `RoeAgentJobResultLoader`
    makes (same ids and metadata), plus `created_at`, `agent_version_name`, `job_metadata_<key>`
    and `rank` (1 for the best-matching job). At most `k` Documents are returned; with
    `output_keys` naming one output, that is one Document per job.

    Example:
        ```python
        from langchain_roe import RoeJobResultRetriever

        retriever = RoeJobResultRetriever(
            agent_id="7ad3c4e5-f6a7-4182-8c9d-0e1f2a3b4c5d", k=3, output_keys=["summary"]
        )
        for document in retriever.invoke("refund requests about damaged goods"):
            print(document.metadata["rank"], document.metadata["agent_job_id"])
        ```

    How the server ranks with `semantic_string` is not documented publicly; this retriever keeps
    the server's order as it comes (see the retriever docs page).
    """

    agent_id: str
    """The agent whose jobs are searched."""
    k: Annotated[int, Whole(1, MAX_RETRIEVER_K)] = DEFAULT_RETRIEVER_K
    """The most Documents a query returns (1 to 100); `invoke(query, k=...)` overrides it."""
    search_type: Literal["semantic", "text"] = "semantic"
    """`semantic`: the server ranks jobs by meaning (`semantic_string`); `text`: by its text
    search (`search`)."""
    output_keys: list[str] | None = None
    """Only the outputs with these keys become Documents."""
    created_from: datetime | str | None = None
    """Only jobs created at or after this time (aware, or ISO 8601 with its offset)."""
    created_to: datetime | str | None = None
    """Only jobs created at or before this time."""
    version_name: str | None = None
    """Only jobs run by the agent version of this name."""
    metadata_filter: dict[str, str] | None = None
    """Only jobs started with this metadata (`metadata` is the retriever's own LangChain field)."""
    prefer_corrected_outputs: bool = False
    """Use a human reviewer's corrected outputs where a job has them."""

    def __init__(self, **values: Any) -> None:
        values["agent_id"] = canonical_uuid(values.get("agent_id"), "agent_id")
        if isinstance(values.get("output_keys"), str):
            values["output_keys"] = [values["output_keys"]]
        check_output_keys(values.get("output_keys"))
        if values.get("search_type", "semantic") not in ("semantic", "text"):
            msg = f"search_type must be 'semantic' or 'text', got {values['search_type']!r}"
            raise ValueError(msg)
        job_filters(  # every filter checked here, before any query
            created_from=values.get("created_from"),
            created_to=values.get("created_to"),
            version_name=values.get("version_name"),
            metadata=values.get("metadata_filter"),
        )
        super().__init__(**values)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        wanted, keys = self._k(k), check_output_keys(self.output_keys)
        outcomes = self.client._drive(self._search(query, wanted, keys))
        return self._documents(outcomes, wanted, keys)

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
    ) -> list[Document]:
        wanted, keys = self._k(k), check_output_keys(self.output_keys)
        outcomes = await self.client._adrive(self._search(query, wanted, keys))
        return self._documents(outcomes, wanted, keys)

    def _k(self, k: int | None) -> int:
        if k is None:
            return self.k
        check_whole("k", k, 1, MAX_RETRIEVER_K)
        return k

    def _search(self, query: str, wanted: int, keys: frozenset[str] | None) -> Flow[list[Outcome]]:
        """The query as a listing (checked before any request) and the flow that loads it."""
        semantic = self.search_type == "semantic"
        filters = job_filters(
            created_from=self.created_from,
            created_to=self.created_to,
            version_name=self.version_name,
            metadata=self.metadata_filter,
            semantic_string=query if semantic else None,
            search=None if semantic else query,
            page_size=wanted,
        )
        pager = Pager(jobs_call(self.agent_id, filters), self.client.settings)
        options = LoadOptions(
            settings=self.client.settings,
            wait_for_completion=False,
            wait_timeout=1.0,
            prefer_corrected_outputs=self.prefer_corrected_outputs,
        )
        return search_flow(pager, wanted, options, keys)

    def _documents(
        self, outcomes: list[Outcome], wanted: int, keys: frozenset[str] | None
    ) -> list[Document]:
        documents: list[Document] = []
        for agent_job_id, outcome in outcomes:
            if isinstance(outcome, RoeError):
                if not is_one_jobs_failure(outcome):  # the service, a rate limit, the key: raised
                    raise outcome
                logger.warning("skipped agent job %s: %s", agent_job_id, outcome)
                continue
            documents += self._job_documents(outcome, keys)
        return documents[:wanted]

    def _job_documents(self, job: FinishedJob, keys: frozenset[str] | None) -> list[Document]:
        source = result_url(self.client.settings, job.agent_job_id)
        return job_documents(job, source=source, output_keys=keys)
