"""Frozen, validated queries: what to aggregate, over which cell, drilled down how.

``prepare_*`` functions take parsed request parts (cuts, drilldown specs, names) and a cube,
check them against the model and return immutable query objects; every problem is a typed
:class:`~kubus.model.errors.UserError`. Compilation to SQL is a separate step
(:mod:`kubus.model.sql.compiler`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from kubus.model.cells import Cell, Cut, PointCut, RangeCut, SetCut
from kubus.model.cut_grammar import DrilldownSpec, resolve_relative_time
from kubus.model.errors import ArgumentError, HierarchyError, NoSuchAttributeError
from kubus.model.metadata import Aggregate, Attribute, Cube, Dimension, Hierarchy, Level, Measure

Direction = Literal["asc", "desc"]
SPLIT_DIMENSION = "__within_split__"


@dataclass(frozen=True)
class OrderItem:
    ref: str
    direction: Direction = "asc"


@dataclass(frozen=True)
class Page:
    """Pagination; only applied when both parts are given (COMPAT)."""

    page: int
    size: int

    @property
    def offset(self) -> int:
        return self.page * self.size


@dataclass(frozen=True, eq=False)
class DrilldownItem:
    dimension: Dimension
    hierarchy: Hierarchy
    levels: tuple[Level, ...]

    @property
    def key(self) -> str:
        """``levels`` key of the result: ``dim`` or ``dim@hier`` for a non-default hierarchy."""
        if self.hierarchy.name == self.dimension.default_hierarchy_name:
            return self.dimension.name
        return f"{self.dimension.name}@{self.hierarchy.name}"

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for level in self.levels for a in level.attributes)

    @property
    def keys(self) -> tuple[Attribute, ...]:
        return tuple(level.key for level in self.levels)

    @property
    def deepest(self) -> Level:
        return self.levels[-1]


@dataclass(frozen=True, eq=False)
class AggregateQuery:
    cube: Cube
    cell: Cell
    aggregates: tuple[Aggregate, ...]
    drilldown: tuple[DrilldownItem, ...] = ()
    split: Cell | None = None
    order: tuple[OrderItem, ...] = ()
    page: Page | None = None

    @property
    def is_grouped(self) -> bool:
        return bool(self.drilldown) or self.split is not None

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for item in self.drilldown for a in item.attributes)


@dataclass(frozen=True, eq=False)
class FactsQuery:
    cube: Cube
    cell: Cell
    fields: tuple[Attribute | Measure | Aggregate, ...]
    order: tuple[OrderItem, ...] = ()
    page: Page | None = None


@dataclass(frozen=True, eq=False)
class MembersQuery:
    cube: Cube
    cell: Cell
    dimension: Dimension
    hierarchy: Hierarchy
    levels: tuple[Level, ...]
    order: tuple[OrderItem, ...] = ()
    page: Page | None = None

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for level in self.levels for a in level.attributes)


# -- cells ---------------------------------------------------------------------------------
def _with_hierarchy(cut: Cut, name: str | None) -> Cut:
    return replace(cut, hierarchy=name)


def _check_path_length(path: Sequence[object], hierarchy: Hierarchy) -> None:
    if len(path) > len(hierarchy.levels):
        names = [level.name for level in hierarchy.levels]
        raise HierarchyError(f"Path '{list(path)}' is longer than hierarchy "
                             f"'{hierarchy.name}'. Levels: {names}")


def cut_paths(cut: Cut) -> tuple[tuple[object, ...], ...]:
    if isinstance(cut, PointCut):
        return (cut.path,)
    if isinstance(cut, SetCut):
        return cut.paths
    return tuple(p for p in (cut.from_path, cut.to_path) if p)


def resolve_cell(cube: Cube, cuts: Sequence[Cut], *, now: datetime, first_weekday: int = 0,
                 fill_hierarchy: bool = True) -> Cell:
    """Check cuts against the cube and convert relative time members.

    ``fill_hierarchy`` names the default hierarchy in cuts that did not name one (what 1.1
    shows for cuts parsed from a URL); report-body cuts keep ``None`` (COMPAT).
    """
    resolved = []
    for given in cuts:
        dimension = cube.dimension(given.dimension)
        hierarchy = dimension.hierarchy(given.hierarchy)
        cut = given
        if dimension.is_time:
            cut = resolve_relative_time(cut, [lv.name for lv in hierarchy.levels], now,
                                        first_weekday)
        for path in cut_paths(cut):
            _check_path_length(path, hierarchy)
        if cut.hierarchy is None and fill_hierarchy:
            cut = _with_hierarchy(cut, hierarchy.name)
        resolved.append(cut)
    return Cell(tuple(resolved))


# -- drilldown -----------------------------------------------------------------------------
def _implicit_levels(dimension: Dimension, hierarchy: Hierarchy, cell: Cell) -> tuple[Level, ...]:
    """1.1's implicit drilldown: flat → its level; else one below the first point cut."""
    if dimension.is_flat:
        return hierarchy.levels[:1]
    point = next((c for c in cell.cuts_for(dimension.name) if isinstance(c, PointCut)), None)
    if point is None:  # range and set cuts are ignored (COMPAT, §2.6)
        return hierarchy.levels[:1]
    cut_hierarchy = dimension.hierarchy(point.hierarchy)
    if cut_hierarchy.name != hierarchy.name:
        raise HierarchyError(f"Cut hierarchy {cut_hierarchy.name} for dimension "
                             f"'{dimension.name}' is different than drilldown hierarchy "
                             f"{hierarchy.name}. Can not determine implicit next level.")
    depth = len(point.path) - (1 if point.invert else 0)
    if depth >= len(hierarchy.levels):
        raise HierarchyError(f"Hierarchy {hierarchy.name} in dimension {dimension.name} has "
                             f"only {len(hierarchy.levels)} levels, can not drill to {depth + 1}")
    return hierarchy.levels[: depth + 1]


