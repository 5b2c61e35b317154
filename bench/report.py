"""Metrics, their goals, and the two renderings of one run: a Markdown table and JSON."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

Op = Literal[">=", "<=", "==", "info"]
_OP_TEXT = {">=": "≥", "<=": "≤", "==": "=", "info": ""}


@dataclass(frozen=True)
class Goal:
    """What a metric should reach; `info` metrics are shown without a verdict."""

    op: Op
    target: float = 0.0
    note: str = ""

    def met(self, value: float) -> bool | None:
        if self.op == "info" or math.isnan(value):
            return None
        if self.op == ">=":
            return value >= self.target
        if self.op == "<=":
            return value <= self.target
        return value == self.target

    def text(self) -> str:
        if self.op == "info":
            return self.note or "(info)"
        text = f"{_OP_TEXT[self.op]} {_number(self.target)}"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class Metric:
    """One line of the table: a measured value, its goal and how it was obtained."""

    id: str
    section: int
    label: str
    value: float
    unit: str
    goal: Goal
    detail: str
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        return self.goal.met(self.value)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "goal": {"op": self.goal.op, "target": self.goal.target, "text": self.goal.text()},
            "met": self.met,
            "detail": self.detail,
            "raw": self.raw,
        }


def memory_growth(
    id: str, section: int, label: str, big_mb: float, small_mb: float, note: str, how: str = ""
) -> Metric:
    """Peak RSS on the big input over the small one: about 1 when memory does not grow."""
    return Metric(
        id=id,
        section=section,
        label=label,
        value=big_mb / small_mb,
        unit="ratio",
        goal=Goal("<=", 1.2, note),
        detail=f"{big_mb:.0f} MB vs {small_mb:.0f} MB{how}",
        raw={"big_mb": big_mb, "small_mb": small_mb},
    )


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == int(value):
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _verdict(met: bool | None) -> str:
    return {True: "yes", False: "**NO**", None: ""}[met]


def render_table(metrics: list[Metric]) -> str:
    """The Markdown table the README quotes: one metric per line, goal and verdict beside it."""
    lines = [
        "| # | Metric | Measured | Goal | Met | How |",
        "|---|---|---|---|---|---|",
    ]
    for metric in sorted(metrics, key=lambda m: m.section):
        unit = f" {metric.unit}" if metric.unit not in ("ratio", "") else ""
        lines.append(
            f"| {metric.section} | {metric.label} | {_number(metric.value)}{unit} "
            f"| {metric.goal.text()} | {_verdict(metric.met)} | {metric.detail} |"
        )
    return "\n".join(lines)


def write_json(
    path: Path,
    *,
    profile: str,
    started_at: str,
    duration_s: float,
    metrics: list[Metric],
    errors: dict[str, str],
) -> None:
    """The same run as JSON, for tooling (and the CI smoke test) to read."""
    document = {
        "profile": profile,
        "started_at": started_at,
        "duration_s": round(duration_s, 1),
        "host": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        },
        "metrics": [metric.to_json() for metric in sorted(metrics, key=lambda m: m.section)],
        "errors": errors,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
