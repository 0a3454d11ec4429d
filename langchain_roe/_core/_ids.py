"""Agent job ids: checked and written one way before they reach a URL or a request body."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from langchain_roe._core._exceptions import InvalidAgentJobIdError

#: The canonical form; an id already in it needs no parsing (the loader's hot path).
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def canonical_job_id(agent_job_id: object) -> str:
    """Return `agent_job_id` as a lower-case hyphenated UUID string.

    Raises:
        InvalidAgentJobIdError: It is not a UUID (a `ValueError`); the message quotes it.
    """
    if isinstance(agent_job_id, uuid.UUID):
        return str(agent_job_id)
    if isinstance(agent_job_id, str):
        if _CANONICAL.fullmatch(agent_job_id):
            return agent_job_id
        try:
            return str(uuid.UUID(agent_job_id.strip()))
        except ValueError:
            pass
    msg = f"agent_job_id must be a UUID such as '0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10', got {agent_job_id!r}"
    raise InvalidAgentJobIdError(msg)


def unique_job_ids(agent_job_ids: Iterable[object]) -> list[str]:
    """Check every id and drop repeats (compared as UUIDs), keeping first-seen order.

    Raises:
        ValueError: An id is not a UUID, or there are none.
    """
    if not isinstance(agent_job_ids, Iterable) or isinstance(
        agent_job_ids, str | bytes | uuid.UUID
    ):
        msg = f"agent_job_ids must be a sequence of UUIDs, got {agent_job_ids!r}"
        raise ValueError(msg)
    unique = list(dict.fromkeys(canonical_job_id(value) for value in agent_job_ids))
    if not unique:
        msg = "agent_job_ids is empty: give at least one agent job id"
        raise ValueError(msg)
    return unique


def canonical_uuid(value: object, name: str) -> str:
    """Return `value` as a lower-case hyphenated UUID string.

    Raises:
        ValueError: It is not a UUID; the message names the parameter and quotes the value.
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        if _CANONICAL.fullmatch(value):
            return value
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    msg = f"{name} must be a UUID, got {value!r}"
    raise ValueError(msg)
