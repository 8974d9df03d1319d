"""Strict decoding of request bodies into frozen dataclasses (the services' input types),
by the same annotations and column limits :mod:`.typeschema` documents.

Every problem is collected (a JSON pointer and a message each), not only the first; a value
the database would refuse (too long, too many digits) is refused here, before any SQL runs.
Example::

    problems: list[Problem] = []
    order = decode(SalesOrderInput, {"sold_to": "C1", ...}, problems, limits=oltp_limits)
    problems      # [] or [Problem("/items/0/quantity", "expected a decimal number ...")]
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

from kubus.server.api.typeschema import (
    DATE_PATTERN,
    INT64,
    Limit,
    LimitLookup,
    Problem,
    Tagged,
    decimal_bound,
    decimal_pattern,
    field_types,
    no_limits,
    optional,
    pointer_to,
    split_annotated,
)

__all__ = ["decode", "decode_fields"]

_DATE = re.compile(DATE_PATTERN)
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _decode_decimal(value: Any, limit: Limit | None) -> Decimal:
    digits, scale = decimal_bound(limit)
    if isinstance(value, str):
        if not _DECIMAL.match(value):
            raise _Bad(f"expected a decimal number such as \"12.50\", got {value!r}")
        if not re.match(decimal_pattern(limit), value):
            raise _Bad(f"at most {digits} digits before and {scale} after the decimal "
                       f"point, got {value}")
        return Decimal(value)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _Bad("expected a decimal number as a string, e.g. \"12.50\"")
    number = Decimal(value)
    if not number.is_finite():
        raise _Bad("expected a finite decimal number")
    # Magnitude first: quantizing a huge number would itself fail.
    if abs(number) >= Decimal(10) ** digits:
        raise _Bad(f"at most {digits} digits before the decimal point, got {value}")
    if number != number.quantize(Decimal(1).scaleb(-scale)):
        raise _Bad(f"at most {scale} decimal places, got {value}")
    return number


class _Decoder:
    """Decodes values, appending every problem to ``problems``."""

    def __init__(self, problems: list[Problem], limits: LimitLookup) -> None:
        self.problems = problems
        self.limits = limits

    def value(self, tp: Any, value: Any, pointer: str, limit: Limit | None = None) -> Any:
        base, meta = split_annotated(tp)
        inner, nullable = optional(base)
        if value is None:
            if not nullable:
                self.problems.append(Problem(pointer, "must not be null"))
            return None
        tagged = next((m for m in meta if isinstance(m, Tagged)), None)
        try:
            if tagged is not None:
                return self.tagged(tagged, value, pointer)
            return self.plain(inner, value, pointer, limit)
        except _Bad as bad:
            self.problems.append(Problem(pointer, bad.message))
            return None

    def plain(self, tp: Any, value: Any, pointer: str, limit: Limit | None) -> Any:
        if tp is bool:
            if not isinstance(value, bool):
                raise _Bad("expected true or false")
            return value
        if tp is int:
            return _decode_int(value, limit)
        if tp is str:
            return _decode_str(value, limit)
        if tp is Decimal:
            return _decode_decimal(value, limit)
        if tp is date:
            return _decode_date(value)
        origin = get_origin(tp)
        if origin is Literal:
            if value not in get_args(tp):
                raise _Bad(f"expected one of {', '.join(map(str, get_args(tp)))}")
            return value
        if origin is tuple:
            return self.tuple(tp, value, pointer, limit)
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            return self.dataclass(tp, value, pointer)
        raise TypeError(f"cannot decode {tp!r}")  # pragma: no cover - a programming error

    def tuple(self, tp: Any, value: Any, pointer: str, limit: Limit | None) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Bad("expected an array")
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            kinds = [args[0]] * len(value)
        elif len(value) != len(args):
            raise _Bad(f"expected an array of {len(args)} elements")
        else:
            kinds = list(args)
        return tuple(self.value(kind, item, pointer_to(pointer, n), limit)
                     for n, (kind, item) in enumerate(zip(kinds, value, strict=True)))

    def tagged(self, tagged: Tagged, value: Any, pointer: str) -> Any:
        if not isinstance(value, dict):
            raise _Bad("expected an object")
        variants = dict(tagged.variants)
        kind = value.get(tagged.tag)
        if not isinstance(kind, str) or kind not in variants:
            raise _Bad(f"{tagged.tag} must be one of {', '.join(variants)}, got {kind!r}")
        rest = {k: v for k, v in value.items() if k != tagged.tag}
        return self.dataclass(variants[kind], rest, pointer)

    def fields(self, cls: type, value: Any, pointer: str, *, omit: frozenset[str] = frozenset(),
               known: frozenset[str] = frozenset()) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problems.append(Problem(pointer, "expected an object"))
            return {}
        names = {f.name for f in dataclasses.fields(cls)} - omit
        for key in sorted(set(value) - names - known):
            self.problems.append(Problem(pointer_to(pointer, key), "unknown member"))
        decoded: dict[str, Any] = {}
        hints = field_types(cls)
        for f in dataclasses.fields(cls):
            if f.name in omit:
                continue
            if f.name not in value:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    self.problems.append(Problem(pointer_to(pointer, f.name), "required"))
                continue
            decoded[f.name] = self.value(hints[f.name], value[f.name], pointer_to(pointer, f.name),
                                         self.limits(cls, f.name))
        return decoded

    def dataclass(self, cls: type, value: Any, pointer: str) -> Any:
        before = len(self.problems)
        decoded = self.fields(cls, value, pointer)
        return None if len(self.problems) > before else cls(**decoded)


def _decode_int(value: Any, limit: Limit | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad("expected an integer")
    low = limit.minimum if limit and limit.minimum is not None else -INT64
    high = limit.maximum if limit and limit.maximum is not None else INT64
    if not low <= value <= high:
        raise _Bad(f"expected an integer from {low} to {high}")
    return value


def _decode_str(value: Any, limit: Limit | None) -> str:
    if not isinstance(value, str):
        raise _Bad("expected a string")
    if limit and limit.max_length and len(value) > limit.max_length:
        raise _Bad(f"at most {limit.max_length} characters, got {len(value)}")
    if limit and limit.pattern and not re.match(limit.pattern, value):
        raise _Bad(f"must match {limit.pattern}, got {value!r}")
    if "\x00" in value:
        raise _Bad("NUL characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800" from JSON
        raise _Bad("not valid Unicode text (lone surrogate)") from None
    return value


def _decode_date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise _Bad("expected a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad(f"{value!r} is not a valid date") from None


def decode_fields(cls: type, value: Any, problems: list[Problem], *, pointer: str = "",
                  limits: LimitLookup = no_limits, omit: frozenset[str] = frozenset(),
                  known: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The decoded fields of ``cls`` present in the object ``value`` (``omit`` left out,
    members in ``known`` tolerated as belonging to someone else); problems are appended."""
    return _Decoder(problems, limits).fields(cls, value, pointer, omit=omit, known=known)


def decode(cls: type, value: Any, problems: list[Problem], *, pointer: str = "",
           limits: LimitLookup = no_limits) -> Any:
    """``value`` (parsed JSON) as an instance of the dataclass ``cls``, or ``None`` with the
    reasons appended to ``problems`` (all of them, not only the first)."""
    return _Decoder(problems, limits).dataclass(cls, value, pointer)
