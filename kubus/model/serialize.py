"""Cube metadata as the Slicer API serves it: ``/cube/<c>/model`` and ``/cubes`` (§1.5, §1.6).

Pure functions from metadata objects to JSON-ready dicts, with 1.1's key order. Keys whose value
is ``None`` are omitted (1.1's ``IgnoringDictionary``). Cube, measure, detail and aggregate labels
are always present (humanised or implicit); dimension, level, hierarchy and attribute labels only
when explicit, and level ``key``/``label_attribute``/``order_attribute`` are attribute *names*
(COMPAT, defect 19: CubesViewer looks attributes up by name). Example::

    cube_to_dict(catalog.cube("irbd_balance"))["label"]   # "Irbd balance"
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kubus.model.metadata import (
    AGGREGATE_FUNCTIONS,
    POST_AGGREGATE_FUNCTIONS,
    Aggregate,
    Attribute,
    Cube,
    Dimension,
    Hierarchy,
    Level,
    Measure,
    humanize,
)

#: What the SQL browser can do (``features`` of ``/model``).
BROWSER_ACTIONS = ("aggregate", "fact", "members", "facts", "cell")

#: ``(dimension, hierarchy or None for the default, level or None to drop the hierarchy)``.
HierarchyLimit = tuple[str, str | None, str | None]


def _put(out: dict[str, Any], items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Append ``items`` to ``out`` in order, skipping ``None`` values."""
    for key, value in items:
        if value is not None:
            out[key] = value
    return out


def features() -> dict[str, Any]:
    return {
        "actions": list(BROWSER_ACTIONS),
        "aggregate_functions": list(AGGREGATE_FUNCTIONS),
        "post_aggregate_functions": list(POST_AGGREGATE_FUNCTIONS),
    }


def attribute_to_dict(attr: Attribute, *, label: str | None = None) -> dict[str, Any]:
    """An attribute or detail; ``label`` overrides the explicit one (details are humanised)."""
    return _put({"name": attr.name, "info": dict(attr.info)}, [
        ("label", label if label is not None else attr.label),
        ("description", attr.description),
        ("format", attr.format),
        ("order", attr.order),
        ("missing_value", attr.missing_value),
        ("expression", attr.expression),
        ("ref", attr.ref),
        ("locales", list(attr.locales)),
    ])


def measure_to_dict(measure: Measure) -> dict[str, Any]:
    return _put({"name": measure.name, "info": dict(measure.info)}, [
        ("label", measure.label or humanize(measure.name)),
        ("description", measure.description),
        ("format", measure.format),
        ("order", measure.order),
        ("missing_value", measure.missing_value),
        ("expression", measure.expression),
        ("ref", measure.ref),
        ("formula", measure.formula),
        ("aggregates", list(measure.aggregates) if measure.aggregates is not None else None),
        ("window_size", measure.window_size),
    ])


def aggregate_to_dict(cube: Cube, aggregate: Aggregate) -> dict[str, Any]:
    return _put({"name": aggregate.name, "info": dict(aggregate.info)}, [
        ("label", cube.aggregate_label(aggregate)),
        ("description", aggregate.description),
        ("format", aggregate.format),
        ("order", aggregate.order),
        ("missing_value", aggregate.missing_value),
        ("expression", aggregate.expression),
        ("ref", aggregate.ref),
        ("function", aggregate.function),
        ("formula", aggregate.formula),
        ("measure", aggregate.measure),
        ("nonadditive", aggregate.nonadditive),
        ("window_size", aggregate.window_size),
    ])


def level_to_dict(level: Level) -> dict[str, Any]:
    out = _put({"name": level.name, "info": dict(level.info)}, [
        ("label", level.label),
        ("description", level.description),
        ("role", level.role),
        ("key", level.key.name),
        ("label_attribute", level.label_attribute.name),
        ("order_attribute", level.order_attribute.name),
        ("order", level.order),
        ("cardinality", level.cardinality),
        ("nonadditive", level.nonadditive),
    ])
    out["attributes"] = [attribute_to_dict(a) for a in level.attributes]
    return out


