"""`RoeReadJobReferenceTool`: a model reads one piece of evidence a job cites.

The result tool's text says how many references and artifacts each output cites; this tool reads
one of them by the value the output shows (a reference URL, its resource id, or an artifact key):
text within `max_output_chars`, a file that is not text described by its type and size instead of
its bytes (one whose name says so is asked for its first byte only: `Content-Range` gives the
size), an artifact's JSON laid out. A reference URL off the configured API is refused before
any request, and the model is told why.
"""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any, Final

from langchain_core.documents.base import Blob
from pydantic import BaseModel, Field

from langchain_roe._convert._agent_text import (
    EXAMPLE_AGENT_JOB_ID,
    IMAGE_BLOCK_TYPES,
    REFERENCE_TOOL_NAME,
    artifact_text,
    file_text,
    image_blocks,
    reference_error_text,
    reference_text,
)
from langchain_roe._convert._references import is_text_like
from langchain_roe._core import _references as ask
from langchain_roe._core._flow import Flow
from langchain_roe._core._formats import canonical_job_id, is_artifact_key
from langchain_roe._core._references import ReferenceInfo
from langchain_roe._core._surfaces import Whole
from langchain_roe._tools._base import Answer, RoeTool, errors_for_the_model

#: The most bytes of an image shown to a model as a block, by default (Anthropic's per-image limit).
DEFAULT_MAX_IMAGE_BYTES: Final = 5 * 1024 * 1024

REFERENCE_TOOL_DESCRIPTION = (
    "Read one piece of evidence a Roe agent job cites: a reference file (a page's markdown or "
    "HTML, a screenshot) or an artifact (an investigation's extraction or query result). Give the "
    "job id and the reference exactly as the job's output shows it: a reference URL, its resource "
    "id, or an artifact key such as agent-job-<id>/extraction_1.json. Text comes back as text; a "
    "file that is not text is described by its type and size."
)


class RoeReadJobReferenceInput(BaseModel):
    """Arguments of `roe_read_agent_job_reference`."""

    agent_job_id: str = Field(
        description=f"The Roe agent job id whose output cites it, a UUID such as {EXAMPLE_AGENT_JOB_ID}."
    )
    reference: str = Field(
        description="A reference URL or resource id, or an artifact key (agent-job-<id>/<name>), "
        "exactly as the job's output shows it."
    )


class RoeReadJobReferenceTool(RoeTool):
    """Give an LLM agent one reference or artifact a Roe job cites, as text it can check a claim by.

    Called with a `ToolCall`, it returns a `ToolMessage` whose content is the reference's text (or,
    for a file that is not text, its type and size; for an artifact, its JSON laid out) within
    `max_output_chars`, and whose `artifact` says what was read (`kind`, `source`, `media_type`,
    `size`; an artifact's `result` too). A value the job does not cite, or a URL off the configured
    Roe API, comes back as an error `ToolMessage`; nothing is sent for it.

    Example:
        ```python
        from langchain_roe import RoeReadJobReferenceTool

        tool = RoeReadJobReferenceTool()  # reads ROE_API_KEY
        print(
            tool.invoke(
                {
                    "agent_job_id": "7d9f1b3d-5f7a-4c9e-8b1d-3f5a7c9e1b3d",
                    "reference": "agent-job-7d9f1b3d-5f7a-4c9e-8b1d-3f5a7c9e1b3d/extraction_123.json",
                }
            )
        )
        ```
    """

    name: str = REFERENCE_TOOL_NAME
    description: str = REFERENCE_TOOL_DESCRIPTION
    args_schema: type[BaseModel] = RoeReadJobReferenceInput

    image_blocks: bool = False
    """Show an image reference (PNG, JPEG, GIF or WebP, such as a web agent's screenshot) to the
    model: the answer is then a text block saying what it is plus an image content block, for a
    model that takes images in tool results. Off, an image is described by its type and size."""
    max_image_bytes: Annotated[int, Whole(1)] = DEFAULT_MAX_IMAGE_BYTES
    """Largest image shown as a block (5 MiB by default, Anthropic's limit per image); a larger one
    is described instead, and the text says why."""

    def _flow(self, agent_job_id: str, reference: str) -> Flow[Answer]:
        settings = self.client.settings
        with errors_for_the_model(
            lambda error: reference_error_text(error, agent_job_id, reference)
        ):
            if is_artifact_key(reference):
                key = reference.strip()
                result = yield from ask.artifact_flow(ask.artifact_call(agent_job_id, key))
                return self._artifact(agent_job_id, key, result)
            if not_text_by_name(reference):  # ask what it is before reading it
                probe = ask.reference_call(agent_job_id, reference, settings, probe=True)
                info = yield from ask.probe_flow(probe)
                shown = self._shows(info.media_type, info.size)
                if not is_text_like(info.media_type) and not shown:
                    return self._described(agent_job_id, info)
            blob = yield from ask.reference_flow(
                ask.reference_call(agent_job_id, reference, settings)
            )
            return self._reference(agent_job_id, blob)

    def _shows(self, media_type: str | None, size: int | None) -> bool:
        """Whether an image of this type and size goes to the model as an image block."""
        return (
            self.image_blocks
            and media_type in IMAGE_BLOCK_TYPES
            and size is not None
            and size <= self.max_image_bytes
        )

    def _reference(self, agent_job_id: str, blob: Blob) -> Answer:
        agent_job_id = canonical_job_id(agent_job_id)
        content = blob.as_bytes()
        text: str | list[dict[str, Any]]
        if self._shows(blob.mimetype, len(content)):
            text = image_blocks(agent_job_id, blob, content)
        else:
            text = reference_text(agent_job_id, blob, max_chars=self.max_output_chars)
            if self.image_blocks and blob.mimetype in IMAGE_BLOCK_TYPES:
                text += f" It is larger than max_image_bytes={self.max_image_bytes:,}."
        artifact = {
            "kind": "reference",
            "agent_job_id": agent_job_id,
            "resource_id": blob.metadata.get("resource_id"),
            "source": blob.metadata.get("source"),
            "media_type": blob.metadata.get("content_type") or blob.mimetype,
            "size": len(content),
        }
        return text, artifact  # never the bytes: a checkpoint keeps the artifact

    def _described(self, agent_job_id: str, info: ReferenceInfo) -> Answer:
        agent_job_id = canonical_job_id(agent_job_id)
        text = file_text(agent_job_id, info.resource_id, info.content_type, info.size)
        if self.image_blocks and info.media_type in IMAGE_BLOCK_TYPES:
            text += f" It is larger than max_image_bytes={self.max_image_bytes:,}."
        artifact = {
            "kind": "reference",
            "agent_job_id": agent_job_id,
            "resource_id": info.resource_id,
            "source": info.source,
            "media_type": info.content_type,
            "size": info.size,
        }
        return text, artifact

    def _artifact(self, agent_job_id: str, key: str, result: Any) -> tuple[str, dict[str, Any]]:
        agent_job_id = canonical_job_id(agent_job_id)
        text = artifact_text(agent_job_id, key, result, max_chars=self.max_output_chars)
        return text, {
            "kind": "artifact",
            "agent_job_id": agent_job_id,
            "artifact_key": key,
            "result": result,
        }


def not_text_by_name(reference: str) -> bool:
    """Whether a reference's name already says it is not text (`.png`, `.pdf`, ...)."""
    name = reference.strip().rstrip("/").rsplit("/", 1)[-1] if isinstance(reference, str) else ""
    guessed = mimetypes.guess_type(name, strict=False)[0]
    return guessed is not None and not is_text_like(guessed)