def resolve_drilldown(cube: Cube, specs: Sequence[DrilldownSpec],
                      cell: Cell) -> tuple[DrilldownItem, ...]:
    items = []
    for spec in specs:
        dimension = cube.dimension(spec.dimension)
        hierarchy = dimension.hierarchy(spec.hierarchy)
        if spec.level:
            levels = hierarchy.levels_to(spec.level)
        else:
            levels = _implicit_levels(dimension, hierarchy, cell)
        items.append(DrilldownItem(dimension, hierarchy, levels))
    return tuple(items)


def _has_cut_at_level(cell: Cell, item: DrilldownItem, depth: int) -> bool:
    for cut in cell.cuts_for(item.dimension.name):
        if isinstance(cut, (PointCut, SetCut)) and not cut.invert and cut.level_depth >= depth:
            return True
    return False


def check_cardinality(item: DrilldownItem, cell: Cell, page: Page | None) -> None:
    """The high-cardinality guard of §1.7: page or a point/set cut at the level is required."""
    if page is not None:
        return
    for depth, level in enumerate(item.levels, start=1):
        high = level.cardinality == "high" or item.dimension.is_high_cardinality
        if high and not _has_cut_at_level(cell, item, depth):
            raise ArgumentError(
                f"Can not drilldown on high-cardinality levels ({level.name}) without "
                "including both page_size and page arguments, or else a point/set cut on the "
                "level")


# -- aggregates and order ------------------------------------------------------------------
def resolve_aggregates(cube: Cube, names: Sequence[str] | None) -> tuple[Aggregate, ...]:
    if names is None:
        return cube.aggregates
    if not names:
        raise ArgumentError("List of aggregates should not be empty")
    return tuple(cube.aggregate(name) for name in names)


def aggregates_for_measures(cube: Cube, measures: Sequence[str]) -> tuple[Aggregate, ...]:
    """The documented ``measures=`` parameter: every aggregate of the listed measures."""
    for name in measures:
        cube.measure(name)
    wanted = set(measures)
    return tuple(a for a in cube.aggregates if a.measure in wanted)


def with_dependencies(cube: Cube, aggregates: Sequence[Aggregate]) -> tuple[Aggregate, ...]:
    """Add the source aggregates post-aggregation functions need (§3.6), in model order."""
    needed = {a.name for a in aggregates}
    pending = list(aggregates)
    while pending:
        agg = pending.pop()
        if agg.is_post_aggregate and agg.measure:
            try:
                source = cube.aggregate(agg.measure)
            except NoSuchAttributeError:
                continue  # a measure, not an aggregate: computed as sum of it by the compiler
            if source.name not in needed:
                needed.add(source.name)
                pending.append(source)
    return tuple(a for a in cube.aggregates if a.name in needed)


def _natural_order(items: Sequence[DrilldownItem]) -> tuple[OrderItem, ...]:
    """The levels' order attributes (defect 4 FIX): what users expect, a superset of 1.1."""
    result = []
    for item in items:
        for level in item.levels:
            direction: Direction = "desc" if level.order == "desc" else "asc"
            result.append(OrderItem(level.order_attribute.ref, direction))
    return tuple(result)


