"""Dataclasses as JSON Schema (OpenAPI 3.1 = JSON Schema 2020-12), from the type annotations
that :mod:`.decoding` decodes request bodies by, so the document and the validation cannot
drift.

Supported annotations: ``str``, ``int``, ``bool``, :class:`~decimal.Decimal`,
:class:`~datetime.date`, :class:`~datetime.datetime` (output only), ``X | None``,
``tuple[X, ...]``, fixed tuples ``tuple[X, Y]``, ``Literal["A", "B"]``, frozen dataclasses, and
``Annotated[X, Describe(...)]`` / ``Annotated[X, Tagged(...)]`` (a union chosen by a ``type``
member). Money and quantities are :class:`~decimal.Decimal`: decimal *strings* in responses
(``"892.50"``), strings or JSON numbers in requests (numbers are parsed as decimals, never as
binary floats). Dates are ISO strings (``"2024-03-04"``).

Column limits (string length, integer range, decimal digits) come from a :data:`LimitLookup`
the caller passes in (the API derives them from the OLTP tables), so a value the database would
reject is refused here, with a message, before any SQL runs. Example::

    schemas = Schemas(oltp_limits)
    schemas.of(SalesOrderInput, output=False)    # {"$ref": "#/components/schemas/SalesOrderInput"}
    schemas.components["OrderItemInput"]["properties"]["quantity"]
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

__all__ = ["SCHEMA_REF", "Describe", "Limit", "LimitLookup", "Problem", "Schemas", "Tagged",
           "decimal_bound", "decimal_pattern", "field_types", "no_limits", "optional",
           "pointer_to", "split_annotated"]

SCHEMA_REF = "#/components/schemas/"
INT64 = 2**63 - 1
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
DECIMAL_NOTE = ("A decimal number as a string, e.g. \"892.50\" (requests may also send a JSON "
                "number; it is read as a decimal, never as a binary float).")


@dataclass(frozen=True)
class Describe:
    """``Annotated[X, Describe("...")]``: a description for the schema."""

    text: str


@dataclass(frozen=True)
class Tagged:
    """``Annotated[Any, Tagged("type", {"currency": Currency, ...})]``: an object whose ``tag``
    member names the dataclass it is decoded into (the tag itself is not a field)."""

    tag: str
    variants: tuple[tuple[str, type], ...]


@dataclass(frozen=True)
class Limit:
    """What the database column of a field accepts."""

    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    #: Decimal places and digits before the point (``Numeric(15, 2)`` -> 2 and 13).
    scale: int | None = None
    integer_digits: int | None = None
    #: A regular expression strings must match (JSON Schema / ECMA 262 and Python alike).
    pattern: str | None = None


#: ``(dataclass, field name) -> Limit or None``.
LimitLookup = Callable[[type, str], Limit | None]


class Problem(NamedTuple):
    """One thing wrong with a request body: a JSON pointer (RFC 6901) and a message."""

    pointer: str
    message: str


def no_limits(cls: type, name: str) -> Limit | None:
    return None


@cache
def field_types(cls: type) -> dict[str, Any]:
    """The resolved annotations of a dataclass's fields (``Annotated`` kept)."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def split_annotated(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(tp) is typing.Annotated:
        base, *meta = get_args(tp)
        return base, tuple(meta)
    return tp, ()


