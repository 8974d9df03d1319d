"""Build metadata objects from Cubes-format JSON (slicer-api.md §3).

Only defaults and structure live here; :mod:`kubus.model.validation` reports every problem of a
raw model at once. Builders raise :class:`ModelError` for what they cannot build at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubus.model.errors import ModelError
from kubus.model.metadata import (
    TIME_LEVEL_ROLES,
    Aggregate,
    Attribute,
    Cube,
    Dimension,
    Hierarchy,
    Level,
    Measure,
)

Raw = Mapping[str, Any]


def _as_object(value: str | Raw) -> Raw:
    """Cubes accepts a bare name wherever an object with only a name would do."""
    return {"name": value} if isinstance(value, str) else value


def _order(value: Any, where: str) -> str | None:
    if value is None:
        return None
    text = str(value).lower()
    if text.startswith("asc"):
        return "asc"
    if text.startswith("desc"):
        return "desc"
    raise ModelError(f"{where}: order should be 'asc' or 'desc', not '{value}'")


def _info(raw: Raw) -> Mapping[str, Any]:
    info = raw.get("info") or {}
    return dict(info)


# -- dimensions ----------------------------------------------------------------------------
def _attribute(raw: str | Raw, dimension: str, ref_flat: bool) -> Attribute:
    obj = _as_object(raw)
    name = str(obj["name"])
    return Attribute(
        name=name,
        ref=dimension if ref_flat else f"{dimension}.{name}",
        dimension=dimension,
        label=obj.get("label"),
        description=obj.get("description"),
        info=_info(obj),
        format=obj.get("format"),
        order=_order(obj.get("order"), f"attribute '{name}'"),
        missing_value=obj.get("missing_value"),
        expression=obj.get("expression"),
        locales=tuple(obj.get("locales") or ()),
    )


def _level_attribute(level: Level, key: Any, default: Attribute) -> Attribute:
    if not key:
        return default
    name = key if isinstance(key, str) else str(_as_object(key)["name"])
    for attr in level.attributes:
        if attr.name == name:
            return attr
    raise ModelError(f"Level '{level.name}' has no attribute '{name}'")


def _level(raw: Raw, dimension: str, ref_flat: bool, is_time: bool) -> Level:
    name = str(raw["name"])
    label = raw.get("label")
    attrs_raw: Sequence[str | Raw] = raw.get("attributes") or [{"name": name, "label": label}]
    attributes = tuple(_attribute(a, dimension, ref_flat) for a in attrs_raw)
    if not attributes:
        raise ModelError(f"Level '{name}' of dimension '{dimension}' has no attributes")
    first = attributes[0]
    skeleton = Level(name=name, attributes=attributes, key=first, label_attribute=first,
                     order_attribute=first)
    key = _level_attribute(skeleton, raw.get("key"), first)
    label_default = attributes[1] if len(attributes) > 1 else key
    role = raw.get("role")
    if role is None and is_time and name in TIME_LEVEL_ROLES:
        role = name
    return Level(
        name=name,
        attributes=attributes,
        key=key,
        label_attribute=_level_attribute(skeleton, raw.get("label_attribute"), label_default),
        order_attribute=_level_attribute(skeleton, raw.get("order_attribute"), first),
        order=_order(raw.get("order"), f"level '{name}'"),
        label=label,
        description=raw.get("description"),
        info=_info(raw),
        role=role,
        cardinality=raw.get("cardinality"),
        nonadditive=raw.get("nonadditive"),
    )


_LEVEL_KEYS_AT_DIMENSION = ("key", "label_attribute", "order_attribute", "order", "cardinality")
_TEMPLATE_KEYS = ("levels", "hierarchies", "label", "description", "info", "cardinality", "role",
                  "category", "nonadditive", "default_hierarchy_name")


def _level_specs(raw: Raw, name: str) -> list[Raw]:
    """The level objects of a dimension, applying the Cubes defaults of §3.3."""
    if raw.get("levels") and raw.get("attributes"):
        raise ModelError(f"Dimension '{name}': both levels and attributes specified")
    if raw.get("levels"):
        # A string is a single-attribute level, never looked up in a template (COMPAT).
        return [_as_object(level) for level in raw["levels"]]
    implicit: dict[str, Any] = {"name": name}
    if raw.get("attributes"):
        implicit["attributes"] = raw["attributes"]
    else:
        implicit["label"] = raw.get("label")
    for key in _LEVEL_KEYS_AT_DIMENSION:
        if raw.get(key) is not None:
            implicit[key] = raw[key]
    return [implicit]


def build_dimension(raw: Raw, templates: Mapping[str, Raw] | None = None,
                    *, name: str | None = None) -> Dimension:
    """Build a dimension; ``templates`` resolves ``template`` names to raw dimensions."""
    raw = _as_object(raw)
    if raw.get("template"):
        template = (templates or {}).get(raw["template"])
        if template is None:
            raise ModelError(f"Dimension '{raw.get('name')}': unknown template "
                             f"'{raw['template']}'")
        merged = {k: v for k, v in _as_object(template).items() if k in _TEMPLATE_KEYS}
        merged.update({k: v for k, v in raw.items() if k != "template"})
        raw = merged
    dim_name = name or str(raw["name"])
    specs = _level_specs(raw, dim_name)
    if raw.get("hierarchy") and raw.get("hierarchies"):
        raise ModelError(f"Dimension '{dim_name}': both hierarchy and hierarchies specified")
    hier_specs: list[Raw]
    if raw.get("hierarchies"):
        hier_specs = [_as_object(h) for h in raw["hierarchies"]]
    elif raw.get("hierarchy"):
        hier_specs = [{"name": "default", "levels": list(raw["hierarchy"])}]
    else:
        hier_specs = [{"name": "default", "levels": [s["name"] for s in specs]}]
    used = {str(lv) for h in hier_specs for lv in h.get("levels", ())}
    specs = [s for s in specs if s["name"] in used]  # levels in no hierarchy are dropped
    # The ref of a flat dimension without details is the dimension name (§3.4).
    ref_flat = len(specs) == 1 and len(specs[0].get("attributes") or [None]) == 1
    is_time = raw.get("role") == "time"
    levels = tuple(_level(s, dim_name, ref_flat, is_time) for s in specs)
    by_name = {lv.name: lv for lv in levels}
    hierarchies = []
    for h in hier_specs:
        try:
            hier_levels = tuple(by_name[str(lv)] for lv in h.get("levels", ()))
        except KeyError as exc:
            raise ModelError(f"Hierarchy '{h.get('name')}' of dimension '{dim_name}' uses "
                             f"unknown level {exc}") from None
        hierarchies.append(Hierarchy(name=str(h["name"]), levels=hier_levels,
                                     label=h.get("label"), description=h.get("description"),
                                     info=_info(h)))
    default = raw.get("default_hierarchy_name")
    names = [h.name for h in hierarchies]
    if default not in names:
        default = "default" if "default" in names else names[0]
    return Dimension(
        name=dim_name, levels=levels, hierarchies=tuple(hierarchies),
        default_hierarchy_name=str(default), label=raw.get("label"),
        description=raw.get("description"), info=_info(raw), role=raw.get("role"),
        cardinality=raw.get("cardinality"), category=raw.get("category"),
        nonadditive=raw.get("nonadditive"),
    )


def _linked_dimension(link: Raw, dimensions: Mapping[str, Raw]) -> Dimension:
    """A cube's dimension link: a name, or an object with hierarchies/alias/... (§3.2)."""
    base_name = str(link["name"])
    base = dimensions.get(base_name)
    if base is None:
        # A dimension nobody describes is a flat single-attribute dimension (§4.2 default).
        base = {"name": base_name}
    raw = dict(_as_object(base))
    if link.get("template"):
        raw["template"] = link["template"]
    for key in ("cardinality", "nonadditive", "default_hierarchy_name"):
        if link.get(key) is not None:
            raw[key] = link[key]
    dim = build_dimension(raw, dimensions, name=link.get("alias") or base_name)
    wanted = link.get("hierarchies")
    excluded = set(link.get("exclude_hierarchies") or ())
    if wanted or excluded:
        keep = [h for h in dim.hierarchies
                if (not wanted or h.name in wanted) and h.name not in excluded]
        if not keep:
            raise ModelError(f"Cube link to dimension '{base_name}' leaves no hierarchy")
        if wanted:
            keep.sort(key=lambda h: list(wanted).index(h.name))
        raw["hierarchies"] = [
            {"name": h.name, "levels": [lv.name for lv in h.levels], "label": h.label,
             "description": h.description, "info": dict(h.info)} for h in keep]
        raw.pop("hierarchy", None)
        if raw.get("default_hierarchy_name") not in [h.name for h in keep]:
            raw.pop("default_hierarchy_name", None)
        dim = build_dimension(raw, dimensions, name=link.get("alias") or base_name)
    return dim


