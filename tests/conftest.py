"""Shared test machinery: the ``backend`` fixture and the Cubes hello-world data set.

One integration suite runs over DuckDB, SQLite and PostgreSQL through the session-scoped,
parametrized ``backend`` fixture. PostgreSQL comes from ``KUBUS_TEST_POSTGRES_URL`` (``.ci/run``
starts a throwaway server; developers use ``scripts/pg-throwaway.sh start``); each session works in
a database of its own, dropped at the end. Without the URL, ``postgres`` tests are skipped with a
loud reason locally and fail under CI, so CI cannot pass by skipping them.

``shared/`` (the fixtures from the steering repo) sits beside the repository; set
``KUBUS_SHARED_DIR`` to use another copy.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

# The HTTP suite's shared helpers (json_of, Server.stop) assert like test code: rewrite them too.
pytest.register_assert_rewrite("slicer_http_support")
pytest.register_assert_rewrite("etl_support")  # the warehouse-load suite's plugin

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("KUBUS_SHARED_DIR") or REPO_ROOT.parent / "shared").resolve()
HELLO_WORLD_DIR = SHARED_DIR / "fixtures" / "cubes-hello-world"
HELLO_WORLD_TABLE = "irbd_balance"
HELLO_WORLD_ROWS = 62

POSTGRES_URL_ENV = "KUBUS_TEST_POSTGRES_URL"


@dataclass(frozen=True)
class Backend:
    """A database the integration suite runs against: its name, URL and engine."""

    name: str
    url: str
    engine: sa.Engine


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


def _missing_postgres_message() -> str:
    return (
        f"PostgreSQL tests need {POSTGRES_URL_ENV} "
        "(e.g. `export KUBUS_TEST_POSTGRES_URL=$(scripts/pg-throwaway.sh start)`)"
    )


def _require_postgres() -> str:
    """The PostgreSQL URL, or skip (locally) / fail (under CI) the current test."""
    url = _postgres_url()
    if url is None:
        if _in_ci():
            pytest.fail(f"CI is set but {POSTGRES_URL_ENV} is not: {_missing_postgres_message()}")
        pytest.skip(f"NO POSTGRESQL: {_missing_postgres_message()}")
    return url


def pytest_report_header(config: pytest.Config) -> str:
    url = _postgres_url()
    if url is None:
        fate = "FAIL (CI is set)" if _in_ci() else "be SKIPPED"
        return f"kubus: {POSTGRES_URL_ENV} is not set: postgres tests will {fate}"
    shown = make_url(url).render_as_string(hide_password=True)
    return f"kubus: postgres tests use {shown}; shared fixtures from {SHARED_DIR}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Covers tests marked `postgres` directly as well as the `backend[postgres]` parameter.
    if item.get_closest_marker("postgres") is not None:
        _require_postgres()


@dataclass(frozen=True)
class _PostgresNamespace:
    """Where a session's PostgreSQL objects live, and how to drop them again."""

    url: str
    connect_args: dict[str, str]
    drop_sql: str
    admin_url: str


def _create_postgres_namespace(base_url: str) -> _PostgresNamespace:
    """A fresh database (or, without CREATEDB, a fresh schema) for this test session."""
    name = f"kubus_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            try:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            except sa.exc.ProgrammingError as exc:
                if "permission denied" not in str(exc).lower():
                    raise
            else:
                db_url = make_url(base_url).set(database=name)
                return _PostgresNamespace(
                    url=db_url.render_as_string(hide_password=False),
                    connect_args={},
                    drop_sql=f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                    admin_url=base_url,
                )
            # No CREATEDB privilege: isolate by schema inside the given database instead.
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
            return _PostgresNamespace(
                url=base_url,
                connect_args={"options": f"-csearch_path={name}"},
                drop_sql=f'DROP SCHEMA IF EXISTS "{name}" CASCADE',
                admin_url=base_url,
            )
    finally:
        admin.dispose()


