"""Every query runs under the statement timeout, on every backend, with a clear user error."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from conftest import Backend

from kubus.model.errors import QueryTimeoutError
from kubus.server.execution import Executor

# A statement that runs for many seconds on each backend.
SLOW = {
    "sqlite": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
              "WHERE i < 1000000000) SELECT count(*) FROM r",
    "duckdb": "SELECT sum(hash(i)) FROM range(100000000000) t(i)",
    "postgres": "SELECT pg_sleep(20)",
}


def test_slow_statement_is_interrupted(backend: Backend) -> None:
    executor = Executor(backend.engine, timeout=0.5)
    started = time.perf_counter()
    with pytest.raises(QueryTimeoutError, match=r"statement timeout of 0\.5 s"):
        executor.all(sa.text(SLOW[backend.name]), "slow")  # type: ignore[arg-type]
    assert time.perf_counter() - started < 10
    # The connection is usable afterwards: the pool hands out a healthy one.
    assert executor.all(sa.text("SELECT 1"), "after")[0][0] == 1  # type: ignore[arg-type]


def test_fast_statement_is_not_affected(backend: Backend) -> None:
    executor = Executor(backend.engine, timeout=5)
    assert executor.all(sa.text("SELECT 41 + 1"), "fast")[0][0] == 42  # type: ignore[arg-type]
    assert executor.timings[0].rows == 1 and "41 + 1" in executor.timings[0].sql