def hierarchy_to_dict(hierarchy: Hierarchy,
                      levels: Sequence[Level] | None = None) -> dict[str, Any]:
    out = _put({"name": hierarchy.name, "info": dict(hierarchy.info)}, [
        ("label", hierarchy.label),
        ("description", hierarchy.description),
    ])
    out["levels"] = [lv.name for lv in (hierarchy.levels if levels is None else levels)]
    return out


def _limited_hierarchies(dimension: Dimension, limits: Sequence[HierarchyLimit]
                         ) -> list[tuple[Hierarchy, tuple[Level, ...]]]:
    """Apply authorizer hierarchy limits (§5.2): truncate at the level, or drop the hierarchy.

    A limit without a hierarchy applies to the default one (defect 23 FIX); a level that is not
    in the hierarchy leaves it unchanged.
    """
    result = []
    for hierarchy in dimension.hierarchies:
        levels: tuple[Level, ...] | None = hierarchy.levels
        for dim_name, hier_name, level_name in limits:
            if dim_name != dimension.name:
                continue
            if (hier_name or dimension.default_hierarchy_name) != hierarchy.name:
                continue
            if not level_name:
                levels = None
                break
            names = [lv.name for lv in hierarchy.levels]
            if level_name in names:
                levels = hierarchy.levels[: names.index(level_name) + 1]
        if levels is not None:
            result.append((hierarchy, levels))
    return result


def dimension_to_dict(dimension: Dimension, *,
                      hierarchy_limits: Sequence[HierarchyLimit] | None = None) -> dict[str, Any]:
    out = _put({"name": dimension.name, "info": dict(dimension.info)}, [
        ("label", dimension.label),
        ("description", dimension.description),
        ("default_hierarchy_name", dimension.default_hierarchy_name),
        ("role", dimension.role),
        ("cardinality", dimension.cardinality),
        ("category", dimension.category),
    ])
    out["levels"] = [level_to_dict(lv) for lv in dimension.levels]
    if hierarchy_limits:
        pairs = _limited_hierarchies(dimension, hierarchy_limits)
    else:
        pairs = [(h, h.levels) for h in dimension.hierarchies]
    out["hierarchies"] = [hierarchy_to_dict(h, levels) for h, levels in pairs]
    out["is_flat"] = dimension.is_flat
    out["has_details"] = dimension.has_details
    return out


def cube_to_dict(cube: Cube, *,
                 hierarchy_limits: Sequence[HierarchyLimit] | None = None) -> dict[str, Any]:
    """The ``/cube/<c>/model`` body (§1.6); physical keys are never emitted."""
    out = _put({"name": cube.public_name or cube.name, "info": dict(cube.info)}, [
        ("label", cube.display_label),
        ("description", cube.description),
        ("locale", cube.locale),
        ("category", cube.category),
    ])
    out["aggregates"] = [aggregate_to_dict(cube, a) for a in cube.aggregates]
    out["measures"] = [measure_to_dict(m) for m in cube.measures]
    out["details"] = [attribute_to_dict(d, label=d.label or humanize(d.name))
                      for d in cube.details]
    out["dimensions"] = [dimension_to_dict(d, hierarchy_limits=hierarchy_limits)
                         for d in cube.dimensions]
    _put(out, [("key", cube.key)])
    out["features"] = features()
    return out


def cube_list_item(cube: Cube) -> dict[str, Any]:
    """One ``/cubes`` entry: the label defaults to the raw name, no description (COMPAT, §1.5)."""
    return {
        "name": cube.public_name or cube.name,
        "label": cube.label or cube.public_name or cube.name,
        "category": cube.category or cube.info.get("category"),
        "info": dict(cube.info),
    }
