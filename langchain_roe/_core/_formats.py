"""Every format the package checks, defined once: ids, keys, table names, SQL, numbers, origins.

Each check raises a `ValueError` (or the subclass asked for) naming the parameter, before any
request: ids are checked and written one way before they reach a URL or a request body.
"""

from __future__ import annotations

import itertools
import math
import re
import uuid
from collections.abc import Iterable
from urllib.parse import urlsplit

from langchain_roe._core._exceptions import InvalidAgentJobIdError

#: A UUID as the API writes it in URLs and keys (either case), for patterns that embed one.
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#: An artifact's key: `agent-job-<job id>/<name>`, the name running to the next space, quote or
#: angle bracket (where it ends in text and in markup).
ARTIFACT_KEY = re.compile(rf"agent-job-{UUID_PATTERN}/[^\s\"'<>]+")

#: The canonical form; an id already in it needs no parsing (the loader's hot path).
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_JOB_ID_EXAMPLE = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"


def _canonical(value: object) -> str | None:
    """`value` as a lower-case hyphenated UUID string, or None if it is not a UUID."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        if _CANONICAL.fullmatch(value):
            return value
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            return None
    return None


def is_uuid(value: object) -> bool:
    """Whether `value` is a UUID (a Roe file id, say), in any of the forms `uuid.UUID` reads."""
    return _canonical(value) is not None


def canonical_uuid(value: object, name: str) -> str:
    """Return `value` as a lower-case hyphenated UUID string.

    Raises:
        ValueError: It is not a UUID; the message names the parameter and quotes the value.
    """
    canonical = _canonical(value)
    if canonical is None:
        msg = f"{name} must be a UUID, got {value!r}"
        raise ValueError(msg)
    return canonical


def canonical_job_id(agent_job_id: object) -> str:
    """Return `agent_job_id` as a lower-case hyphenated UUID string.

    Raises:
        InvalidAgentJobIdError: It is not a UUID (a `ValueError`); the message quotes it.
    """
    if isinstance(agent_job_id, str) and _CANONICAL.fullmatch(agent_job_id):
        return agent_job_id  # already canonical: the loader's hot path
    canonical = _canonical(agent_job_id)
    if canonical is None:
        msg = f"agent_job_id must be a UUID such as {_JOB_ID_EXAMPLE!r}, got {agent_job_id!r}"
        raise InvalidAgentJobIdError(msg)
    return canonical


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
    unique = list(map(canonical_job_id, agent_job_ids))
    if not unique:
        msg = "agent_job_ids is empty: give at least one agent job id"
        raise ValueError(msg)
    # Repeats found by sorting (a list of references, with timsort's half-size buffer), not by a
    # dict or set of every id (several times the list's size); only repeated ids are then tracked.
    ordered = sorted(unique)
    repeated = {a for a, b in itertools.pairwise(ordered) if a == b}
    del ordered
    if repeated:
        kept: set[str] = set()
        unique = [i for i in unique if i not in repeated or _first_time(i, kept)]
    return unique


def _first_time(item: str, seen: set[str]) -> bool:
    """Whether `item` is not in `seen` yet; it is afterwards."""
    if item in seen:
        return False
    seen.add(item)
    return True


def is_artifact_key(value: object) -> bool:
    """Whether `value` (spaces around it aside) is an artifact key, `agent-job-<id>/<name>`."""
    return isinstance(value, str) and ARTIFACT_KEY.fullmatch(value.strip()) is not None


def check_whole(
    name: str,
    value: object,
    low: int,
    high: int | None = None,
    *,
    error: type[ValueError] = ValueError,
) -> int:
    """`value` if it is a whole number (not a bool) in [low, high]; else `error` naming `name`."""
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f"between {low} and {high}" if high is not None else f"of at least {low}"
        msg = f"{name} must be a whole number {bounds}, got {value!r}"
        raise error(msg)
    return value


def check_text(name: str, value: object, max_chars: int) -> str:
    """`value` if it is a string of 1 to `max_chars` characters, not all spaces; else a `ValueError`.

    Used for a table's name (which then goes percent-encoded into a path) and a query's SQL.
    """
    if not isinstance(value, str) or not value.strip():
        msg = f"{name} must be a non-empty string, got {value!r}"
        raise ValueError(msg)
    if len(value) > max_chars:
        msg = f"{name} must be at most {max_chars:,} characters, got {len(value):,}"
        raise ValueError(msg)
    return value


def check_seconds(name: str, value: object, *, error: type[ValueError] = ValueError) -> float:
    """`value` as float seconds if it is a positive, finite number; else `error` naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        msg = f"{name} must be a positive number of seconds, got {value!r}"
        raise error(msg)
    return float(value)


def next_page_problem(base_url: str, link: str) -> str | None:
    """What is wrong with a page's `next` link, said after "the answer to <call>"; None if usable.

    A link must be a URL httpx can send (no spaces or control characters) to the scheme, host and
    port of `base_url`: anywhere else the request would carry the key.
    """
    if not link.isascii() or not link.isprintable() or " " in link:
        return f"gives a next-page link that is not a usable URL: {link!r:.300}"
    if not same_origin(base_url, link):
        return f"links its next page to another host: {link!r:.300}"
    return None


def same_origin(base_url: str, link: str) -> bool:
    """Whether `link` goes to the scheme, host and port of `base_url` (where the key may go)."""
    base, to = urlsplit(base_url), urlsplit(link)
    return (to.scheme, to.netloc) == (base.scheme, base.netloc)
