"""The browser of one cube: runs compiled queries and shapes their rows into results."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kubus.model.cells import Cell, Cut, PointCut, RangeCut, SetCut
from kubus.model.cut_grammar import cut_to_dict
from kubus.model.metadata import Aggregate, Attribute, Measure
from kubus.model.postaggregate import PostAggregateSpec, apply_post_aggregates, window_size_for
from kubus.model.query import (
    SPLIT_DIMENSION,
    AggregateQuery,
    FactsQuery,
    MembersQuery,
    resolve_cell,
    with_dependencies,
)
from kubus.model.results import AggregationResult, Timing
from kubus.model.sql.compiler import (
    TOTAL_LABEL,
    compile_aggregate,
    compile_fact,
    compile_facts,
    compile_members,
    compile_path_details,
)
from kubus.model.sql.star import Star
from kubus.server.execution import Executor

if TYPE_CHECKING:
    from kubus.server.workspace import Workspace


def clean(value: Any) -> Any:
    """One value shape whatever the backend: integral Decimals are ints, others floats."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and abs(value) < 2**63:
            return int(value)
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class FactsResult:
    columns: list[str]
    labels: list[str]
    key_label: str
    rows: Iterator[dict[str, Any]]


class Browser:
    def __init__(self, *, cube: Any, star: Star, executor: Executor, workspace: Workspace,
                 identity: str | None = None, restrictions: Sequence[Cut] = ()) -> None:
        self.cube = cube
        self.star = star
        self.executor = executor
        self.workspace = workspace
        self.identity = identity
        self.restrictions = tuple(replace(c, hidden=True) for c in restrictions)

    @property
    def timings(self) -> list[Timing]:
        return self.executor.timings

    def cell(self, cuts: Sequence[Cut], *, fill_hierarchy: bool = True) -> Cell:
        """Resolve request cuts and AND the identity's hidden restriction cuts."""
        return resolve_cell(self.cube, (*cuts, *self.restrictions), now=self.workspace.now(),
                            first_weekday=self.workspace.first_weekday,
                            fill_hierarchy=fill_hierarchy)

    # -- aggregate ---------------------------------------------------------------------
    def aggregate(self, query: AggregateQuery) -> AggregationResult:
        requested = query.aggregates
        computed = with_dependencies(self.cube, requested)
        query = replace(query, aggregates=computed)
        statements = compile_aggregate(query, self.star)
        labels = statements.cell_labels
        sql_aggregates = [a for a in computed if not a.is_post_aggregate]
        summary: dict[str, Any] = {}
        cells: list[dict[str, Any]] = []
        total: int | None = None
        summary_row: Sequence[Any] | None = None
        if statements.cells is not None:
            rows = self.executor.all(statements.cells, "cells")
            position = {name: i for i, name in enumerate(rows[0]._fields)} if rows else {}
            if rows:
                refs = list(labels)
                at = [position[label] for label in labels.values()]
                split_at = (refs.index(SPLIT_DIMENSION) if SPLIT_DIMENSION in labels
                            else -1)
                marker = (position[statements.grouping_label]
                          if statements.grouping_label is not None else -1)
                for row in rows:
                    if marker >= 0 and row[marker]:  # the () grouping set: the summary
                        summary_row = row
                        continue
                    values = [clean(row[i]) for i in at]
                    if split_at >= 0:
                        values[split_at] = bool(values[split_at])
                    cells.append(dict(zip(refs, values, strict=True)))
            if statements.grouping_label is not None:
                total = len(cells)
                assert summary_row is not None
                summary = {a.name: clean(summary_row[position[f"a{i}"]])
                           for i, a in enumerate(sql_aggregates)}
            elif rows:
                first = rows[0]
                total = int(first[position[TOTAL_LABEL]])
                for name, label in statements.windowed_summary.items():
                    summary[name] = clean(first[position[label]])
            elif query.page is None:
                total = 0
            else:
                assert statements.count is not None
                total = int(self.executor.all(statements.count, "count")[0][0])
        if statements.cells is None or not summary:
            # No group matched (or no drilldown): every aggregate from one summary row.
            first = self.executor.all(statements.summary_all, "summary")[0]
            summary = {a.name: clean(first[i]) for i, a in enumerate(sql_aggregates)}
        elif statements.summary is not None:
            rest = self.executor.all(statements.summary, "summary")[0]._mapping
            index = {a.name: i for i, a in enumerate(sql_aggregates)}
            for name in statements.summary_aggregates:
                summary[name] = clean(rest[f"a{index[name]}"])
        names = [a.name for a in computed]
        order = [ref for ref in labels if ref not in names] + names
        if len(sql_aggregates) < len(computed):
            self._post_aggregate(query, computed, summary, cells)
            cells = [{ref: c.get(ref) for ref in order} for c in cells]
        summary = {name: summary.get(name) for name in names}
        levels = None
        if query.is_grouped:
            levels = {item.key: [lv.name for lv in item.levels] for item in query.drilldown}
            if query.split is not None:
                levels[SPLIT_DIMENSION] = [SPLIT_DIMENSION]
        return AggregationResult(
            summary=summary, cells=cells, aggregates=names, cell=query.cell,
            attributes=[a.ref for a in query.attributes], has_split=query.split is not None,
            total_cell_count=total, levels=levels, columns=order,
            labels=self._labels(order), timings=tuple(self.timings))

    def _post_aggregate(self, query: AggregateQuery, computed: Sequence[Aggregate],
                        summary: dict[str, Any], cells: list[dict[str, Any]]) -> None:
        post = [a for a in computed if a.is_post_aggregate]
        if not post:
            return
        deepest = query.drilldown[-1].deepest if query.drilldown else None
        specs = [PostAggregateSpec(a.name, a.function or "", a.measure or "",
                                   window_size_for(a.window_size,
                                                   deepest.info if deepest else None))
                 for a in post]
        keys = [SPLIT_DIMENSION] if query.split is not None else []
        for item in query.drilldown:
            if not item.deepest.info.get("aggregation_units"):
                keys.extend(a.ref for a in item.keys)
        apply_post_aggregates(cells, specs, keys)
        apply_post_aggregates([summary], specs, [])

    def _labels(self, refs: Sequence[str]) -> list[str]:
        labels = []
        for ref in refs:
            if ref == SPLIT_DIMENSION:
                labels.append("Matches Filters")
            elif any(a.name == ref for a in self.cube.aggregates):
                labels.append(self.cube.aggregate_label(self.cube.aggregate(ref)))
            else:
                attr = self.cube.attribute(ref)
                labels.append(attr.label or attr.name)
        return labels

    # -- facts -------------------------------------------------------------------------
    def facts(self, query: FactsQuery, *, stream: bool = False) -> FactsResult:
        select, labels = compile_facts(query, self.star)
        refs = list(labels)
        rows = (self.executor.stream(select, "facts") if stream
                else iter(self.executor.all(select, "facts")))

        def records() -> Iterator[dict[str, Any]]:
            keys = ["__fact_key__", *refs]
            at: list[int] | None = None
            for row in rows:
                if at is None:
                    position = {name: i for i, name in enumerate(row._fields)}
                    at = [position["k"], *(position[labels[ref]] for ref in refs)]
                yield dict(zip(keys, [clean(row[i]) for i in at], strict=True))

        field_labels = []
        for f in query.fields:
            if isinstance(f, Aggregate):
                field_labels.append(self.cube.aggregate_label(f))
            else:
                field_labels.append(f.label or f.name)
        return FactsResult(columns=refs, labels=field_labels,
                           key_label=self.cube.key or "__fact_key__", rows=records())

    def fact(self, key: str) -> dict[str, Any] | None:
        fields: Sequence[Attribute | Measure] = self.cube.all_fact_attributes
        select, labels = compile_fact(self.star, fields, key)
        rows = self.executor.all(select, "fact")
        if not rows:
            return None
        mapping = rows[0]._mapping
        record = {"__fact_key__": clean(mapping["k"])}
        record.update({ref: clean(mapping[label]) for ref, label in labels.items()})
        return record

    # -- members -----------------------------------------------------------------------
    def members(self, query: MembersQuery) -> list[dict[str, Any]]:
        select, labels = compile_members(query, self.star)
        rows = self.executor.all(select, "members")
        if not rows:
            return []
        position = {name: i for i, name in enumerate(rows[0]._fields)}
        refs = list(labels)
        at = [position[label] for label in labels.values()]
        return [dict(zip(refs, [clean(row[i]) for i in at], strict=True)) for row in rows]

    # -- cell details ------------------------------------------------------------------
    def cell_details(self, cell: Cell) -> list[dict[str, Any]]:
        result = []
        for cut in cell.cuts:
            desc = cut_to_dict(cut)
            if isinstance(cut, PointCut):
                desc["details"] = self._path_details(cut, cut.path)
            elif isinstance(cut, SetCut):
                desc["details"] = [self._path_details(cut, p) for p in cut.paths]
            else:
                assert isinstance(cut, RangeCut)
                desc["details"] = {"from": self._path_details(cut, cut.from_path or ()),
                                   "to": self._path_details(cut, cut.to_path or ())}
            result.append(desc)
        return result

    def _path_details(self, cut: Cut, path: Sequence[Any]) -> list[dict[str, Any]] | None:
        if not path:
            return []
        dimension = self.cube.dimension(cut.dimension)
        hierarchy = dimension.hierarchy(cut.hierarchy)
        select, labels = compile_path_details(self.star, dimension, hierarchy, path)
        rows = self.executor.all(select, "details")
        if not rows:
            return None
        mapping = rows[0]._mapping
        details = []
        for level in hierarchy.levels[: len(path)]:
            item = {a.ref: clean(mapping[labels[a.ref]]) for a in level.attributes}
            item["_key"] = item[level.key.ref]
            item["_label"] = item[level.label_attribute.ref]
            details.append(item)
        return details
