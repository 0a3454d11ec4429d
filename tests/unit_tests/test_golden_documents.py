"""The loader's results did not change with its fast path: same Documents, same failures.

`tests/fixtures/golden_documents.json` holds what the loader made, before batch answers were decoded
by msgspec, of every batch answer in the corpus (`tests/support/corpus.py`: the payload fixtures,
every cassette, the demo session, and 300 generated answers with the edge values). How it was
recorded: `scripts/golden_documents.py`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.corpus import GOLDEN, batch_answers, outcome

GOLDEN_OUTCOMES: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
CASES = [
    (f"{name} | prefer_corrected={prefer}", ids, body, prefer)
    for name, ids, body in batch_answers()
    for prefer in (False, True)
]


def test_the_corpus_is_the_one_recorded() -> None:
    assert [case[0] for case in CASES] == list(GOLDEN_OUTCOMES)
    documents = sum(len(o["documents"]) for o in GOLDEN_OUTCOMES.values())
    failures = {kind for o in GOLDEN_OUTCOMES.values() for kind in o["failures"].values()}
    assert documents > 1000
    assert failures == {"JobNotFinishedError", "NotFoundError", "JobFailedError"}
    costs = [d["metadata"].get("cost") for o in GOLDEN_OUTCOMES.values() for d in o["documents"]]
    assert 0.0 in costs  # the edge values are really in it
    assert any(
        "corrected" in d["metadata"] for o in GOLDEN_OUTCOMES.values() for d in o["documents"]
    )


@pytest.mark.parametrize(("name", "ids", "body", "prefer"), CASES, ids=[c[0] for c in CASES])
def test_documents_and_failures_are_the_recorded_ones(
    name: str, ids: list[str], body: str, prefer: bool
) -> None:
    assert outcome(ids, body, prefer_corrected=prefer) == GOLDEN_OUTCOMES[name]