def optional(tp: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None``, else ``(tp, False)``."""
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return args[0], True
    return tp, False


def pointer_to(base: str, part: str | int) -> str:
    text = str(part).replace("~", "~0").replace("/", "~1")
    return f"{base}/{text}"


# --- schemas --------------------------------------------------------------------------------


class Schemas:
    """Builds JSON Schemas; dataclasses become named components (``#/components/schemas/X``).

    ``output`` schemas describe responses (every field present, decimals as strings);
    input schemas describe request bodies (fields with defaults optional, no other members).
    """

    def __init__(self, limits: LimitLookup = no_limits) -> None:
        self.components: dict[str, dict[str, Any]] = {}
        self.limits = limits
        self._owners: dict[str, tuple[type, bool]] = {}

    def of(self, tp: Any, *, output: bool, limit: Limit | None = None) -> dict[str, Any]:
        base, meta = split_annotated(tp)
        described = next((m.text for m in meta if isinstance(m, Describe)), None)
        tagged = next((m for m in meta if isinstance(m, Tagged)), None)
        inner, nullable = optional(base)
        if tagged is not None:
            schema = self._tagged(tagged, output=output)
        else:
            schema = self._plain(inner, output=output, limit=limit)
        if nullable:
            if "$ref" in schema or "oneOf" in schema or "type" not in schema:
                schema = {"anyOf": [schema, {"type": "null"}]}
            else:
                kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
                schema = {**schema, "type": [*kinds, "null"]}
        if described:
            schema = {**schema, "description": described}
        return schema

    def _plain(self, tp: Any, *, output: bool, limit: Limit | None) -> dict[str, Any]:
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer",
                    "minimum": limit.minimum if limit and limit.minimum is not None else -INT64,
                    "maximum": limit.maximum if limit and limit.maximum is not None else INT64}
        if tp is str:
            schema: dict[str, Any] = {"type": "string"}
            if limit and limit.max_length:
                schema["maxLength"] = limit.max_length
            if limit and limit.pattern:
                schema["pattern"] = limit.pattern
            return schema
        if tp is Decimal:
            return self._decimal(output=output, limit=limit)
        if tp is date:
            return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        if tp is datetime:
            # No "format": date-time (RFC 3339 needs an offset; the change log has none).
            return {"type": "string", "description": "ISO 8601 date and time as the database "
                                                    "recorded it, without offset"}
        origin = get_origin(tp)
        if origin is Literal:
            return {"type": "string", "enum": list(get_args(tp))}
        if origin is tuple:
            args = get_args(tp)
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.of(args[0], output=output, limit=limit)}
            return {"type": "array", "prefixItems": [self.of(a, output=output) for a in args],
                    "minItems": len(args), "maxItems": len(args)}
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            return self._component(tp, output=output)
        raise TypeError(f"no JSON Schema for {tp!r}")

    @staticmethod
    def _decimal(*, output: bool, limit: Limit | None) -> dict[str, Any]:
        if output:
            return {"type": "string", "pattern": DECIMAL_PATTERN, "description": DECIMAL_NOTE}
        return {"type": ["string", "number"], "pattern": decimal_pattern(limit),
                "description": DECIMAL_NOTE}

    def _component(self, cls: type, *, output: bool) -> dict[str, Any]:
        name = cls.__name__
        owner = self._owners.setdefault(name, (cls, output))
        if owner != (cls, output):
            raise TypeError(f"schema component {name} is {owner}, not {(cls, output)}: "
                            "one class per name, used either in requests or in responses")
        if name not in self.components:
            self.components[name] = {}  # placeholder: recursion ends here
            self.components[name] = self.object_schema(cls, output=output)
        return {"$ref": SCHEMA_REF + name}

    def object_schema(self, cls: type, *, output: bool, omit: frozenset[str] = frozenset()
                      ) -> dict[str, Any]:
        """The object schema of a dataclass (without naming it a component)."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f in dataclasses.fields(cls):
            if f.name in omit:
                continue
            # Responses show what the database holds: column limits describe requests only.
            limit = None if output else self.limits(cls, f.name)
            properties[f.name] = self.of(field_types(cls)[f.name], output=output, limit=limit)
            has_default = (f.default is not dataclasses.MISSING
                           or f.default_factory is not dataclasses.MISSING)
            if output or not has_default:
                required.append(f.name)
        schema: dict[str, Any] = {"type": "object", "properties": properties,
                                  "additionalProperties": False}
        if required:
            schema["required"] = required
        doc = (cls.__doc__ or "").strip()
        if doc and not doc.startswith(f"{cls.__name__}("):  # not the generated signature
            schema["description"] = " ".join(doc.split("\n\n")[0].split())
        return schema

    def _tagged(self, tagged: Tagged, *, output: bool) -> dict[str, Any]:
        variants = []
        for value, cls in tagged.variants:
            schema = self.object_schema(cls, output=output)
            schema["properties"] = {tagged.tag: {"const": value}, **schema["properties"]}
            schema["required"] = [tagged.tag, *schema.get("required", [])]
            schema["title"] = value
            variants.append(schema)
        return {"oneOf": variants}


# --- decoding -------------------------------------------------------------------------------


#: Decimals without a column limit: at most this many digits before and after the point.
_DEFAULT_DECIMAL = Limit(scale=10, integer_digits=20)


def decimal_bound(limit: Limit | None) -> tuple[int, int]:
    bound = limit if limit and limit.scale is not None else _DEFAULT_DECIMAL
    return bound.integer_digits or 0, bound.scale or 0


def decimal_pattern(limit: Limit | None) -> str:
    """The pattern of a decimal string within ``limit`` (schema and decoder share it)."""
    digits, scale = decimal_bound(limit)
    fraction = f"(\\.[0-9]{{1,{scale}}})?" if scale else ""
    return f"^-?[0-9]{{1,{digits}}}{fraction}$"
