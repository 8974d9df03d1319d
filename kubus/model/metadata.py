"""The logical model: cube, dimension, hierarchy, level, attribute, measure, aggregate.

Frozen dataclasses built by :mod:`kubus.model.loading` from Cubes-format JSON. Explicit labels
are kept as given (``None`` when absent); display labels are computed where Cubes computes them
(:func:`humanize`, :meth:`Cube.aggregate_label`), because ``/model`` must tell the two apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kubus.model.errors import (
    HierarchyError,
    NoSuchAttributeError,
    NoSuchDimensionError,
    NoSuchHierarchyError,
)

TIME_LEVEL_ROLES = frozenset({
    "year", "quarter", "month", "day", "hour", "minute", "second", "week", "weeknum", "dow",
    "isoyear", "isoweek", "isoweekday",
})

AGGREGATE_FUNCTIONS = ("sum", "count_nonempty", "count", "count_distinct", "min", "max", "avg",
                       "stddev", "variance")
POST_AGGREGATE_FUNCTIONS = ("wma", "sma", "sms", "smstd", "smrsd", "smvar")


def humanize(name: str) -> str:
    """Cubes' implicit label: underscores to spaces, then ``str.capitalize`` (``Irbd balance``)."""
    return name.replace("_", " ").capitalize()


@dataclass(frozen=True, eq=False)
class Attribute:
    """A dimension attribute or a cube detail.

    ``ref`` is the public name used in cuts, orders, JSON keys and CSV headers: the dimension
    name for the single attribute of a flat dimension without details, ``dim.attr`` for other
    dimension attributes, and the plain name for details.
    """

    name: str
    ref: str
    dimension: str | None = None
    label: str | None = None
    description: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    format: str | None = None
    order: str | None = None
    missing_value: Any = None
    expression: str | None = None
    locales: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<Attribute {self.ref}>"


@dataclass(frozen=True, eq=False)
class Measure:
    name: str
    label: str | None = None
    description: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    format: str | None = None
    order: str | None = None
    missing_value: Any = None
    expression: str | None = None
    aggregates: tuple[str, ...] | None = None
    formula: str | None = None
    nonadditive: str | None = None
    window_size: int | None = None

    @property
    def ref(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class Aggregate:
    name: str
    label: str | None = None
    description: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    format: str | None = None
    order: str | None = None
    missing_value: Any = None
    expression: str | None = None
    function: str | None = None
    formula: str | None = None
    measure: str | None = None
    nonadditive: str | None = None
    window_size: int | None = None

    @property
    def ref(self) -> str:
        return self.name

    @property
    def is_post_aggregate(self) -> bool:
        return (self.function or "").lower() in POST_AGGREGATE_FUNCTIONS


@dataclass(frozen=True, eq=False)
class Level:
    name: str
    attributes: tuple[Attribute, ...]
    key: Attribute
    label_attribute: Attribute
    order_attribute: Attribute
    order: str | None = None
    label: str | None = None
    description: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    role: str | None = None
    cardinality: str | None = None
    nonadditive: str | None = None

    def attribute(self, name: str) -> Attribute:
        for attr in self.attributes:
            if attr.name == name:
                return attr
        raise NoSuchAttributeError(f"Level '{self.name}' has no attribute '{name}'")

    def __repr__(self) -> str:
        return f"<Level {self.name}>"


@dataclass(frozen=True, eq=False)
class Hierarchy:
    name: str
    levels: tuple[Level, ...]
    label: str | None = None
    description: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    def level_index(self, name: str) -> int:
        for i, level in enumerate(self.levels):
            if level.name == name:
                return i
        raise HierarchyError(f"Level {name} is not part of hierarchy {self.name}")

    def levels_to(self, name: str) -> tuple[Level, ...]:
        """Levels from the top down to and including ``name``."""
        return self.levels[: self.level_index(name) + 1]

    def __repr__(self) -> str:
        return f"<Hierarchy {self.name}>"


@dataclass(frozen=True, eq=False)
class Dimension:
    name: str
    levels: tuple[Level, ...]
    hierarchies: tuple[Hierarchy, ...]
    default_hierarchy_name: str
    label: str | None = None
    description: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    role: str | None = None
    cardinality: str | None = None
    category: str | None = None
    nonadditive: str | None = None

    @property
    def is_flat(self) -> bool:
        return len(self.levels) == 1

    @property
    def has_details(self) -> bool:
        return any(len(level.attributes) > 1 for level in self.levels)

    @property
    def is_time(self) -> bool:
        return self.role == "time"

    @property
    def is_high_cardinality(self) -> bool:
        return self.cardinality == "high" or bool(self.info.get("high_cardinality"))

    def hierarchy(self, name: str | None = None) -> Hierarchy:
        """The named hierarchy, or the default one for ``None``."""
        wanted = name or self.default_hierarchy_name
        for hier in self.hierarchies:
            if hier.name == wanted:
                return hier
        raise NoSuchHierarchyError(wanted, self.name)

    def level(self, name: str) -> Level:
        for level in self.levels:
            if level.name == name:
                return level
        raise HierarchyError(f"Dimension '{self.name}' has no level '{name}'")

    @cached_property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for level in self.levels for a in level.attributes)

    def __repr__(self) -> str:
        return f"<Dimension {self.name}>"


