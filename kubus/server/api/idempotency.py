"""Idempotency keys: a retried write returns the first response and never writes twice.

A client sends ``Idempotency-Key: <unique string>`` with a write. Inside the *same* database
transaction as the write itself the API

1. **claims** the key: ``INSERT ... ON CONFLICT DO NOTHING`` of a row for it. On PostgreSQL a
   second transaction with the same key waits on that row until the first ends (then finds it,
   or, if the first rolled back, claims it itself); on SQLite writers are serialised anyway
   (``BEGIN IMMEDIATE``). The claim is the first lock a write takes, so it cannot deadlock
   with the services' lock order.
2. finds a **stored** response for the key: same request (method, path and body hash) ->
   that response is replayed verbatim (status, body, ``Location``) with
   ``Idempotent-Replayed: true``; another request -> 409 ``idempotency_key_reused``.
3. otherwise runs the service and **records** its response in the claimed row, then commits.

Write and key commit together or not at all: a crash or timeout before the commit leaves
neither (a retry runs afresh), after it both (a retry gets the stored answer). A refused
request (4xx) stores nothing, so it can be retried with the same key once its cause is fixed.
Keys are kept (``created_at`` allows pruning); they are technical rows, not in the change log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from kubus.oltp.schema import idempotency_key as table
from kubus.server.api.errors import ApiError

__all__ = ["HEADER", "MAX_KEY_LENGTH", "REPLAYED_HEADER", "Stored", "check_key", "claim",
           "fingerprint", "record"]

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Stored:
    """A response recorded for a key."""

    status: int
    body: str
    location: str | None


def check_key(value: str | None) -> str | None:
    """The header's key, ``None`` without one; 400 unless 1-255 printable ASCII characters."""
    if value is None:
        return None
    if not 0 < len(value) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in value):
        raise ApiError(400, "invalid_idempotency_key", f"{HEADER} must be 1 to "
                       f"{MAX_KEY_LENGTH} printable ASCII characters (a UUID is a good key)",
                       [{"header": HEADER}])
    return value


def fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 of the request: method, path and the body as canonical JSON."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _insert(conn: sa.Connection, values: dict[str, Any]) -> bool:
    """Insert the claim row unless the key exists; whether it was inserted."""
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(table).values(values).on_conflict_do_nothing(
            index_elements=[table.c.idempotency_key]).returning(table.c.idempotency_key)
        # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT.
        return conn.execute(statement).first() is not None
    try:  # pragma: no cover - the OLTP runs on SQLite and PostgreSQL
        with conn.begin_nested():
            conn.execute(table.insert().values(values))
    except sa.exc.IntegrityError:  # pragma: no cover
        return False
    return True  # pragma: no cover


def claim(conn: sa.Connection, key: str, method: str, path: str,
          request_hash: str) -> Stored | None:
    """Take ``key`` for the current transaction (``None``), or the response stored for it.

    Raises 409 ``idempotency_key_reused`` when the key was used for another request.
    """
    values = {"idempotency_key": key, "request_hash": request_hash, "method": method,
              "path": path[:255], "status": 0, "location": None, "body": "",
              "created_at": datetime.now(UTC).replace(tzinfo=None)}
    if _insert(conn, values):
        return None
    row = conn.execute(sa.select(table).where(table.c.idempotency_key == key)).one()
    if row.request_hash != request_hash:
        raise ApiError(409, "idempotency_key_reused",
                       f"{HEADER} {key!r} was used for another request ({row.method} "
                       f"{row.path} or another body); use a new key for a new request",
                       [{"header": HEADER, "method": row.method, "path": row.path}])
    if not row.status:  # pragma: no cover - a claim is only visible once its response is
        raise ApiError(409, "idempotency_key_in_use", f"{HEADER} {key!r} is in use by a "
                       "request still running; retry later", [{"header": HEADER}])
    return Stored(row.status, row.body, row.location)


def record(conn: sa.Connection, key: str, status: int, body: str, location: str | None) -> None:
    """Store the response of the write that claimed ``key`` (same transaction)."""
    conn.execute(sa.update(table).where(table.c.idempotency_key == key)
                 .values(status=status, body=body, location=location))
