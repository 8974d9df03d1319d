"""Checks of model dimensions: levels, attributes and hierarchies.

Also the tolerant summary of a dimension (:class:`_Dimension`) that cube checks link
against, read before any dimension is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubus.model.metadata import TIME_LEVEL_ROLES
from kubus.model.validation.checker import (
    _At,
    _Checker,
    _Dimension,
    _is_str_list,
    _items,
    _kind,
    _name_of,
)
from kubus.model.validation.keys import ATTRIBUTE_KEYS, DIMENSION_KEYS, HIERARCHY_KEYS, LEVEL_KEYS


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
