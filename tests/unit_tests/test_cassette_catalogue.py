"""Every cassette is produced by a scenario of `make record` and described in the folder's README."""

from __future__ import annotations

from langchain_roe.replay import DEMO_SESSION
from tests.support.cassettes import CASSETTES, SCENARIOS

ALL_CASSETTES = [*CASSETTES.glob("*.yaml"), *DEMO_SESSION.parent.glob("*.yaml")]


def test_each_scenario_has_its_cassette_and_no_cassette_is_orphaned() -> None:
    assert set(ALL_CASSETTES) == {scenario.path for scenario in SCENARIOS}
    assert all(path.is_file() for path in ALL_CASSETTES)


def test_the_readme_lists_every_cassette() -> None:
    readme = (CASSETTES / "README.md").read_text(encoding="utf-8")
    for scenario in SCENARIOS:
        if scenario.folder == CASSETTES:
            assert f"| `{scenario.path.name}` | {scenario.summary} |" in readme
    assert "langchain_roe/demo/session.yaml" in readme
    assert "langchain_roe/demo/run_session.yaml" in readme


def test_no_cassette_holds_a_credential_or_the_organization() -> None:
    for path in ALL_CASSETTES:
        text = path.read_text(encoding="utf-8").lower()
        assert "authorization" not in text, path.name
        assert "organization_id" not in text, path.name
        assert "user-agent" not in text, path.name
        assert "https://api.roe-ai.com/" in text, path.name
