"""Compile frozen queries (:mod:`kubus.model.query`) to SQLAlchemy Core selects.

Output columns get generic labels (``d0``, ``a0``, ...) mapped back to refs by the caller, so
refs with dots never meet a dialect's quoting rules. GROUP BY uses ordinals: the same
expression with bound parameters must not be compared textually by PostgreSQL.

One scan serves a drilldown: the summary of decomposable aggregates and ``total_cell_count``
are window functions over the grouped rows (``SUM(SUM(x)) OVER ()``, ``COUNT(*) OVER ()``).
Aggregates that cannot be combined from groups (avg, count_distinct, stddev, variance) need a
separate summary statement, except on PostgreSQL, where an unpaged drilldown gets cells and
summary from one ``GROUP BY GROUPING SETS ((keys), ())``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from kubus.model.cells import Cell, Cut, PathElement, PointCut, RangeCut, SetCut
from kubus.model.metadata import Aggregate, Attribute, Dimension, Hierarchy
from kubus.model.query import AggregateQuery, FactsQuery, MembersQuery, OrderItem
from kubus.model.sql.star import Star, Used

TOTAL_LABEL = "__total"


# -- cells ---------------------------------------------------------------------------------
def _point(star: Star, keys: Sequence[Attribute], path: Sequence[PathElement],
           used: Used) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    for attr, value in zip(keys, path, strict=False):
        column = star.column(attr, used)
        if value is None:
            conditions.append(column.is_(None))
        else:
            conditions.append(column == star.coerce(column, value, attr.ref))
    return sa.and_(sa.true(), *conditions)


def _bound(star: Star, keys: Sequence[Attribute], path: Sequence[PathElement], used: Used,
           lower: bool) -> ColumnElement[bool]:
    """Lexicographic bound over a hierarchical path (§2.3), inclusive at the deepest level."""
    columns = [star.column(a, used) for a in keys[: len(path)]]
    values = [star.coerce(c, v, a.ref) for c, v, a in zip(columns, path, keys, strict=False)]
    alternatives = []
    for depth in range(len(values)):
        prefix = [columns[i] == values[i] for i in range(depth)]
        col, val = columns[depth], values[depth]
        last = depth == len(values) - 1
        if lower:
            cmp = col >= val if last else col > val
        else:
            cmp = col <= val if last else col < val
        alternatives.append(sa.and_(*prefix, cmp))
    return sa.or_(*alternatives)


def _keys(dimension: Dimension, hierarchy: Hierarchy) -> tuple[Attribute, ...]:
    return tuple(level.key for level in hierarchy.levels)


def cut_condition(star: Star, cut: Cut, used: Used) -> ColumnElement[bool]:
    dimension = star.cube.dimension(cut.dimension)
    keys = _keys(dimension, dimension.hierarchy(cut.hierarchy))
    condition: ColumnElement[bool]
    if isinstance(cut, PointCut):
        condition = _point(star, keys, cut.path, used)
    elif isinstance(cut, SetCut):
        condition = sa.or_(*(_point(star, keys, p, used) for p in cut.paths))
    else:
        assert isinstance(cut, RangeCut)
        condition = _range(star, keys, cut.from_path or (), cut.to_path or (), used,
                           share_prefix=not cut.invert)
    return sa.not_(condition) if cut.invert else condition


def _range(star: Star, keys: Sequence[Attribute], lower: Sequence[PathElement],
           upper: Sequence[PathElement], used: Used, *,
           share_prefix: bool) -> ColumnElement[bool]:
    """Both bounds of a range cut. With ``share_prefix``, a prefix the bounds share is an
    equality (``2023,1-2023,6`` is ``year = 2023 AND month >= 1 AND month <= 6``): true for
    exactly the same rows, and a filter the database uses directly instead of lexicographic
    alternatives. Not under NOT: where a key is NULL the two forms can be NULL and FALSE."""
    common = 0
    if lower and upper and share_prefix:
        while (common < min(len(lower), len(upper)) and lower[common] is not None
               and lower[common] == upper[common]):
            common += 1
    parts = []
    if common:
        parts.append(_point(star, keys, lower[:common], used))
    if len(lower) > common:
        parts.append(_bound(star, keys[common:], lower[common:], used, lower=True))
    if len(upper) > common:
        parts.append(_bound(star, keys[common:], upper[common:], used, lower=False))
    return sa.and_(sa.true(), *parts)


def cell_condition(star: Star, cell: Cell, used: Used) -> ColumnElement[bool]:
    return sa.and_(sa.true(), *(cut_condition(star, c, used) for c in cell.cuts))


# -- ordering ------------------------------------------------------------------------------
def _ordered(expr: ColumnElement[Any], direction: str) -> ColumnElement[Any]:
    # NULLs sort as the smallest value on every backend (databases disagree by default).
    if direction == "desc":
        return expr.desc().nulls_last()
    return expr.asc().nulls_first()


# -- aggregate -----------------------------------------------------------------------------
#: Dialects that get cells and summary of non-decomposable aggregates from one statement with
#: ``GROUPING SETS``. Not DuckDB: it materialises the input once per grouping set for
#: ``count(DISTINCT ...)`` and was up to twice as slow as two statements at 10M facts.
GROUPING_SETS_DIALECTS = frozenset({"postgresql"})
GROUPING_LABEL = "__grouping"


@dataclass(frozen=True)
class AggregateStatements:
    """What to run for an aggregation and how to read the rows back."""

    cells: sa.Select[Any] | None
    summary: sa.Select[Any] | None
    #: ref → label of the cells statement (attributes, split, aggregates)
    cell_labels: dict[str, str]
    #: aggregate name → label in the cells statement of its windowed summary
    windowed_summary: dict[str, str]
    #: aggregate names the separate summary statement computes
    summary_aggregates: tuple[str, ...]
    #: builds the number of cells (for a page past the last cell)
    _count: Callable[[], sa.Select[Any]] | None = dataclass_field(default=None, repr=False)
    #: builds every SQL aggregate as ``a<i>`` over the same joins and cell (when no row matched)
    _summary_all: Callable[[], sa.Select[Any]] | None = dataclass_field(default=None, repr=False)
    #: label of ``GROUPING(...)`` when ``cells`` groups by ``GROUPING SETS ((keys), ())``: the
    #: row where it is 1 is the summary (every SQL aggregate as ``a<i>``), the others are cells
    grouping_label: str | None = None

    @property
    def count(self) -> sa.Select[Any] | None:
        return self._count() if self._count is not None else None

    @property
    def summary_all(self) -> sa.Select[Any]:
        assert self._summary_all is not None
        return self._summary_all()


def _sql_aggregates(query: AggregateQuery) -> tuple[Aggregate, ...]:
    return tuple(a for a in query.aggregates if not a.is_post_aggregate)


def _has_bound_values(expr: ColumnElement[Any]) -> bool:
    """Whether ``expr`` holds a bind parameter that is not rendered inline."""
    return any(isinstance(e, BindParameter) and not e.literal_execute
               for e in visitors.iterate(expr))


def compile_aggregate(query: AggregateQuery, star: Star) -> AggregateStatements:
    used: Used = {star.physical.fact_table}
    where = cell_condition(star, query.cell, used)
    aggregates = _sql_aggregates(query)
    agg_exprs = [(a, star.aggregate(a, used)) for a in aggregates]
    dims = [(attr.ref, star.column(attr, used)) for attr in query.attributes]
    split = None
    if query.split is not None:
        split = sa.case((cell_condition(star, query.split, used), sa.true()), else_=sa.false())
    from_ = star.from_clause(used)

    def summary_all() -> sa.Select[Any]:
        select = sa.select(*(e.label(f"a{i}") for i, (_, e) in enumerate(agg_exprs)))
        return select.select_from(from_).where(where)

    if not query.is_grouped:
        whole = summary_all()
        return AggregateStatements(None, whole, {}, {}, tuple(a.name for a in aggregates),
                                   _summary_all=lambda: whole)

    labels: dict[str, str] = {}
    columns: list[ColumnElement[Any]] = []
    for i, (ref, expr) in enumerate(dims):
        labels.setdefault(ref, f"d{i}")
        columns.append(expr.label(f"d{i}"))
    if split is not None:
        labels["__within_split__"] = "s"
        columns.append(split.label("s"))
    group_count = len(columns)
    # Ordinals: PostgreSQL compares expressions with bound parameters textually, and the
    # same parameter renders as $1 in the select list and $2 in GROUP BY.
    ordinals: list[ColumnElement[Any]] = [sa.literal_column(str(n))
                                          for n in range(1, group_count + 1)]
    totals = {agg.name: star.windowed_total(agg, used) for agg, _ in agg_exprs}
    rest = tuple(a.name for a in aggregates if totals[a.name] is None)
    marker = None
    if rest and query.page is None and star.dialect_name in GROUPING_SETS_DIALECTS:
        marker = next((e for _, e in dims if not _has_bound_values(e)), None)
    if marker is not None:
        # One scan for the cells and the summary: GROUP BY GROUPING SETS ((keys), ()).
        for i, (agg, expr) in enumerate(agg_exprs):
            labels[agg.name] = f"a{i}"
            columns.append(expr.label(f"a{i}"))
        columns.append(sa.func.grouping(marker).label(GROUPING_LABEL))
        cells = sa.select(*columns).select_from(from_).where(where)
        cells = cells.group_by(sa.func.grouping_sets(sa.tuple_(*ordinals), sa.tuple_()))
        cells = cells.order_by(*_aggregate_order(query, labels, cells))
        return AggregateStatements(cells, None, labels, {}, (), _summary_all=summary_all,
                                   grouping_label=GROUPING_LABEL)

    windowed: dict[str, str] = {}
    for i, (agg, expr) in enumerate(agg_exprs):
        labels[agg.name] = f"a{i}"
        columns.append(expr.label(f"a{i}"))
        total = totals[agg.name]
        if total is not None:
            windowed[agg.name] = f"w{i}"
            columns.append(total.label(f"w{i}"))
    columns.append(sa.func.count().over().label(TOTAL_LABEL))
    cells = sa.select(*columns).select_from(from_).where(where)
    cells = cells.group_by(*ordinals)
    cells = cells.order_by(*_aggregate_order(query, labels, cells))
    grouped = cells

    def count() -> sa.Select[Any]:
        return sa.select(sa.func.count()).select_from(grouped.order_by(None).subquery())

    if query.page is not None:
        cells = cells.limit(query.page.size).offset(query.page.offset)
    summary = None
    if rest:
        summary = sa.select(*(e.label(f"a{i}") for i, (a, e) in enumerate(agg_exprs)
                              if a.name in rest)).select_from(from_).where(where)
    return AggregateStatements(cells, summary, labels, windowed, rest, _count=count,
                               _summary_all=summary_all)


def _aggregate_order(query: AggregateQuery, labels: dict[str, str],
                     select: sa.Select[Any]) -> list[ColumnElement[Any]]:
    by_label = {c.name: c for c in select.selected_columns}
    clauses: list[ColumnElement[Any]] = []
    if "__within_split__" in labels:  # the split column always comes first (§1.7)
        clauses.append(_ordered(by_label["s"], "asc"))
    seen = set()
    for item in query.order:
        label = labels[item.ref]
        seen.add(label)
        clauses.append(_ordered(by_label[label], item.direction))
    # Every group key last, so pages are stable whatever the natural order leaves tied.
    for label in labels.values():
        if label.startswith("d") and label not in seen:
            seen.add(label)
            clauses.append(_ordered(by_label[label], "asc"))
    return clauses


# -- facts, fact, members, details ---------------------------------------------------------
FACT_KEY_LABEL = "__fact_key__"


def compile_facts(query: FactsQuery, star: Star) -> tuple[sa.Select[Any], dict[str, str]]:
    used: Used = {star.physical.fact_table}
    where = cell_condition(star, query.cell, used)
    labels: dict[str, str] = {}
    columns: list[ColumnElement[Any]] = [star.fact_key.label("k")]
    for i, field in enumerate(query.fields):
        labels[field.ref] = f"f{i}"
        if isinstance(field, Aggregate):
            columns.append(star.aggregate(field, used).label(f"f{i}"))
        else:
            columns.append(star.column(field, used).label(f"f{i}"))
    select = sa.select(*columns).select_from(star.from_clause(used)).where(where)
    by_label = {c.name: c for c in select.selected_columns}
    order = [_ordered(by_label[labels[o.ref]], o.direction) for o in query.order]
    select = select.order_by(*order, by_label["k"].asc())
    if query.page is not None:
        select = select.limit(query.page.size).offset(query.page.offset)
    return select, labels


def compile_fact(star: Star, fields: Sequence[Attribute | Any], key: object
                 ) -> tuple[sa.Select[Any], dict[str, str]]:
    used: Used = {star.physical.fact_table}
    labels = {}
    columns: list[ColumnElement[Any]] = [star.fact_key.label("k")]
    for i, field in enumerate(fields):
        labels[field.ref] = f"f{i}"
        columns.append(star.column(field, used).label(f"f{i}"))
    fact_key = star.fact_key
    condition = fact_key == star.coerce(fact_key, key, "the fact key")
    select = sa.select(*columns).select_from(star.from_clause(used)).where(condition).limit(1)
    return select, labels


def compile_members(query: MembersQuery, star: Star) -> tuple[sa.Select[Any], dict[str, str]]:
    used: Used = {star.physical.fact_table}
    where = cell_condition(star, query.cell, used)
    labels: dict[str, str] = {}
    columns: list[ColumnElement[Any]] = []
    for i, attr in enumerate(query.attributes):
        labels[attr.ref] = f"m{i}"
        columns.append(star.column(attr, used).label(f"m{i}"))
    select = sa.select(*columns).select_from(star.from_clause(used)).where(where)
    select = select.group_by(*(sa.literal_column(str(n)) for n in range(1, len(columns) + 1)))
    by_label = {c.name: c for c in select.selected_columns}
    order: list[OrderItem] = list(query.order)
    refs = {o.ref for o in order}
    order += [OrderItem(a.ref) for a in query.attributes if a.ref not in refs]
    select = select.order_by(*(_ordered(by_label[labels[o.ref]], o.direction) for o in order))
    if query.page is not None:
        select = select.limit(query.page.size).offset(query.page.offset)
    return select, labels


def compile_path_details(star: Star, dimension: Dimension, hierarchy: Hierarchy,
                         path: Sequence[PathElement]
                         ) -> tuple[sa.Select[Any], dict[str, str]]:
    """Attributes of every level of ``path`` (for ``/cell`` details), first matching row."""
    used: Used = {star.physical.fact_table}
    levels = hierarchy.levels[: len(path)]
    labels: dict[str, str] = {}
    columns: list[ColumnElement[Any]] = []
    for i, attr in enumerate(a for level in levels for a in level.attributes):
        labels[attr.ref] = f"p{i}"
        columns.append(star.column(attr, used).label(f"p{i}"))
    where = _point(star, [lv.key for lv in levels], path, used)
    select = sa.select(*columns).select_from(star.from_clause(used)).where(where).limit(1)
    return select, labels
