"""What validation reports: :class:`Problem`, and the ``slicer model validate`` report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

Severity: TypeAlias = Literal["error", "warning", "default"]
Scope: TypeAlias = Literal["model", "cube", "dimension", "hierarchy", "level", "attribute",
                           "measure", "aggregate", "join", "mapping"]


@dataclass(frozen=True)
class Problem:
    """One finding. ``object`` is the name of the object (``None`` when it has none)."""

    severity: Severity
    scope: Scope
    object: str | None
    property: str | None
    message: str
    #: Location in the model JSON, e.g. ``cubes[0].aggregates[2].function`` ("" = the model).
    path: str


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def _verdict(counts: Mapping[str, int]) -> str:
    if counts["error"]:
        return "model can not be used"
    if counts["warning"]:
        return "not recommended to use the model, some issues might emerge"
    if counts["default"]:
        return "model can be used, make sure that the defaults reflect reality"
    return "model can be used"


def format_report(problems: Iterable[Problem], *, show_defaults: bool = False,
                  show_warnings: bool = True) -> str:
    """The ``slicer model validate`` report of slicer-api.md §4.2, plus each problem's path."""
    lines: list[str] = []
    counts: Counter[str] = Counter()
    for problem in problems:
        counts[problem.severity] += 1
        if (problem.severity == "default" and not show_defaults) or (
                problem.severity == "warning" and not show_warnings):
            continue
        if problem.scope == "model":
            scope = "model"
        elif problem.object:
            scope = f"{problem.scope} '{problem.object}'"
        else:
            scope = f"unknown {problem.scope}"
        if problem.property:
            scope += f" property '{problem.property}'"
        lines.append(f"{problem.severity.upper()} in {scope}: {problem.message}")
        if problem.path:
            lines.append(f"    at {problem.path}")
    lines += [
        "",
        f"Defaults used  {counts['default']}",
        f"Warning        {counts['warning']}",
        f"Errors         {counts['error']}",
        f"Summary        {_verdict(counts)}",
    ]
    return "\n".join(lines)
