"""Small shared reads of the services: the company currency, document locks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kubus.oltp.errors import NotFound
from kubus.oltp.schema import system_info


def company_currency(conn: sa.Connection) -> str:
    """The currency stock and cost of goods are valued in."""
    value = conn.execute(sa.select(system_info.c.company_currency)).scalar()
    return str(value or "EUR")


def lock_row(conn: sa.Connection, table: sa.Table, column: str, value: int | str,
             what: str) -> Any:
    """The row of ``table`` with ``column == value``, locked; :class:`NotFound` otherwise."""
    row = conn.execute(sa.select(table).where(table.c[column] == value)
                       .with_for_update()).one_or_none()
    if row is None:
        raise NotFound(f"unknown_{what.replace(' ', '_')}", f"{what} {value} does not exist",
                       **{column: value})
    return row