def _drop_postgres_namespace(namespace: _PostgresNamespace) -> None:
    admin = sa.create_engine(namespace.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(namespace.drop_sql))
    finally:
        admin.dispose()


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("duckdb", id="duckdb"),
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """Each database of the matrix in turn, empty at the start of the session.

    The database is shared by every test of the session that uses this backend, so tests create
    uniquely named tables or clean up after themselves.
    """
    name: str = request.param
    if name == "postgres":
        namespace = _create_postgres_namespace(_require_postgres())
        engine = sa.create_engine(namespace.url, connect_args=namespace.connect_args)
        try:
            yield Backend(name=name, url=namespace.url, engine=engine)
        finally:
            engine.dispose()
            _drop_postgres_namespace(namespace)
        return

    directory = tmp_path_factory.mktemp(f"backend-{name}")
    if name == "duckdb":
        url = f"duckdb:///{directory / 'warehouse.duckdb'}"
    elif name == "sqlite":
        url = f"sqlite:///{directory / 'kubus.sqlite'}"
    else:  # pragma: no cover - the params above are the whole list
        raise ValueError(f"unknown backend {name!r}")
    engine = sa.create_engine(url)
    try:
        yield Backend(name=name, url=url, engine=engine)
    finally:
        engine.dispose()


# --- Cubes hello world --------------------------------------------------------------------------


def hello_world_table(metadata: sa.MetaData | None = None) -> sa.Table:
    """The ``irbd_balance`` table as the fixture's README specifies it."""
    return sa.Table(
        HELLO_WORLD_TABLE,
        metadata if metadata is not None else sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("category_label", sa.Text, nullable=False),
        sa.Column("subcategory", sa.Text, nullable=False),
        sa.Column("subcategory_label", sa.Text, nullable=False),
        sa.Column("line_item", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
    )


def read_hello_world(directory: Path = HELLO_WORLD_DIR) -> pd.DataFrame:
    """The 62 rows of ``data.csv`` with the table's column names and ``id`` 1..62 in file order."""
    csv_path = directory / "data.csv"
    if not csv_path.is_file():
        raise FileNotFoundError(
            f"{csv_path} not found: shared/ must sit beside the repository, or set KUBUS_SHARED_DIR"
        )
    # The CSV header has human labels; the columns are taken by position, as the README says.
    names = [c.name for c in hello_world_table().columns if c.name != "id"]
    frame = pd.read_csv(
        csv_path,
        header=0,
        names=names,
        dtype={name: str for name in names if name not in ("year", "amount")},
        keep_default_na=False,
    ).astype({"year": "int64", "amount": "int64"})
    if len(frame) != HELLO_WORLD_ROWS:
        raise ValueError(f"{csv_path} has {len(frame)} rows, expected {HELLO_WORLD_ROWS}")
    frame.insert(0, "id", range(1, len(frame) + 1))
    return frame


def load_hello_world(engine: sa.Engine, directory: Path = HELLO_WORLD_DIR) -> None:
    """(Re)create ``irbd_balance`` in ``engine``'s database and bulk-load the hello-world rows."""
    frame = read_hello_world(directory)
    table = hello_world_table()
    # to_dict gives plain Python values; one executemany keeps the load a single bulk insert.
    rows = cast(list[dict[str, Any]], frame.to_dict(orient="records"))
    with engine.begin() as conn:
        table.drop(conn, checkfirst=True)
        table.create(conn)
        conn.execute(table.insert(), rows)


@pytest.fixture(scope="session")
def hello_world_dir() -> Path:
    """The Cubes hello-world fixture folder (``data.csv``, ``model.json``, ``slicer.ini``)."""
    if not HELLO_WORLD_DIR.is_dir():
        pytest.fail(
            f"{HELLO_WORLD_DIR} not found: shared/ must sit beside the repo or set KUBUS_SHARED_DIR"
        )
    return HELLO_WORLD_DIR


@pytest.fixture(scope="session")
def hello_world_backend(backend: Backend, hello_world_dir: Path) -> Backend:
    """``backend`` with the hello-world table ``irbd_balance`` loaded (read-only for tests)."""
    load_hello_world(backend.engine, hello_world_dir)
    return backend
