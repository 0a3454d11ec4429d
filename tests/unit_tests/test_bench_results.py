"""The README's benchmark table is the last `make bench` run's, word for word (no drift)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parents[2]
BEGIN, END = "<!-- make bench writes from here -->", "<!-- make bench writes to here -->"


def test_the_readme_shows_the_results_make_bench_wrote() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    generated = readme.split(BEGIN + "\n", 1)[1].split(END, 1)[0]
    assert generated == (ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8")
    assert generated.count("| measurement |") == 1


def test_the_results_say_each_goal_met_or_missed() -> None:
    results = (ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8")
    goal_rows = [line for line in results.splitlines() if "| <= " in line or "| >= " in line]
    assert goal_rows
    assert all(line.endswith(("met |", "**missed** |")) for line in goal_rows)