# -- measures and aggregates ---------------------------------------------------------------
def _measure(raw: str | Raw) -> Measure:
    obj = _as_object(raw)
    aggs = obj.get("aggregates")
    return Measure(
        name=str(obj["name"]), label=obj.get("label"), description=obj.get("description"),
        info=_info(obj), format=obj.get("format"),
        order=_order(obj.get("order"), f"measure '{obj['name']}'"),
        missing_value=obj.get("missing_value"), expression=obj.get("expression"),
        aggregates=tuple(aggs) if aggs is not None else None, formula=obj.get("formula"),
        nonadditive=obj.get("nonadditive"), window_size=obj.get("window_size"),
    )


def _aggregate(raw: Raw, measures: Mapping[str, Measure]) -> Aggregate:
    measure = raw.get("measure")
    nonadditive = raw.get("nonadditive")
    if nonadditive is None and isinstance(measure, str) and measure in measures:
        nonadditive = measures[measure].nonadditive
    function = raw.get("function")
    return Aggregate(
        name=str(raw["name"]), label=raw.get("label"), description=raw.get("description"),
        info=_info(raw), format=raw.get("format"),
        order=_order(raw.get("order"), f"aggregate '{raw['name']}'"),
        missing_value=raw.get("missing_value"), expression=raw.get("expression"),
        function=function.lower() if isinstance(function, str) else None,
        formula=raw.get("formula"), measure=measure, nonadditive=nonadditive,
        window_size=raw.get("window_size"),
    )


