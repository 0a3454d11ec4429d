"""How `make bench` measures: interleaved rounds, paired ratios with their ranges, one table.

Each side of a comparison runs once per round, the sides taking turns (the order rotating from round
to round), so drift and a neighbour's load hit them alike; a ratio is taken within each round, and a
row gives the median of its rounds' ratios with their range. Nothing is collected before a timed run:
the garbage collector runs as it falls, as it does for users.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

ROUNDS = 5
"""Rounds of every timed comparison (after one warm-up turn of each side)."""


@dataclass(frozen=True)
class Goal:
    """What a row's ratio should be: `<= bound` or `>= bound`."""

    op: str
    bound: float

    def met(self, ratio: float) -> bool:
        return ratio <= self.bound if self.op == "<=" else ratio >= self.bound

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"


@dataclass(frozen=True)
class Row:
    """One line of the results: `first` against `second`, each a list of measurements."""

    what: str
    comparison: str
    first: Sequence[float]
    second: Sequence[float]
    unit: str = "s"
    goal: Goal | None = None
    note: str = ""
    """What the row is for, when it has no goal."""

    @property
    def ratios(self) -> list[float]:
        """Within-round ratios (each pair of turns); every pair when the counts differ."""
        if len(self.first) == len(self.second):
            return [a / b for a, b in zip(self.first, self.second, strict=True)]
        return [a / b for a in self.first for b in self.second]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.met(self.ratio)


def side_by_side(
    sides: dict[str, Callable[[], Any]], rounds: int = ROUNDS, *, warm_up: bool = True
) -> dict[str, list[float]]:
    """Seconds of each side in each round, the sides taking turns in a rotating order."""
    for run in sides.values() if warm_up else ():  # imports, connection set-up, caches
        run()
    names = list(sides)
    times: dict[str, list[float]] = {name: [] for name in names}
    for turn in range(rounds):
        shift = turn % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            sides[name]()
            times[name].append(time.perf_counter() - start)
    return times


def spread(values: Sequence[float], digits: int = 3) -> str:
    """`median [low-high]`."""
    low, high = min(values), max(values)
    return f"{statistics.median(values):.{digits}f} [{low:.{digits}f}-{high:.{digits}f}]"


def table(rows: Sequence[Row], heading: str) -> str:
    """The results as markdown: the heading, the table, then the goals met and missed."""
    lines = [
        heading,
        "",
        "| measurement | comparison | first | second | ratio | goal |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        digits = 1 if row.unit == "MiB" else 3
        verdict = "met" if row.met else "**missed**"
        goal = row.note if row.goal is None else f"{row.goal}: {verdict}"
        lines.append(
            f"| {row.what} | {row.comparison} | {spread(row.first, digits)} {row.unit} | "
            f"{spread(row.second, digits)} {row.unit} | **{spread(row.ratios, 2)}** | {goal} |"
        )
    goals = [row for row in rows if row.goal is not None]
    missed = [row for row in goals if not row.met]
    lines.append("")
    lines.append(f"Goals met: {len(goals) - len(missed)} of {len(goals)}.")
    for row in missed:
        lines.append(
            f"Missed: {row.what}, {row.comparison}: {spread(row.ratios, 2)} against {row.goal}."
        )
    return "\n".join(lines)
