"""Documents the loaders build without validating them again are exactly what `Document(...)` makes.

`new_document` sets each Document up as pydantic sets up a validated one instead of validating it:
right only while validation would keep the values as given. Every fixture's Documents are compared with
`Document(...)` of the same values, attribute by attribute, and the test fails the day
langchain-core's `Document` gains a validator (or a post-init step) that building it so would skip.
"""

from __future__ import annotations

import pickle
import re

import httpx
import pytest
from langchain_core.documents import Document
from pydantic import BaseModel

from langchain_roe import RoeAgentJobResultLoader, RoeClient
from langchain_roe._convert._documents import new_document
from tests.support.corpus import RESULTS_PATH, batch_answers

ANSWERS = list(batch_answers())


def load(ids: list[str], body: str) -> list[Document]:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == RESULTS_PATH:
            return httpx.Response(200, content=body.encode())
        return httpx.Response(200, json=[])

    transport = httpx.MockTransport(respond)
    client = RoeClient(
        api_key="corpus-key", max_retries=0, http_client=httpx.Client(transport=transport)
    )
    loader = RoeAgentJobResultLoader(ids, client=client, continue_on_failure=True)
    return loader.load()


def same_as_validated(document: Document) -> None:
    validated = Document(
        id=document.id, page_content=document.page_content, metadata=document.metadata
    )
    assert type(document) is Document
    assert document == validated
    assert document.__dict__ == validated.__dict__
    assert list(document.__dict__) == list(validated.__dict__)
    assert document.model_fields_set == validated.model_fields_set
    assert document.__pydantic_extra__ == validated.__pydantic_extra__
    assert document.__pydantic_private__ == validated.__pydantic_private__
    assert document.model_dump() == validated.model_dump()
    assert document.model_dump_json() == validated.model_dump_json()
    assert document.to_json() == validated.to_json()
    assert pickle.loads(pickle.dumps(document)) == validated


@pytest.mark.parametrize(("name", "ids", "body"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_every_fixture_s_documents_are_those_document_makes(
    name: str, ids: list[str], body: str
) -> None:
    for document in load(ids, body):
        same_as_validated(document)


def test_the_corpus_has_documents_to_compare() -> None:
    assert sum(len(load(ids, body)) for _, ids, body in ANSWERS[:5]) > 0


def test_each_new_document_is_its_own() -> None:
    first = new_document("a", "one", {"key": "x"})
    second = new_document("b", "two", {"key": "y"})
    first.metadata["extra"] = 1
    first.page_content = "changed"
    assert second == Document(id="b", page_content="two", metadata={"key": "y"})
    assert new_document("", "", {}) == Document(id="", page_content="", metadata={})


def test_document_has_no_validator_copying_would_skip() -> None:
    decorators = Document.__pydantic_decorators__
    for kind in ("validators", "field_validators", "root_validators", "model_validators"):
        assert getattr(decorators, kind) == {}, f"Document gained {kind}: validate in new_document"
    schema = repr(Document.__pydantic_core_schema__)
    assert not re.search(r"'function-(before|after|wrap|plain)'", schema), "a validator in a type"
    assert Document.model_post_init is BaseModel.model_post_init
    assert set(Document.model_fields) == {"id", "metadata", "page_content", "type"}
