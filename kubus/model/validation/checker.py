"""The checker every validation module reports through, and the helpers they share.

:class:`_Checker` collects the :class:`Problem` list and does the generic checks (unknown
keys, value kinds, names, duplicates); :class:`_Dimension` is what cubes learn of the
dimensions of the model.
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from kubus.model.validation.keys import CARDINALITIES, JOIN_METHODS, NONADDITIVE
from kubus.model.validation.problems import Problem, Scope, Severity

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


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


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