def _aggregates(raw: Raw, measures: tuple[Measure, ...]) -> tuple[Aggregate, ...]:
    by_name = {m.name: m for m in measures}
    explicit = [_aggregate(_as_object(a), by_name) for a in raw.get("aggregates") or ()]
    if not measures and not explicit:
        return (Aggregate(name="fact_count", label="Count", function="count"),)
    if not raw.get("implicit_aggregates"):
        return tuple(explicit)
    names = {a.name: a for a in explicit}
    result = list(explicit)
    for measure in measures:
        for function in measure.aggregates or ("sum",):
            name = measure.name if function == "identity" else f"{measure.name}_{function}"
            existing = names.get(name)
            if existing is not None:
                if function not in ("identity", existing.function):
                    raise ModelError(f"Aggregate '{name}' function mismatch: implicit "
                                     f"'{function}', explicit '{existing.function}'")
                continue
            agg = Aggregate(name=name, measure=measure.name,
                            function=None if function == "identity" else function,
                            nonadditive=measure.nonadditive, window_size=measure.window_size)
            names[name] = agg
            result.append(agg)
    return tuple(result)


def _detail(raw: str | Raw) -> Attribute:
    obj = _as_object(raw)
    name = str(obj["name"])
    return Attribute(name=name, ref=name, label=obj.get("label"),
                     description=obj.get("description"), info=_info(obj),
                     format=obj.get("format"), order=_order(obj.get("order"), name),
                     missing_value=obj.get("missing_value"), expression=obj.get("expression"),
                     locales=tuple(obj.get("locales") or ()))


# -- joins and mappings inheritance (§3.8) --------------------------------------------------
def _joins(model: Raw, cube: Raw) -> tuple[Mapping[str, Any], ...]:
    cube_joins = [_join_object(j) for j in cube.get("joins") or ()]
    if not cube_joins:
        return ()
    templates: dict[str, Mapping[str, Any]] = {}
    for join in (_join_object(j) for j in model.get("joins") or ()):
        name = join.get("name")
        if not name or name in templates:
            raise ModelError("Model-level joins must have unique names to be used as templates")
        templates[str(name)] = join
    result = []
    for join in cube_joins:
        merged = {**templates.get(str(join.get("name")), {}), **join}
        if not merged.get("master") or not merged.get("detail"):
            raise ModelError(f"Cube '{cube.get('name')}': join {dict(join)} needs both master "
                             "and detail")
        result.append(merged)
    return tuple(result)


def _join_object(join: Any) -> Mapping[str, Any]:
    if isinstance(join, (list, tuple)):
        keys = ("master", "detail", "alias", "method")
        return {k: v for k, v in zip(keys, join, strict=False) if v is not None}
    return dict(join)


def build_cube(raw: Raw, dimensions: Mapping[str, Raw], *, model: Raw | None = None,
               namespace: str | None = None, store: str | None = None) -> Cube:
    """Build a cube; ``dimensions`` maps names to the raw dimensions visible to it."""
    model = model or {}
    name = str(raw["name"])
    links: list[Raw] = [_as_object(d) for d in raw.get("dimensions") or ()]
    for dim_name, hier_names in (raw.get("hierarchies") or {}).items():  # deprecated form
        links = [{**lk, "hierarchies": hier_names} if lk["name"] == dim_name else lk
                 for lk in links]
    cube_dimensions = tuple(_linked_dimension(link, dimensions) for link in links)
    measures = tuple(_measure(m) for m in raw.get("measures") or ())
    if raw.get("nonadditive"):
        measures = tuple(m if m.nonadditive else _with_nonadditive(m, raw["nonadditive"])
                         for m in measures)
    options = {**(model.get("browser_options") or {}), **(raw.get("browser_options") or {})}
    mappings = {**(model.get("mappings") or {}), **(raw.get("mappings") or {})}
    info = _info(raw)
    return Cube(
        name=name, dimensions=cube_dimensions, measures=measures,
        aggregates=_aggregates(raw, measures),
        details=tuple(_detail(d) for d in raw.get("details") or ()),
        label=raw.get("label"), description=raw.get("description"), info=info,
        category=raw.get("category") or info.get("category"), locale=raw.get("locale"),
        key=raw.get("key"), fact=raw.get("fact"), mappings=mappings,
        joins=_joins(model, raw), browser_options=options,
        store=raw.get("store") or model.get("store") or store,
        nonadditive=raw.get("nonadditive"),
        public_name=f"{namespace}.{name}" if namespace else name,
    )


def _with_nonadditive(measure: Measure, value: str) -> Measure:
    from dataclasses import replace

    return replace(measure, nonadditive=value)
