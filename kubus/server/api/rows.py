"""Small helpers the resource modules share: rows into response dataclasses, filters.

Response dataclasses name their fields after the columns they show, so :func:`from_row` can
fill them from a row by name; derived values are passed explicitly.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any, Literal, TypeVar

import sqlalchemy as sa

from kubus.oltp.amounts import money, quantity
from kubus.server.api.operations import Param

__all__ = ["Status", "date_range", "date_range_params", "from_row", "money_of", "qty"]

T = TypeVar("T")

#: SAP processing status: A not yet processed, B partly, C completely.
Status = Literal["A", "B", "C"]


def from_row(cls: type[T], row: Any, **values: Any) -> T:
    """An instance of the dataclass ``cls``: each field from ``values``, else from ``row``."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(**{n: values[n] if n in values else mapping[n] for n in names})


def qty(value: Any) -> Decimal:
    """A quantity from SQL (a sum may come back as int or float on SQLite), 3 decimals."""
    return quantity(Decimal(str(value if value is not None else 0)))


def money_of(value: Any) -> Decimal:
    """An amount from SQL, 2 decimals."""
    return money(Decimal(str(value if value is not None else 0)))


def date_range_params(what: str) -> tuple[Param, Param]:
    """``date_from`` and ``date_to`` (inclusive) on the list's main date."""
    return (Param("date_from", date, f"Only documents whose {what} is on or after this date."),
            Param("date_to", date, f"Only documents whose {what} is on or before this date."))


def date_range(query: sa.Select[Any], column: sa.ColumnElement[Any],
               args: dict[str, Any]) -> sa.Select[Any]:
    """``query`` limited to ``date_from`` <= ``column`` <= ``date_to`` when given."""
    if args.get("date_from") is not None:
        query = query.where(column >= args["date_from"])
    if args.get("date_to") is not None:
        query = query.where(column <= args["date_to"])
    return query
