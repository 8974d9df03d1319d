"""Result shapes of queries, serialised exactly as the Slicer API returns them (§1.7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubus.model.cells import Cell


@dataclass(frozen=True)
class Timing:
    """One executed statement, for the ``debug`` parameter."""

    purpose: str
    seconds: float
    rows: int
    #: Renders the SQL text; compiling with inline values is costly, so only on demand.
    render: Callable[[], str] = field(default=lambda: "", compare=False, repr=False)

    @property
    def sql(self) -> str:
        return self.render()


@dataclass(frozen=True)
class AggregationResult:
    summary: dict[str, Any]
    cells: list[dict[str, Any]]
    aggregates: list[str]
    cell: Cell
    attributes: list[str]
    has_split: bool
    total_cell_count: int | None = None
    levels: dict[str, list[str]] | None = None
    #: Column refs of a cell row in order (drilldown attributes, split, aggregates).
    columns: list[str] = field(default_factory=list)
    #: CSV header labels of the same columns.
    labels: list[str] = field(default_factory=list)
    timings: tuple[Timing, ...] = ()

    def to_dict(self, *, hide_hidden: bool = False,
                include_cell_count: bool = True) -> dict[str, Any]:
        """Keys in 1.1's order; ``total_cell_count``/``levels`` only when grouped."""
        out: dict[str, Any] = {"summary": self.summary, "remainder": {}, "cells": self.cells}
        grouped = self.levels is not None
        if grouped and include_cell_count:
            out["total_cell_count"] = self.total_cell_count
        out["aggregates"] = self.aggregates
        out["cell"] = self.cell.to_list(hide_hidden=hide_hidden)
        if grouped:
            out["levels"] = self.levels
        out["attributes"] = self.attributes
        out["has_split"] = self.has_split
        return out