@dataclass(frozen=True, eq=False)
class Cube:
    """A cube with its logical and physical description.

    ``mappings``, ``joins`` and ``browser_options`` are kept in their (normalised) JSON form;
    :mod:`kubus.model.sql.physical` turns them into tables and columns.
    """

    name: str
    dimensions: tuple[Dimension, ...]
    measures: tuple[Measure, ...]
    aggregates: tuple[Aggregate, ...]
    details: tuple[Attribute, ...] = ()
    label: str | None = None
    description: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    category: str | None = None
    locale: str | None = None
    key: str | None = None
    fact: str | None = None
    mappings: Mapping[str, Any] = field(default_factory=dict)
    joins: tuple[Mapping[str, Any], ...] = ()
    browser_options: Mapping[str, Any] = field(default_factory=dict)
    store: str | None = None
    nonadditive: str | None = None
    #: Name as served: ``ns.name`` for cubes of a non-default namespace.
    public_name: str = ""

    # -- lookups -------------------------------------------------------------------------
    def dimension(self, name: str) -> Dimension:
        for dim in self.dimensions:
            if dim.name == name:
                return dim
        raise NoSuchDimensionError(name, self.public_name or self.name)

    def measure(self, name: str) -> Measure:
        for measure in self.measures:
            if measure.name == name:
                return measure
        raise NoSuchAttributeError(f"Cube '{self.public_name}' has no measure '{name}'")

    def aggregate(self, name: str) -> Aggregate:
        for agg in self.aggregates:
            if agg.name == name:
                return agg
        raise NoSuchAttributeError(
            f"No measure aggregate ''{name}'' in cube '{self.public_name}'")

    # Cubes are immutable: the lookups below are computed once per cube (every request needs
    # them, and scanning every attribute for each ref showed in request profiles).
    @cached_property
    def all_dimension_attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for dim in self.dimensions for a in dim.attributes)

    @cached_property
    def all_fact_attributes(self) -> tuple[Attribute | Measure, ...]:
        """Default ``/facts`` columns: dimension attributes, details, measures."""
        return (*self.all_dimension_attributes, *self.details, *self.measures)

    @cached_property
    def _attributes_by_ref(self) -> dict[str, Attribute | Measure]:
        index: dict[str, Attribute | Measure] = {}
        for attr in self.all_fact_attributes:
            index.setdefault(attr.ref, attr)  # the first one, as a scan would find
        return index

    def attribute(self, ref: str) -> Attribute | Measure:
        """Look up a dimension attribute, detail or measure by its ref."""
        found = self._attributes_by_ref.get(ref)
        if found is not None:
            return found
        # A level may be named by its dimension-qualified name (``date.month``) even when a
        # flat dimension's attribute ref is just the dimension name.
        raise NoSuchAttributeError(f"Cube '{self.public_name}' has no attribute '{ref}'")

    def has_attribute(self, ref: str) -> bool:
        return ref in self._attributes_by_ref

    def dimension_of(self, attribute: Attribute) -> Dimension:
        if attribute.dimension is None:
            raise NoSuchAttributeError(f"Attribute '{attribute.ref}' is not a dimension attribute")
        return self.dimension(attribute.dimension)

    # -- labels --------------------------------------------------------------------------
    @property
    def display_label(self) -> str:
        return self.label or humanize(self.name)

    def aggregate_label(self, aggregate: Aggregate) -> str:
        """Explicit label or the implicit one of slicer-api.md §3.6."""
        if aggregate.label:
            return aggregate.label
        measure_label: str | None = None
        if aggregate.measure:
            for measure in self.measures:
                if measure.name == aggregate.measure:
                    measure_label = measure.label or measure.name
                    break
            else:
                measure_label = aggregate.measure
        m = measure_label or aggregate.name
        template = IMPLICIT_AGGREGATE_LABELS.get((aggregate.function or "").lower())
        return template.format(m=m) if template else m


IMPLICIT_AGGREGATE_LABELS = {
    "sum": "Sum of {m}",
    "count": "Record Count",
    "count_nonempty": "Non-empty count of {m}",
    "min": "{m} Minimum",
    "max": "{m} Maximum",
    "avg": "Average of {m}",
    "wma": "Weighted Moving Avg. of {m}",
    "sma": "Simple Moving Avg. of {m}",
    "sms": "Simple Moving Sum of {m}",
    "smstd": "Moving Std. Deviation of {m}",
    "smrsd": "Moving Relative St. Dev. of {m}",
    "smvar": "Moving Variance of {m}",
}
