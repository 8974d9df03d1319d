"""Checks of mappings and joins, of the model and of its cubes (slicer-api.md §3.9).

A mapping is checked against the attribute refs of its cube (:class:`_Refs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubus.model.validation.checker import _At, _Checker, _hint, _is_str_list, _join_path, _kind
from kubus.model.validation.keys import JOIN_END_KEYS, JOIN_KEYS, MAPPING_KEYS


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
