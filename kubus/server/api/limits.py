"""Column limits of request fields, read from the OLTP tables (:mod:`kubus.oltp.schema`).

A field is bounded by the column it is stored in: string length, integer range, decimal
places and digits. The column is found by name, first in the tables a dataclass declares
(master-data records through :data:`kubus.oltp.masterdata.RECORD_TABLES`, API bodies through a
``COLUMNS_FROM`` class variable), else in any table (the strictest column of that name). So a
customer reference of 36 characters is a 400 with a message, not a database error.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

import sqlalchemy as sa

from kubus.oltp import masterdata as md
from kubus.oltp.schema import metadata
from kubus.server.api.typeschema import Limit

__all__ = ["column_limit", "oltp_limits"]

#: Numbers that name objects in URLs (``/customers/{customer_id}``): letters, digits and
#: ``_ . + -``, starting with a letter or digit.
KEY_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.+-]*$"
_URL_KEYS = {md.Customer: "customer_id", md.Material: "material_id", md.Vendor: "vendor_id"}

_INT_BOUNDS = {sa.SmallInteger: 2**15 - 1, sa.BigInteger: 2**63 - 1, sa.Integer: 2**31 - 1}


def column_limit(column: sa.Column[Any]) -> Limit | None:
    """What ``column`` accepts, or ``None`` when it is unbounded (text, dates, booleans)."""
    kind = column.type
    if isinstance(kind, sa.String) and not isinstance(kind, sa.Text) and kind.length:
        return Limit(max_length=kind.length)
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float) and kind.scale is not None:
        precision = kind.precision or 38
        return Limit(scale=kind.scale, integer_digits=precision - kind.scale)
    for base, bound in _INT_BOUNDS.items():  # most specific first: SmallInteger is an Integer
        if isinstance(kind, base):
            return Limit(minimum=-bound - 1, maximum=bound)
    return None


def _stricter(a: Limit, b: Limit) -> Limit:
    def low(x: int | None, y: int | None) -> int | None:
        return y if x is None else x if y is None else min(x, y)

    def high(x: int | None, y: int | None) -> int | None:
        return y if x is None else x if y is None else max(x, y)

    return Limit(max_length=low(a.max_length, b.max_length),
                 minimum=high(a.minimum, b.minimum), maximum=low(a.maximum, b.maximum),
                 scale=low(a.scale, b.scale), integer_digits=low(a.integer_digits,
                                                                 b.integer_digits))


@cache
def _by_name() -> dict[str, Limit]:
    found: dict[str, Limit] = {}
    for table in metadata.tables.values():
        for column in table.columns:
            limit = column_limit(column)
            if limit is not None:
                known = found.get(column.name)
                found[column.name] = limit if known is None else _stricter(known, limit)
    return found


def _tables_of(cls: type) -> tuple[sa.Table, ...]:
    table = md.RECORD_TABLES.get(cls)
    if table is not None:
        return (table,)
    declared: tuple[sa.Table, ...] = getattr(cls, "COLUMNS_FROM", ())
    return declared


@cache
def oltp_limits(cls: type, name: str) -> Limit | None:
    """The :data:`~kubus.server.api.typeschema.LimitLookup` of the API."""
    found = next((column_limit(table.c[name]) for table in _tables_of(cls) if name in table.c),
                 None) or _by_name().get(name)
    if _URL_KEYS.get(cls) == name:
        return dataclasses.replace(found or Limit(), pattern=KEY_PATTERN)
    return found