def prepare_aggregate(cube: Cube, cell: Cell, *, aggregates: Sequence[str] | None = None,
                      measures: Sequence[str] | None = None,
                      drilldown: Sequence[DrilldownSpec] = (), split: Cell | None = None,
                      order: Sequence[tuple[str, str]] = (),
                      page: Page | None = None) -> AggregateQuery:
    if measures and aggregates is None:
        selected = aggregates_for_measures(cube, measures)
    else:
        selected = resolve_aggregates(cube, aggregates)
    items = resolve_drilldown(cube, drilldown, cell)
    for item in items:
        check_cardinality(item, cell, page)
    selectable = {a.ref for item in items for a in item.attributes} | {a.name for a in selected}
    explicit = []
    for ref, direction in order:
        if ref not in selectable:
            if not cube.has_attribute(ref) and ref not in {a.name for a in cube.aggregates}:
                raise NoSuchAttributeError(f"Cube '{cube.public_name}' has no attribute '{ref}'")
            raise ArgumentError(f"Can not order by '{ref}': it is not in the drilldown or "
                                "the aggregates of this query")
        explicit.append(OrderItem(ref, "desc" if direction == "desc" else "asc"))
    natural = [o for o in _natural_order(items) if o.ref not in {e.ref for e in explicit}]
    return AggregateQuery(cube=cube, cell=cell, aggregates=tuple(selected), drilldown=items,
                          split=split, order=(*explicit, *natural), page=page)


def prepare_facts(cube: Cube, cell: Cell, *, fields: Sequence[str] | None = None,
                  order: Sequence[tuple[str, str]] = (), page: Page | None = None) -> FactsQuery:
    selected: tuple[Attribute | Measure | Aggregate, ...]
    if fields:
        resolved: list[Attribute | Measure | Aggregate] = []
        for ref in fields:
            if cube.has_attribute(ref):
                resolved.append(cube.attribute(ref))
            elif ref in {a.name for a in cube.aggregates}:
                # 1.1 mixes it into an ungrouped select: one arbitrary row on SQLite, an
                # error elsewhere. Facts are rows; aggregates belong to /aggregate.
                raise ArgumentError(f"'{ref}' is an aggregate; /facts lists fact attributes "
                                    "(dimension attributes, details and measures)")
            else:
                raise NoSuchAttributeError(f"Unknown attribute '{ref}' in cube "
                                           f"'{cube.public_name}'")
        selected = tuple(resolved)
    else:
        selected = cube.all_fact_attributes
    refs = {f.ref for f in selected}
    items = []
    for ref, direction in order:
        if ref not in refs:
            if cube.has_attribute(ref):
                raise ArgumentError(f"Can not order facts by '{ref}': it is not among the "
                                    "selected fields")
            raise NoSuchAttributeError(f"Cube '{cube.public_name}' has no attribute '{ref}'")
        items.append(OrderItem(ref, "desc" if direction == "desc" else "asc"))
    return FactsQuery(cube=cube, cell=cell, fields=selected, order=tuple(items), page=page)


def prepare_members(cube: Cube, cell: Cell, dimension: str, *, hierarchy: str | None = None,
                    depth: int | None = None, level: str | None = None,
                    order: Sequence[tuple[str, str]] = (),
                    page: Page | None = None) -> MembersQuery:
    if depth is not None and level is not None:
        raise ArgumentError("Both depth and level provided, use only one")
    dim = cube.dimension(dimension)
    hier = dim.hierarchy(hierarchy)
    if level is not None:
        levels = hier.levels_to(level)
    elif depth:
        if depth < 0 or depth > len(hier.levels):
            raise HierarchyError(f"Depth {depth} is out of range for hierarchy "
                                 f"'{hier.name}' of dimension '{dim.name}', which has "
                                 f"{len(hier.levels)} levels")
        levels = hier.levels[:depth]
    else:
        levels = hier.levels
    query = MembersQuery(cube=cube, cell=cell, dimension=dim, hierarchy=hier, levels=levels,
                         page=page)
    refs = {a.ref for a in query.attributes}
    items = []
    for ref, direction in order:  # 1.1 ignores order here (defect 10); we honour it
        if ref not in refs:
            raise NoSuchAttributeError(f"Dimension '{dim.name}' has no attribute '{ref}' at "
                                       "the requested depth")
        items.append(OrderItem(ref, "desc" if direction == "desc" else "asc"))
    items.extend(o for o in _natural_order([DrilldownItem(dim, hier, levels)])
                 if o.ref not in {i.ref for i in items})
    return replace(query, order=tuple(items))


def cut_levels(cut: Cut, cube: Cube) -> tuple[Dimension, Hierarchy]:
    dimension = cube.dimension(cut.dimension)
    return dimension, dimension.hierarchy(cut.hierarchy)


__all__ = [
    "AggregateQuery", "Cell", "Cut", "DrilldownItem", "FactsQuery", "MembersQuery",
    "OrderItem", "Page", "PointCut", "RangeCut", "SetCut", "prepare_aggregate",
    "prepare_facts", "prepare_members", "resolve_cell",
]
