"""`RoeTableLoader`'s columns are one checked layout: set after construction, they are checked again."""

from __future__ import annotations

import pytest

from langchain_roe import RoeTableLoader


def loader() -> RoeTableLoader:
    return RoeTableLoader(
        "SELECT id, company, country FROM companies",
        page_content_columns=["company"],
        metadata_columns=["country"],
        id_column="id",
        api_key="sk-roe-test-layout",
    )


def test_the_columns_read_back_as_given() -> None:
    made = loader()
    assert made.page_content_columns == ("company",)
    assert made.metadata_columns == ("country",)
    assert made.id_column == "id"


def test_setting_a_reserved_metadata_column_is_refused_as_at_construction() -> None:
    made = loader()
    with pytest.raises(ValueError, match=r"metadata_columns cannot name 'truncated'"):
        made.metadata_columns = ["country", "truncated"]
    assert made.metadata_columns == ("country",)  # the layout is left as it was


def test_setting_columns_checks_them_and_keeps_the_rest() -> None:
    made = loader()
    made.id_column = "company"
    made.page_content_columns = None
    assert (made.page_content_columns, made.metadata_columns, made.id_column) == (
        None,
        ("country",),
        "company",
    )
    with pytest.raises(ValueError, match=r"page_content_columns is empty"):
        made.page_content_columns = []
    with pytest.raises(ValueError, match=r"must be a list of column names"):
        made.metadata_columns = "country"


def test_the_columns_cannot_be_changed_behind_the_check() -> None:
    with pytest.raises(AttributeError):
        getattr(loader().metadata_columns, "append")("truncated")  # noqa: B009
