"""Validation of a Cubes-format model description, reporting every problem at once.

:func:`validate_model` checks the raw JSON (after :func:`kubus.config.model_files.read_model`)
against the Cubes 1.1 schema (``additionalProperties: false``, slicer-api.md §3.1-§3.6) and
against what the loader and the SQL backend need: references between objects, functions,
joins, mappings and expressions. It never stops at the first problem. Each :class:`Problem`
says where it is twice: Cubes-style (scope, object, property) for ``slicer model validate``, and
as a ``path`` into the JSON such as ``cubes[0].aggregates[2].function``.

Severities: ``error`` (the model can not be used), ``warning`` (it can, but something is
probably wrong or ignored) and ``default`` (a default is applied; Cubes' three notes of §4.2).

Example::

    problems = validate_model(read_model("model.json"))
    print(format_report(problems, show_defaults=True, show_warnings=True))

Why over 800 lines: the key tables and the checks of every model object were written as one
unit. They split cleanly along the ``# ---`` sections (dimensions, cubes, mappings and joins)
into sibling modules if it grows further.
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeGuard

from kubus.model.metadata import (
    AGGREGATE_FUNCTIONS,
    POST_AGGREGATE_FUNCTIONS,
    TIME_LEVEL_ROLES,
)

__all__ = ["Problem", "format_report", "has_errors", "validate_model"]

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


# --- what each object accepts (slicer-api.md §3.1-§3.6, §3.9) -----------------------------------
# A key's kind says how its value is checked; "*" values are checked by the object's own code.

_DESCRIPTIVE = {"label": "str", "description": "str", "info": "object"}
MODEL_KEYS = {
    "name": "str", **_DESCRIPTIVE, "provider": "str", "browser_options": "object",
    "cubes": "*", "dimensions": "*", "schema": "str", "store": "str", "mappings": "*",
    "joins": "*",
}
#: Accepted by the 1.1 loader but not by its schema.
MODEL_LOADER_KEYS = {"locale": "str", "options": "object", "public_dimensions": "list"}
CUBE_KEYS = {
    "name": "*", **_DESCRIPTIVE, "category": "str", "fact": "str", "key": "str", "store": "str",
    "browser_options": "object", "measures": "*", "aggregates": "*", "details": "*",
    "implicit_aggregates": "bool", "dimensions": "*", "hierarchies": "*", "mappings": "*",
    "joins": "*", "locale": "str", "browser": "str", "nonadditive": "nonadditive",
}
LINK_KEYS = {
    "name": "*", "hierarchies": "str-list", "exclude_hierarchies": "str-list",
    "default_hierarchy_name": "str", "cardinality": "cardinality",
    "nonadditive": "nonadditive", "alias": "*", "template": "str",
}
DIMENSION_KEYS = {
    "name": "*", **_DESCRIPTIVE, "category": "str", "role": "str", "cardinality": "cardinality",
    "nonadditive": "nonadditive", "levels": "*", "attributes": "*", "hierarchies": "*",
    "hierarchy": "str-list", "default_hierarchy_name": "str", "template": "str", "key": "str",
    "label_attribute": "str", "order_attribute": "str", "order": "order",
}
LEVEL_KEYS = {
    "name": "*", **_DESCRIPTIVE, "attributes": "*", "key": "str", "label_attribute": "str",
    "order_attribute": "str", "order": "order", "cardinality": "cardinality", "role": "str",
    "nonadditive": "nonadditive",
}
HIERARCHY_KEYS = {"name": "*", **_DESCRIPTIVE, "levels": "str-list"}
ATTRIBUTE_KEYS = {
    "name": "*", **_DESCRIPTIVE, "format": "str", "order": "order", "missing_value": "scalar",
    "locales": "str-list", "expression": "expression",
}
MEASURE_KEYS = {
    "name": "*", **_DESCRIPTIVE, "format": "str", "order": "order", "missing_value": "scalar",
    "expression": "expression", "aggregates": "str-list", "formula": "str",
    "nonadditive": "nonadditive", "window_size": "positive-int",
}
AGGREGATE_KEYS = {
    "name": "*", **_DESCRIPTIVE, "format": "str", "order": "order", "missing_value": "scalar",
    "measure": "str", "function": "str", "expression": "expression", "formula": "str",
    "nonadditive": "nonadditive", "window_size": "positive-int",
}
JOIN_KEYS = {"master": "*", "detail": "*", "alias": "str", "method": "join-method",
             "name": "str"}
JOIN_END_KEYS = {"schema": "str", "table": "str", "column": "*"}
MAPPING_KEYS = {"schema": "str", "table": "str", "column": "str", "extract": "str",
                "function": "str"}

CARDINALITIES = ("tiny", "low", "medium", "high")
NONADDITIVE = ("none", "all", "any", "time")
JOIN_METHODS = ("match", "master", "detail")
FUNCTIONS = (*AGGREGATE_FUNCTIONS, *POST_AGGREGATE_FUNCTIONS)
#: ``identity`` in a measure's ``aggregates`` yields an aggregate named like the measure.
MEASURE_AGGREGATES = (*FUNCTIONS, "identity")
PROVIDERS = ("default", "static", "slicer")

_IDENTIFIER = re.compile(r"\w+")
# Characters that break refs (.), parameters (| , :), URLs (/) or cut strings (@ ! ;).
_BREAKING = re.compile(r"[.|,:/@!;\s]")


# --- small helpers ------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return "null" if value is None else type(value).__name__


def _join_path(base: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    if re.fullmatch(r"[A-Za-z_]\w*", key):
        return f"{base}.{key}" if base else key
    return f"{base}[{json.dumps(key)}]"


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list | tuple) else []


def _name_of(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping) and isinstance(item.get("name"), str):
        name: str = item["name"]
        return name
    return None


def _expression_checker() -> Callable[[str], str | None] | None:
    """``kubus.model.expressions.parse`` as "error message or None", if that module exists."""
    try:
        module = importlib.import_module("kubus.model.expressions")
    except ModuleNotFoundError as exc:
        if exc.name in ("kubus.model.expressions", "kubus.model", "kubus"):
            return None
        raise
    parse = getattr(module, "parse", None)
    error = getattr(module, "ExpressionError", None)
    if not callable(parse) or not (isinstance(error, type) and issubclass(error, Exception)):
        return None

    def check(text: str) -> str | None:
        try:
            parse(text)
        except error as exc:
            return str(exc) or type(exc).__name__
        return None

    return check


@dataclass(frozen=True)
class _At:
    """The object problems are reported on."""

    scope: Scope
    object: str | None
    path: str

    def key(self, key: str | int) -> str:
        return _join_path(self.path, key)


@dataclass
class _Dimension:
    """What cubes need to know of a model dimension (``None``: unknown, e.g. templated)."""

    name: str
    levels: list[tuple[str, list[str]]] | None
    hierarchies: list[str] | None
    localized: set[str] = field(default_factory=set)
    expressions: set[str] = field(default_factory=set)

    def refs(self, name: str) -> list[str] | None:
        """Attribute refs of this dimension linked as ``name`` (slicer-api.md §3.4)."""
        if self.levels is None:
            return None
        attributes = [a for _, attrs in self.levels for a in attrs]
        if len(self.levels) == 1 and len(attributes) == 1:
            return [name]
        return [f"{name}.{a}" for a in attributes]


def _dimension_summary(dim: Any) -> _Dimension | None:
    """Tolerant reading of a model dimension for cross-references; problems come elsewhere."""
    if isinstance(dim, str):
        return _Dimension(dim, [(dim, [dim])], ["default"])
    if not isinstance(dim, Mapping) or not isinstance(dim.get("name"), str):
        return None
    name: str = dim["name"]
    levels = _levels_of(dim)
    if levels is None:
        return _Dimension(name, None, None)
    hierarchies = ["default"]
    if isinstance(dim.get("hierarchies"), list):
        hierarchies = [n for n in map(_name_of, dim["hierarchies"]) if n]
    summary = _Dimension(name, levels, hierarchies)
    for level in _items(dim.get("levels")) or [(0, dim)]:
        for _, attr in _items(level[1].get("attributes") if isinstance(level[1], Mapping)
                              else None):
            if isinstance(attr, Mapping) and isinstance(attr.get("name"), str):
                if attr.get("locales"):
                    summary.localized.add(attr["name"])
                if attr.get("expression"):
                    summary.expressions.add(attr["name"])
    return summary


def _levels_of(dim: Mapping[str, Any]) -> list[tuple[str, list[str]]] | None:
    """Level names with their attribute names, as the loader expands them (§3.3, §3.4)."""
    if "levels" in dim:
        if not isinstance(dim["levels"], list):
            return None
        return [_level_summary(level) for level in dim["levels"] if _name_of(level)]
    if "template" in dim:
        return None  # levels come from the template
    name = str(dim["name"])
    if isinstance(dim.get("attributes"), list):
        return [(name, [n for n in map(_name_of, dim["attributes"]) if n])]
    return [(name, [name])]


def _level_summary(level: Any) -> tuple[str, list[str]]:
    name = _name_of(level) or ""
    attributes = level.get("attributes") if isinstance(level, Mapping) else None
    if isinstance(attributes, list) and attributes:
        return name, [n for n in map(_name_of, attributes) if n]
    return name, [name]


# --- the checker --------------------------------------------------------------------------------


class _Checker:
    def __init__(self, known_dimensions: Collection[str]) -> None:
        self.problems: list[Problem] = []
        self.known_dimensions = set(known_dimensions)
        self.dimensions: dict[str, _Dimension] = {}
        self.model_mappings: Mapping[str, Any] = {}
        self.has_model_joins = False
        self.join_templates: dict[str, Mapping[str, Any]] = {}
        self.expression = _expression_checker()

    # -- reporting -------------------------------------------------------------------------
    def add(self, severity: Severity, at: _At, prop: str | None, message: str,
            path: str | None = None) -> None:
        where = path if path is not None else (at.key(prop) if prop else at.path)
        self.problems.append(Problem(severity, at.scope, at.object, prop, message, where))

    def error(self, at: _At, prop: str | None, message: str, path: str | None = None) -> None:
        self.add("error", at, prop, message, path)

    def warning(self, at: _At, prop: str | None, message: str, path: str | None = None) -> None:
        self.add("warning", at, prop, message, path)

    # -- generic checks --------------------------------------------------------------------
    def keys(self, at: _At, obj: Mapping[str, Any], spec: Mapping[str, str],
             loader_only: Mapping[str, str] | None = None) -> None:
        """Unknown keys and the types of the known ones."""
        for key, value in obj.items():
            kind = spec.get(key) or (loader_only or {}).get(key)
            if kind is None:
                close = difflib.get_close_matches(str(key), list(spec), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.error(at, str(key), f"Unknown property '{key}'{hint}")
                continue
            if loader_only and key in loader_only and key not in spec:
                note = " and ignored" if key == "public_dimensions" else ""
                self.warning(at, key, f"Property '{key}' is accepted by the loader but not "
                                      f"part of the Cubes model schema{note}")
            self.value(at, key, value, kind)

    def value(self, at: _At, key: str, value: Any, kind: str) -> None:
        expected = _KIND_CHECKS.get(kind)
        if expected is not None and not expected[1](value):
            self.error(at, key, f"Expected {expected[0]}, got {_kind(value)} {value!r}"
                       if not isinstance(value, Mapping | list) else
                       f"Expected {expected[0]}, got {_kind(value)}")
        elif kind == "expression" and isinstance(value, str) and self.expression:
            message = self.expression(value)
            if message:
                where = "" if value in message else f" (in {value!r})"
                self.error(at, key, f"Invalid expression: {message}{where}")

    def name(self, at: _At, obj: Any, what: str, *, strict: bool) -> str | None:
        """The name of ``obj`` (a string, or an object's ``name``), checked."""
        if isinstance(obj, str):
            return self.identifier(at, None, obj, what, strict=strict)
        return self.identifier(at, "name", obj.get("name"), what, strict=strict)

    def identifier(self, at: _At, prop: str | None, value: Any, what: str, *,
                   strict: bool) -> str | None:
        """``value`` if it is a usable name. ``strict`` names (dimension, hierarchy, level)
        appear in cut and drilldown strings, which accept only ``\\w+``."""
        if value is None:
            self.error(at, prop, f"{what.capitalize()} has no name")
            return None
        if not isinstance(value, str):
            self.error(at, prop, f"Expected a string name, got {_kind(value)} {value!r}")
            return None
        if not value:
            self.error(at, prop, f"{what.capitalize()} name is empty")
        elif strict and not _IDENTIFIER.fullmatch(value):
            self.error(at, prop, f"Invalid {what} name '{value}': use letters, digits and "
                                 "underscores only (it appears in cut and drilldown strings)")
        elif _BREAKING.search(value):
            self.error(at, prop, f"Invalid {what} name '{value}': it must not contain "
                                 "whitespace or any of . | , : / @ ! ;")
        elif not _IDENTIFIER.fullmatch(value):
            self.warning(at, prop, f"{what.capitalize()} name '{value}' is not an identifier "
                                   "and can not be used in expressions")
        return value

    def duplicates(self, scope: Scope, what: str,
                   named: Iterable[tuple[str, str | None]]) -> None:
        """An error at each repeated name; ``named`` is (path, name) pairs in order."""
        first: dict[str, str] = {}
        for path, name in named:
            if name is None:
                continue
            if name in first:
                self.error(_At(scope, name, path), None,
                           f"Duplicate {what} '{name}' (first defined at {first[name]})")
            first.setdefault(name, path)

    def list_of(self, at: _At, obj: Mapping[str, Any], key: str) -> list[tuple[int, Any]]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(at, key, f"Expected a list, got {_kind(value)}")
            return []
        return list(enumerate(value))


def _is_str_list(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_order(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("asc", "desc"))


_KIND_CHECKS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "str": ("a string", lambda v: isinstance(v, str)),
    "object": ("an object", lambda v: isinstance(v, Mapping)),
    "list": ("a list", lambda v: isinstance(v, list)),
    "bool": ("a boolean", lambda v: isinstance(v, bool)),
    "str-list": ("a list of strings", _is_str_list),
    "scalar": ("a string, number, boolean or null",
               lambda v: v is None or isinstance(v, str | int | float | bool)),
    "positive-int": ("a positive integer",
                     lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0),
    "order": ("'asc' or 'desc'", _is_order),
    "cardinality": ("one of " + ", ".join(CARDINALITIES), lambda v: v in CARDINALITIES),
    "nonadditive": ("null or one of " + ", ".join(NONADDITIVE),
                    lambda v: v is None or v in NONADDITIVE),
    "join-method": ("one of " + ", ".join(JOIN_METHODS), lambda v: v in JOIN_METHODS),
    "expression": ("an expression string", lambda v: isinstance(v, str)),
}


# --- model --------------------------------------------------------------------------------------


def _check_model(c: _Checker, raw: Any) -> None:
    root = _At("model", None, "")
    if not isinstance(raw, Mapping):
        c.error(root, None, f"Expected the model to be a JSON object, got {_kind(raw)}")
        return
    c.keys(root, raw, MODEL_KEYS, MODEL_LOADER_KEYS)
    provider = raw.get("provider")
    if isinstance(provider, str) and provider not in PROVIDERS:
        c.warning(root, "provider", f"Model provider '{provider}' is not built into Kubus "
                                    f"(known: {', '.join(PROVIDERS)})")
    dims = c.list_of(root, raw, "dimensions")
    for i, dim in dims:
        summary = _dimension_summary(dim)
        if summary is not None:
            c.dimensions.setdefault(summary.name, summary)
        if isinstance(dim, str):
            # 1.1 reports this as a default and then crashes (FIX 22): a string is {"name": s}.
            c.add("default", root, "dimensions", f"Dimension '{dim}' is not described, "
                  "creating flat single-attribute dimension", path=f"dimensions[{i}]")
    cubes = c.list_of(root, raw, "cubes")
    if isinstance(raw.get("mappings"), Mapping):
        c.model_mappings = raw["mappings"]
    _check_mappings(c, root, raw.get("mappings"), _Refs(None, set(), set()))
    _check_model_joins(c, root, raw, cubes)
    for i, cube in cubes:
        _check_cube(c, cube, f"cubes[{i}]")
    c.duplicates("cube", "cube", ((f"cubes[{i}]", _name_of(cube)) for i, cube in cubes))
    for i, dim in dims:
        _check_dimension(c, dim, f"dimensions[{i}]")
    c.duplicates("dimension", "dimension",
                 ((f"dimensions[{i}]", _name_of(dim)) for i, dim in dims))


def _check_model_joins(c: _Checker, root: _At, raw: Mapping[str, Any],
                       cubes: list[tuple[int, Any]]) -> None:
    """Model joins are named templates for cube joins (slicer-api.md §3.8)."""
    joins = [(f"joins[{i}]", _check_join(c, join, f"joins[{i}]"))
             for i, join in c.list_of(root, raw, "joins")]
    c.has_model_joins = bool(joins)
    if not any(isinstance(cube, Mapping) and cube.get("joins") for _, cube in cubes):
        return
    for path, join in joins:
        if join is None:
            continue
        name = join.get("name")
        at = _At("join", _join_label(join), path)
        if not isinstance(name, str):
            c.error(at, "name", "Model joins need a unique name when cubes have joins "
                                "(they are templates for the cube joins)")
        elif name in c.join_templates:
            c.error(at, "name", f"Duplicate model join name '{name}'")
        else:
            c.join_templates[name] = join


# --- dimensions ---------------------------------------------------------------------------------


def _check_dimension(c: _Checker, dim: Any, path: str) -> None:
    if isinstance(dim, str):
        c.identifier(_At("dimension", dim, path), None, dim, "dimension", strict=True)
        return
    if not isinstance(dim, Mapping):
        c.error(_At("dimension", None, path), None,
                f"Expected a dimension object or name, got {_kind(dim)}")
        return
    at = _At("dimension", _name_of(dim), path)
    name = c.name(at, dim, "dimension", strict=True)
    c.keys(at, dim, DIMENSION_KEYS)
    template = dim.get("template")
    templated = isinstance(template, str)
    if templated and template == name:
        c.error(at, "template", "A dimension can not be its own template")
    elif templated and template not in c.dimensions and template not in c.known_dimensions:
        c.error(at, "template", f"Template dimension '{template}' is not defined")
    if "default_hierarchy_name" not in dim and not templated:
        c.add("default", at, None, "No default hierarchy name specified, using first one")
    if "levels" in dim and "attributes" in dim:
        c.error(at, None, "Both levels and attributes specified")
    elif "levels" not in dim and "attributes" not in dim and not templated:
        c.add("default", at, None, "Neither levels nor attributes specified, creating flat "
                                   "dimension without details")
    if "hierarchy" in dim and "hierarchies" in dim:
        c.error(at, None, "Both 'hierarchy' and 'hierarchies' specified. Use only one")
    role = dim.get("role")
    if isinstance(role, str) and role != "time":
        c.warning(at, "role", f"Role '{role}' has no effect; the only recognised role is 'time'")
    levels = _check_levels(c, at, dim, name)
    _check_hierarchies(c, at, dim, None if levels is None else [n for n, _ in levels])


def _check_levels(c: _Checker, at: _At, dim: Mapping[str, Any],
                  name: str | None) -> list[tuple[str, list[str]]] | None:
    """Levels with attribute names; checks levels, attributes and level-ish dimension keys."""
    attributes: list[tuple[str, str | None]] = []
    levels: list[tuple[str, list[str]]] = []
    if "levels" in dim:
        if not isinstance(dim["levels"], list):
            c.list_of(at, dim, "levels")  # reports the type
            return None
        named: list[tuple[str, str | None]] = []
        for i, level in c.list_of(at, dim, "levels"):
            checked = _check_level(c, level, at.key("levels") + f"[{i}]", attributes)
            named.append((at.key("levels") + f"[{i}]", checked[0] if checked else None))
            if checked is not None:
                levels.append(checked)
        c.duplicates("level", "level", named)
        for key in ("key", "label_attribute", "order_attribute", "order"):
            if key in dim:
                c.warning(at, key, f"'{key}' is ignored because the dimension has levels; "
                                   "set it on the level")
    elif "attributes" in dim or "template" not in dim:
        for i, item in c.list_of(at, dim, "attributes"):
            path = at.key("attributes") + f"[{i}]"
            attributes.append((path, _check_attribute(c, item, path)))
        if not attributes and name:
            attributes.append((at.path, name))
        levels = [(name or "", [n for _, n in attributes if n])]
        _check_level_attributes(c, at, dim, levels[0][1])
    else:
        return None  # levels come from the template
    c.duplicates("attribute", "attribute", attributes)
    return levels


def _check_level(c: _Checker, level: Any, path: str,
                 attributes: list[tuple[str, str | None]]) -> tuple[str, list[str]] | None:
    if isinstance(level, str):
        c.identifier(_At("level", level, path), None, level, "level", strict=True)
        attributes.append((path, level))
        return level, [level]
    if not isinstance(level, Mapping):
        c.error(_At("level", None, path), None,
                f"Expected a level object or name, got {_kind(level)}")
        return None
    at = _At("level", _name_of(level), path)
    name = c.name(at, level, "level", strict=True)
    c.keys(at, level, LEVEL_KEYS)
    own: list[tuple[str, str | None]] = []
    for i, item in c.list_of(at, level, "attributes"):
        item_path = at.key("attributes") + f"[{i}]"
        own.append((item_path, _check_attribute(c, item, item_path)))
    if not own and name:
        own.append((path, name))  # default: one attribute named like the level
    attributes.extend(own)
    names = [n for _, n in own if n]
    _check_level_attributes(c, at, level, names)
    role = level.get("role")
    if isinstance(role, str) and role not in TIME_LEVEL_ROLES:
        c.warning(at, "role", f"Level role '{role}' is not a time role "
                              f"({', '.join(sorted(TIME_LEVEL_ROLES))})")
    return (name or ""), names


def _check_level_attributes(c: _Checker, at: _At, level: Mapping[str, Any],
                            names: list[str]) -> None:
    for key in ("key", "label_attribute", "order_attribute"):
        value = level.get(key)
        if isinstance(value, str) and names and value not in names:
            c.error(at, key, f"{key.replace('_', ' ').capitalize()} '{value}' is not an "
                             f"attribute of the level (attributes: {', '.join(names)})")


def _check_attribute(c: _Checker, item: Any, path: str) -> str | None:
    """A dimension attribute or cube detail; returns its name."""
    if isinstance(item, str):
        return c.identifier(_At("attribute", item, path), None, item, "attribute",
                            strict=False)
    if not isinstance(item, Mapping):
        c.error(_At("attribute", None, path), None,
                f"Expected an attribute object or name, got {_kind(item)}")
        return None
    at = _At("attribute", _name_of(item), path)
    name = c.name(at, item, "attribute", strict=False)
    c.keys(at, item, ATTRIBUTE_KEYS)
    return name


def _check_hierarchies(c: _Checker, at: _At, dim: Mapping[str, Any],
                       levels: list[str] | None) -> None:
    # (hierarchy, property holding its level names or None for the shorthand, level names)
    hierarchies: list[tuple[_At, str | None, Any]] = []
    if isinstance(dim.get("hierarchy"), list):
        hat = _At("hierarchy", "default", at.key("hierarchy"))
        hierarchies.append((hat, None, dim["hierarchy"]))
    for i, hierarchy in c.list_of(at, dim, "hierarchies"):
        hat = _At("hierarchy", _name_of(hierarchy), at.key("hierarchies") + f"[{i}]")
        if not isinstance(hierarchy, Mapping):
            c.error(hat, None, f"Expected a hierarchy object, got {_kind(hierarchy)}")
            continue
        c.name(hat, hierarchy, "hierarchy", strict=True)
        c.keys(hat, hierarchy, HIERARCHY_KEYS)
        if "levels" not in hierarchy:
            c.error(hat, "levels", "Hierarchy has no levels")
        hierarchies.append((hat, "levels", hierarchy.get("levels")))
    c.duplicates("hierarchy", "hierarchy", ((h.path, h.object) for h, _, _ in hierarchies))
    used: set[str] = set()
    for hat, prop, names in hierarchies:
        if not _is_str_list(names):
            continue
        names_path = hat.key(prop) if prop else hat.path
        if not names:
            c.error(hat, prop, "Hierarchy has no levels", path=names_path)
        for j, level in enumerate(names):
            if levels is not None and level not in levels:
                c.error(hat, prop, f"Level '{level}' is not a level of the dimension "
                                   f"(levels: {', '.join(levels)})", path=f"{names_path}[{j}]")
            elif level in names[:j]:
                c.error(hat, prop, f"Level '{level}' is repeated", path=f"{names_path}[{j}]")
            used.add(level)
    if hierarchies and levels is not None:
        given = _items(dim.get("levels"))
        for level in levels:
            if level not in used:
                index = next((i for i, item in given if _name_of(item) == level), None)
                c.warning(at, "levels", f"Level '{level}' is in no hierarchy and is dropped",
                          path=at.path if index is None else at.key("levels") + f"[{index}]")
    _check_default_hierarchy(c, at, dim, [h.object or "" for h, _, _ in hierarchies])


def _check_default_hierarchy(c: _Checker, at: _At, dim: Mapping[str, Any],
                             names: list[str]) -> None:
    default = dim.get("default_hierarchy_name")
    names = names or ["default"]
    if isinstance(default, str) and "template" not in dim and default not in names:
        c.error(at, "default_hierarchy_name", f"Default hierarchy '{default}' is not a "
                                              f"hierarchy of the dimension ({', '.join(names)})")


# --- cubes --------------------------------------------------------------------------------------


@dataclass
class _Refs:
    """Attribute refs of a cube: all (``None`` if unknown), localized, with expressions."""

    all: set[str] | None
    localized: set[str]
    expressions: set[str]

    def knows(self, ref: str) -> bool:
        if self.all is None or ref in self.all:
            return True
        base, _, _ = ref.rpartition(".")
        return base in self.localized


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


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


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


# --- mappings and joins (slicer-api.md §3.9) ----------------------------------------------------


def _check_mappings(c: _Checker, owner: _At, mappings: Any, refs: _Refs) -> None:
    if mappings is None:
        return
    if not isinstance(mappings, Mapping):
        c.error(owner, "mappings", f"Expected an object, got {_kind(mappings)}")
        return
    base = owner.key("mappings")
    for ref, value in mappings.items():
        at = _At("mapping", str(ref), _join_path(base, str(ref)))
        if isinstance(value, str):
            parts = value.split(".")
            if len(parts) > 3 or not all(parts):
                c.error(at, None, "Expected 'column', 'table.column' or "
                                  f"'schema.table.column', got {value!r}")
        elif isinstance(value, Mapping):
            c.keys(at, value, MAPPING_KEYS)
            if not isinstance(value.get("column"), str):
                c.error(at, "column", "A mapping object needs a column")
        else:
            c.error(at, None, "Expected a column string or an object {schema, table, column, "
                              f"extract, function}}, got {_kind(value)}")
        if ref in refs.expressions:
            c.error(at, None, f"Attribute '{ref}' has an expression and must not be mapped")
        elif not refs.knows(str(ref)):
            c.warning(at, None, f"The cube has no attribute '{ref}'; the mapping is not used")


def _end_table(end: Any) -> str | None:
    """The (schema-qualified) table of a join end, ``None`` for the fact table."""
    if isinstance(end, str):
        table, _, _ = end.rpartition(".")
        return table or None
    if isinstance(end, Mapping) and isinstance(end.get("table"), str):
        schema = end.get("schema")
        return f"{schema}.{end['table']}" if isinstance(schema, str) else str(end["table"])
    return None


def _join_label(join: Mapping[str, Any]) -> str | None:
    for value in (join.get("alias"), join.get("name"), _end_table(join.get("detail"))):
        if isinstance(value, str):
            return value
    return None


def _check_join_end(c: _Checker, at: _At, end: Any, prop: str) -> int | None:
    """Checks ``master``/``detail``; returns its number of key columns."""
    if isinstance(end, str):
        parts = end.split(".")
        if len(parts) <= 3 and all(parts):
            return 1
        c.error(at, prop, f"Expected 'column', 'table.column' or 'schema.table.column', "
                          f"got {end!r}")
        return None
    if not isinstance(end, Mapping):
        c.error(at, prop, f"Expected a string or an object {{schema, table, column}}, got "
                          f"{_kind(end)}")
        return None
    for key in end:
        if key not in JOIN_END_KEYS:
            c.error(at, prop, f"Unknown property '{key}'{_hint(str(key), JOIN_END_KEYS)}",
                    path=_join_path(at.key(prop), str(key)))
    column = end.get("column")
    if isinstance(column, str):
        return 1
    if _is_str_list(column) and column:
        return len(column)
    c.error(at, prop, "A join end needs a column (or a list of columns)",
            path=at.key(prop) + ".column")
    return None


def _check_join(c: _Checker, given: Any, path: str) -> Mapping[str, Any] | None:
    """One join in either form; returns it as an object for template merging."""
    if isinstance(given, list | tuple):
        if not 2 <= len(given) <= 4:
            c.error(_At("join", None, path), None, "A join list must be "
                                                   "[master, detail, alias?, method?]")
            return None
        join: Mapping[str, Any] = dict(zip(("master", "detail", "alias", "method"), given,
                                           strict=False))
    elif isinstance(given, Mapping):
        join = given
    else:
        c.error(_At("join", None, path), None, f"Expected a join object, got {_kind(given)}")
        return None
    at = _At("join", _join_label(join), path)
    c.keys(at, join, JOIN_KEYS)
    sizes = [_check_join_end(c, at, join[end], end) for end in ("master", "detail")
             if end in join]
    if "detail" in join and _end_table(join["detail"]) is None and sizes[-1] is not None:
        c.error(at, "detail", "A join detail must name its table ('table.column')")
    if len(sizes) == 2 and None not in sizes and sizes[0] != sizes[1]:
        c.error(at, None, f"Master has {sizes[0]} key column(s) but detail has {sizes[1]}")
    return join


def _check_cube_joins(c: _Checker, at: _At, cube: Mapping[str, Any]) -> None:
    joins = c.list_of(at, cube, "joins")
    if not joins:
        if c.has_model_joins:
            c.warning(at, "joins", "The model's joins are not used: they are only templates "
                                   "for cubes that have joins of their own")
        return
    targets: list[tuple[str, str | None]] = []
    for i, given in joins:
        path = at.key("joins") + f"[{i}]"
        join = _check_join(c, given, path)
        if join is None:
            continue
        name = join.get("name")
        template = c.join_templates.get(name) if isinstance(name, str) else None
        if template is not None:
            join = {**template, **join}
        jat = _At("join", _join_label(join), path)
        for end in ("master", "detail"):
            if end not in join:
                c.error(jat, end, f"The join has no {end}")
        alias = join.get("alias")
        targets.append((path, alias if isinstance(alias, str) else _end_table(join.get("detail"))))
    first: dict[str, str] = {}
    for path, target in targets:
        if target is None:
            continue
        if target in first:
            c.error(_At("join", target, path), "alias", f"Table '{target}' is joined twice "
                    f"(first at {first[target]}); give one of the joins an alias")
        first.setdefault(target, path)


def validate_model(raw: Mapping[str, Any], *,
                   known_dimensions: Collection[str] = ()) -> list[Problem]:
    """Every problem of the model description ``raw``, in document order.

    ``known_dimensions`` names dimensions defined by other models of the workspace, which
    cubes of this model may link to.
    """
    checker = _Checker(known_dimensions)
    _check_model(checker, raw)
    return checker.problems


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
