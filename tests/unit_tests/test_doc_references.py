"""What the pages and the package metadata say holds: a README section a page names exists, the
classifiers name the Pythons the package supports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: "the README's Configuration and Limits sections", "README's Errors section".
NAMED = re.compile(r"README's ((?:[A-Z][\w-]*(?: [a-z][\w-]*)*)(?:,? and [A-Z][\w-]*)*) sections?")


def readme_headings() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,4} (.+)$", text, flags=re.MULTILINE)
    # A heading "Limits: what a misbehaving server cannot do" is named by its start, "Limits".
    return {h.strip() for h in headings} | {h.split(":")[0].strip() for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_readme_section_a_page_names_exists(page: Path) -> None:
    text = " ".join(page.read_text(encoding="utf-8").split())  # names broken across lines
    headings = readme_headings()
    for match in NAMED.finditer(text):
        for name in re.split(r",? and |, ", match.group(1)):
            assert name in headings, f"{page.name}: {match.group(0)!r} names no README section"


#: The newest Python the package is tested on (the examples run from the wheel on it, too).
NEWEST_PYTHON = (3, 13)


def test_the_classifiers_name_every_python_from_the_floor_to_the_newest() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floor = tuple(int(n) for n in project["requires-python"].removeprefix(">=").split("."))
    named = {
        tuple(int(n) for n in c.rsplit(" :: ", 1)[1].split("."))
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert named == {(3, minor) for minor in range(floor[1], NEWEST_PYTHON[1] + 1)}
