"""``prepared.pipelined``: queued writes on PostgreSQL (psycopg's pipeline mode), a no-op on
SQLite. The statements keep their results (``RETURNING`` rows arrive), and an error of a queued
write still fails the block and rolls the whole transaction back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from oltp_support import Oltp

from kubus.oltp.prepared import Prepared, PreparedInsert, pipelined
from kubus.oltp.schema import change_log, change_log_counter, currency
from kubus.oltp.store import transaction

pytest_plugins = ["oltp_support"]

INSERT = PreparedInsert(currency)
BUMP = Prepared(sa.update(change_log_counter).where(change_log_counter.c.id == 1)
                .values(last_seq=change_log_counter.c.last_seq + sa.bindparam(
                    "n", type_=sa.BigInteger))
                .returning(change_log_counter.c.last_seq))


def counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        currencies = conn.execute(sa.select(sa.func.count()).select_from(currency)).scalar()
        last = conn.execute(sa.select(change_log_counter.c.last_seq)).scalar()
    return int(currencies or 0), int(last or 0)


def test_queued_writes_and_a_returning_row(oltp: Oltp) -> None:
    before_currencies, before_seq = counts(oltp.engine)
    with transaction(oltp.engine) as conn, pipelined(conn):
        INSERT.executemany(conn, [{"currency": "EUR", "name": "Euro"},
                                  {"currency": "USD", "name": "US Dollar"}])
        assert BUMP.execute(conn, {"n": 3}) == [(before_seq + 3,)]
        INSERT.executemany(conn, [{"currency": "CHF", "name": "Swiss franc"}])
    assert counts(oltp.engine) == (before_currencies + 3, before_seq + 3)


def test_an_error_of_a_queued_write_rolls_everything_back(oltp: Oltp) -> None:
    before = counts(oltp.engine)
    dbapi_error = oltp.engine.dialect.loaded_dbapi.Error
    with pytest.raises(dbapi_error), transaction(oltp.engine) as conn, pipelined(conn):
        INSERT.executemany(conn, [{"currency": "EUR", "name": "Euro"}])
        BUMP.execute(conn, {"n": 1})
        INSERT.executemany(conn, [{"currency": "EUR", "name": "Euro again"}])  # duplicate key
        PreparedInsert(change_log).executemany(conn, [])  # nothing: no statement at all
    assert counts(oltp.engine) == before
