"""Checks of cubes: dimension links, measures, aggregates, details, cube-level hierarchies."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from kubus.model.metadata import POST_AGGREGATE_FUNCTIONS
from kubus.model.validation.checker import (
    _At,
    _Checker,
    _Dimension,
    _hint,
    _is_str_list,
    _join_path,
    _kind,
    _name_of,
)
from kubus.model.validation.dimensions import _check_attribute
from kubus.model.validation.keys import (
    AGGREGATE_KEYS,
    CUBE_KEYS,
    FUNCTIONS,
    LINK_KEYS,
    MEASURE_AGGREGATES,
    MEASURE_KEYS,
)
from kubus.model.validation.mappings import _check_cube_joins, _check_mappings, _Refs


def _check_cube(c: _Checker, cube: Any, path: str) -> None:
    if not isinstance(cube, Mapping):
        c.error(_At("cube", None, path), None, f"Expected a cube object, got {_kind(cube)}")
        return
    at = _At("cube", _name_of(cube), path)
    c.name(at, cube, "cube", strict=False)
    c.keys(at, cube, CUBE_KEYS)
    links = _check_links(c, at, cube)
    measures = _check_measures(c, at, cube)
    aggregates = _check_aggregates(c, at, cube, measures)
    details = _check_details(c, at, cube, measures)
    if cube.get("implicit_aggregates") is True:
        _check_implicit_aggregates(c, measures, aggregates)
    elif measures and not aggregates:
        c.warning(at, "aggregates", "The cube has measures but no aggregates, so aggregation "
                                    "fails; add aggregates or set implicit_aggregates")
    if not measures and not aggregates:
        c.add("default", at, None, "Neither measures nor aggregates specified, using the "
                                   "'fact_count' aggregate (count)")
    refs = _cube_refs(links, measures, details)
    _check_mappings(c, at, cube.get("mappings"), refs)
    given = cube.get("mappings")
    own: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    for ref in c.model_mappings:
        if ref in refs.expressions and ref not in own:
            c.error(_At("mapping", ref, _join_path("mappings", ref)), None,
                    f"Attribute '{ref}' of cube '{at.object}' has an expression and must "
                    "not be mapped")
    _check_cube_joins(c, at, cube)
    _check_cube_hierarchies(c, at, cube, links)


def _check_links(c: _Checker, at: _At, cube: Mapping[str, Any]) -> dict[str, _Dimension | None]:
    """Dimension links; returns the linked dimensions by their name in the cube."""
    linked: dict[str, _Dimension | None] = {}
    named: list[tuple[str, str | None]] = []
    for i, item in c.list_of(at, cube, "dimensions"):
        path = at.key("dimensions") + f"[{i}]"
        if not isinstance(item, str | Mapping):
            c.error(at, "dimensions", f"Expected a dimension name or link object, got "
                                      f"{_kind(item)}", path=path)
            continue
        lat = _At("dimension", _name_of(item), path)
        name = c.name(lat, item, "dimension", strict=True)
        if isinstance(item, Mapping):
            c.keys(lat, item, LINK_KEYS)
        link: Mapping[str, Any] = item if isinstance(item, Mapping) else {"name": item}
        alias = link.get("alias")
        if alias is not None:
            alias = c.identifier(lat, "alias", alias, "dimension alias", strict=True)
        template = link.get("template")
        target = template if isinstance(template, str) else name
        dim = c.dimensions.get(target) if target else None
        if target and dim is None and target not in c.known_dimensions:
            c.error(lat, "template" if target == template else None,
                    f"Dimension '{target}' is not defined in the model")
        if dim is not None:
            _check_link_hierarchies(c, lat, link, dim)
        effective = alias or name
        named.append((path, effective))
        if effective:
            linked.setdefault(effective, dim)
    c.duplicates("dimension", "dimension link", named)
    return linked


def _check_link_hierarchies(c: _Checker, at: _At, link: Mapping[str, Any],
                            dim: _Dimension) -> None:
    if dim.hierarchies is None:
        return
    chosen = list(dim.hierarchies)
    for key in ("hierarchies", "exclude_hierarchies"):
        names = link.get(key)
        if not _is_str_list(names):
            continue
        for j, name in enumerate(names):
            if name not in dim.hierarchies:
                c.error(at, key, f"Dimension '{dim.name}' has no hierarchy '{name}' "
                                 f"(hierarchies: {', '.join(dim.hierarchies)})",
                        path=at.key(key) + f"[{j}]")
        chosen = ([h for h in chosen if h in names] if key == "hierarchies"
                  else [h for h in chosen if h not in names])
    default = link.get("default_hierarchy_name")
    if isinstance(default, str) and default not in chosen:
        c.error(at, "default_hierarchy_name", f"Default hierarchy '{default}' is not among "
                                              f"the linked hierarchies ({', '.join(chosen)})")


def _objects_of(c: _Checker, at: _At, cube: Mapping[str, Any],
                key: str) -> list[tuple[str, Any]]:
    """(path, object) of a cube list whose items are names or objects; others are errors."""
    found: list[tuple[str, Any]] = []
    for i, item in c.list_of(at, cube, key):
        path = at.key(key) + f"[{i}]"
        if isinstance(item, str | Mapping):
            found.append((path, {"name": item} if isinstance(item, str) else item))
        else:
            c.error(at, key, f"Expected a name or an object, got {_kind(item)}", path=path)
    return found


def _check_measures(c: _Checker, at: _At,
                    cube: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    measures: dict[str, Mapping[str, Any]] = {}
    named: list[tuple[str, str | None]] = []
    for path, measure in _objects_of(c, at, cube, "measures"):
        mat = _At("measure", _name_of(measure), path)
        name = c.name(mat, measure, "measure", strict=False)
        c.keys(mat, measure, MEASURE_KEYS)
        functions = measure.get("aggregates")
        for j, function in enumerate(functions if _is_str_list(functions) else []):
            if function.lower() not in MEASURE_AGGREGATES:
                c.error(mat, "aggregates", f"Unknown aggregate function '{function}' "
                        f"(expected one of {', '.join(MEASURE_AGGREGATES)})",
                        path=mat.key("aggregates") + f"[{j}]")
        named.append((path, name))
        if name:
            measures.setdefault(name, measure)
    c.duplicates("measure", "measure", named)
    return measures


def _check_aggregates(c: _Checker, at: _At, cube: Mapping[str, Any],
                      measures: Mapping[str, Any]) -> dict[str, tuple[str, Mapping[str, Any]]]:
    items = _objects_of(c, at, cube, "aggregates")
    names = {n for n in (_name_of(a) for _, a in items) if n}
    aggregates: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for path, aggregate in items:
        aat = _At("aggregate", _name_of(aggregate), path)
        name = c.name(aat, aggregate, "aggregate", strict=False)
        c.keys(aat, aggregate, AGGREGATE_KEYS)
        _check_aggregate(c, aat, aggregate, measures, names - {name})
        if name:
            aggregates.setdefault(name, (path, aggregate))
    c.duplicates("aggregate", "aggregate", ((p, _name_of(a)) for p, a in items))
    return aggregates


def _check_aggregate(c: _Checker, at: _At, aggregate: Mapping[str, Any],
                     measures: Mapping[str, Any], others: set[str]) -> None:
    """Function, measure and expression of one aggregate (slicer-api.md §3.6)."""
    given = aggregate.get("function")
    function = given.lower() if isinstance(given, str) else None
    if function is not None and function not in FUNCTIONS:
        close = difflib.get_close_matches(function, FUNCTIONS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        c.error(at, "function", f"Unknown aggregate function '{given}' "
                                f"(expected one of {', '.join(FUNCTIONS)}){hint}")
    measure = aggregate.get("measure") if isinstance(aggregate.get("measure"), str) else None
    expression = aggregate.get("expression")
    if measure is not None and expression is not None:
        c.error(at, "expression", "An aggregate has either a measure or an expression, "
                                  "not both")
    elif expression is not None and function is not None:
        c.warning(at, "function", f"Function '{given}' is ignored: the aggregate has an "
                                  "expression")
    if function in POST_AGGREGATE_FUNCTIONS:
        if measure is None:
            c.error(at, "measure", f"Post-aggregate function '{given}' needs a measure naming "
                                   "the aggregate (or measure) it is computed from")
        elif measure not in measures and measure not in others:
            c.error(at, "measure", f"Unknown measure or aggregate '{measure}'"
                                   f"{_hint(measure, [*measures, *others])}")
    elif measure is not None and measure not in measures:
        if measure in others:
            c.error(at, "measure", f"'{measure}' is an aggregate; only post-aggregate "
                    f"functions ({', '.join(POST_AGGREGATE_FUNCTIONS)}) aggregate aggregates")
        else:
            c.error(at, "measure", f"Unknown measure '{measure}'{_hint(measure, measures)}")
    elif measure is None and expression is None and function not in (None, "count"):
        c.error(at, "measure", f"Aggregate function '{given}' needs a measure")
    if function is None and expression is None and "formula" not in aggregate:
        c.warning(at, None, "The aggregate has neither a function nor an expression: it is "
                            "read as is from its mapped column (identity)")


def _check_details(c: _Checker, at: _At, cube: Mapping[str, Any],
                   measures: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    details: dict[str, Mapping[str, Any]] = {}
    named: list[tuple[str, str | None]] = []
    for i, item in c.list_of(at, cube, "details"):
        path = at.key("details") + f"[{i}]"
        name = _check_attribute(c, item, path)
        named.append((path, name))
        if name in measures:
            c.error(_At("attribute", name, path), None,
                    f"Detail '{name}' has the name of a measure; both appear in facts")
        if name:
            details.setdefault(name, item if isinstance(item, Mapping) else {"name": item})
    c.duplicates("attribute", "detail", named)
    return details


def _check_implicit_aggregates(c: _Checker, measures: Mapping[str, Mapping[str, Any]],
                               aggregates: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
    """Explicit aggregates must agree with the implicit ones of the same name (upstream #318)."""
    for name, measure in measures.items():
        functions = measure.get("aggregates")
        for function in functions if _is_str_list(functions) else ["sum"]:
            implicit = name if function.lower() == "identity" else f"{name}_{function.lower()}"
            if implicit not in aggregates:
                continue
            path, explicit = aggregates[implicit]
            given = explicit.get("function")
            wanted = None if function.lower() == "identity" else function.lower()
            actual = given.lower() if isinstance(given, str) else None
            if actual != wanted or explicit.get("measure", name) != name:
                c.error(_At("aggregate", implicit, path), "function",
                        f"Aggregate '{implicit}' function mismatch: the implicit aggregate of "
                        f"measure '{name}' uses {wanted or 'no function (identity)'}")


def _cube_refs(links: Mapping[str, _Dimension | None], measures: Mapping[str, Any],
               details: Mapping[str, Mapping[str, Any]]) -> _Refs:
    refs = _Refs(set(measures) | set(details), set(), set())
    for name, obj in (*measures.items(), *details.items()):
        if obj.get("expression"):
            refs.expressions.add(name)
        if obj.get("locales"):
            refs.localized.add(name)
    for name, dim in links.items():
        dim_refs = dim.refs(name) if dim is not None else None
        if dim is None or dim_refs is None:
            refs.all = None
            continue
        if refs.all is not None:
            refs.all.update(dim_refs)
        flat = dim_refs == [name]
        for attr in dim.expressions:
            refs.expressions.add(name if flat else f"{name}.{attr}")
        for attr in dim.localized:
            refs.localized.add(name if flat else f"{name}.{attr}")
    return refs


def _check_cube_hierarchies(c: _Checker, at: _At, cube: Mapping[str, Any],
                            links: Mapping[str, _Dimension | None]) -> None:
    """The deprecated cube-level ``hierarchies``: {dimension: [hierarchy names]}."""
    value = cube.get("hierarchies")
    if value is None:
        return
    c.warning(at, "hierarchies", "Deprecated: give 'hierarchies' in the dimension link")
    if not isinstance(value, Mapping):
        c.error(at, "hierarchies", f"Expected an object, got {_kind(value)}")
        return
    for dim_name, names in value.items():
        path = _join_path(at.key("hierarchies"), str(dim_name))
        if dim_name not in links:
            c.error(at, "hierarchies", f"Hierarchies given for dimension '{dim_name}', which "
                                       "the cube does not link", path=path)
        elif not _is_str_list(names):
            c.error(at, "hierarchies", f"Expected a list of hierarchy names, got "
                                       f"{_kind(names)}", path=path)
        else:
            dim = links[dim_name]
            if dim is not None and dim.hierarchies is not None:
                for name in names:
                    if name not in dim.hierarchies:
                        c.error(at, "hierarchies", f"Dimension '{dim_name}' has no hierarchy "
                                                   f"'{name}'", path=path)
