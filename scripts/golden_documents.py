"""Record what the loader makes of every batch answer in the corpus (`tests/support/corpus.py`).

The committed `tests/fixtures/golden_documents.json` was recorded by the loader as it was before the
fast decoding path (commit 5a4013a), by running this script in a checkout of that commit with
`tests/support/corpus.py` copied in. `tests/unit_tests/test_golden_documents.py` checks that today's
loader makes exactly the same Documents and failures. Rerun only when a change of results is meant.

    python -m scripts.golden_documents
"""

from __future__ import annotations

import json

from tests.support.corpus import GOLDEN, batch_answers, outcome


def main() -> None:
    golden = {
        f"{name} | prefer_corrected={prefer}": outcome(ids, body, prefer_corrected=prefer)
        for name, ids, body in batch_answers()
        for prefer in (False, True)
    }
    GOLDEN.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(golden)} outcomes written to {GOLDEN}")


if __name__ == "__main__":
    main()
