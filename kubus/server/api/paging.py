"""Keyset pagination: ``limit`` and an opaque ``cursor``, in primary-key order.

A page is the first ``limit`` rows after the cursor's key; ``next_cursor`` encodes the last
key shown (base64url of a JSON array), so pages stay stable while documents are added (new
documents have higher numbers) and no page costs more than its own rows. Example::

    GET /api/v1/sales-orders?customer=C1&limit=2     -> {"items": [...], "next_cursor": "WzQ3MTJd"}
    GET /api/v1/sales-orders?customer=C1&limit=2&cursor=WzQ3MTJd
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from kubus.server.api.errors import ApiError
from kubus.server.api.operations import Page, Param

__all__ = ["CURSOR", "DEFAULT_LIMIT", "LIMIT", "MAX_LIMIT", "PAGING", "decode_cursor",
           "encode_cursor", "page"]

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
LIMIT = Param("limit", int, f"Items per page, 1 to {MAX_LIMIT}.", default=DEFAULT_LIMIT,
              minimum=1, maximum=MAX_LIMIT)
CURSOR = Param("cursor", str, "The `next_cursor` of the previous page; leave out for the "
               "first page.")
PAGING = (LIMIT, CURSOR)


def encode_cursor(values: Sequence[Any]) -> str:
    text = json.dumps(list(values), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[type]) -> list[Any]:
    """The key values of ``cursor``; 400 ``invalid_cursor`` unless they have ``kinds``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, UnicodeError, ValueError):
        values = None
    if (not isinstance(values, list) or len(values) != len(kinds)
            or any(isinstance(v, bool) or not isinstance(v, k)
                   for v, k in zip(values, kinds, strict=True))):
        raise ApiError(400, "invalid_cursor", "cursor: not a cursor this list returned",
                       [{"parameter": "cursor"}])
    return values


def _kind(column: sa.ColumnElement[Any]) -> type:
    return int if isinstance(column.type, sa.Integer) else str


def page(conn: sa.Connection, query: sa.Select[Any], keys: Sequence[sa.ColumnElement[Any]],
         query_args: dict[str, Any], make: Callable[[Any], T]) -> Page[T]:
    """Run ``query`` (filters applied) for the page ``query_args`` asks for, in key order."""
    limit: int = query_args.get("limit") or DEFAULT_LIMIT
    cursor: str | None = query_args.get("cursor")
    if cursor:
        after = decode_cursor(cursor, [_kind(k) for k in keys])
        condition = (keys[0] > after[0] if len(keys) == 1
                     else sa.tuple_(*keys) > sa.tuple_(*(sa.literal(v) for v in after)))
        query = query.where(condition)
    rows = conn.execute(query.order_by(*keys).limit(limit + 1)).all()
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]._mapping
        following = encode_cursor([last[k] for k in keys])
    return Page(tuple(make(r) for r in rows), following)
