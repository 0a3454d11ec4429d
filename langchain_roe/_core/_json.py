"""Reading JSON from a server we do not trust: never a crash, whatever the depth or the numbers.

orjson reads almost every answer. What it refuses goes to the standard library (NaN, integers past
64 bits); what is too deep for either has its deepest parts replaced by `null` first, so that one
absurd value deep in a field nobody reads cannot make the rest of the answer unreadable.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from langchain_roe._core._constants import MAX_JSON_DEPTH

#: A JSON string (with escapes) or a bracket: what depth depends on. Possessive, and a string with
#: no closing quote runs to the end of the text: each byte is read once (a lazier pattern tried
#: every later quote as the start of a string, quadratic in a run of escaped quotes).
_TOKEN = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|[\[\]{}]', re.DOTALL)


def loads(content: bytes | bytearray | str) -> Any:
    """Parse JSON.

    Raises:
        ValueError: The text is not JSON.
    """
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        pass  # not JSON, or JSON only the standard library reads, or too deep for orjson
    try:
        return json.loads(content)
    except RecursionError:
        return json.loads(prune_deep(content.encode() if isinstance(content, str) else content))


def prune_deep(content: bytes | bytearray, max_depth: int = MAX_JSON_DEPTH) -> bytes:
    """`content` with every array or object nested deeper than `max_depth` replaced by `null`.

    Works on the text with a flat loop, so it has no depth limit of its own.
    """
    kept = bytearray()
    depth = 0
    copied_to = 0
    for token in _TOKEN.finditer(content):
        first = content[token.start()]
        if first == 0x22:  # a string: brackets inside it do not count
            continue
        if first in b"[{":
            depth += 1
            if depth == max_depth + 1:
                kept += content[copied_to : token.start()] + b"null"
        else:
            if depth == max_depth + 1:
                copied_to = token.end()
            depth -= 1
    if depth <= max_depth:  # else the text ends inside a cut value: leave it unreadable
        kept += content[copied_to:]
    return bytes(kept)
