"""Fixtures of the OLTP suite (a pytest plugin: ``pytest_plugins = ["oltp_support"]``): a fresh,
migrated database per test, on SQLite and PostgreSQL.

Migrating takes a while, so each session migrates one template per backend and every test gets
a copy: a copied file on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. DuckDB is not
an OLTP backend. PostgreSQL follows ``tests/conftest.py``: skipped loudly without
``KUBUS_TEST_POSTGRES_URL`` locally, a failure under CI.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import oltp_data
import pytest
import sqlalchemy as sa
from conftest import _require_postgres
from sqlalchemy.engine import make_url

from kubus.oltp.migrate import upgrade
from kubus.oltp.store import open_store


@dataclass(frozen=True)
class Oltp:
    """One fresh OLTP database: its backend name, URL and engine."""

    name: str
    url: str
    engine: sa.Engine


def _admin(base_url: str) -> sa.Engine:
    return sa.create_engine(base_url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oltp-template") / "template.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[tuple[str, str]]:
    base = _require_postgres()
    name = f"kubus_oltp_tpl_{uuid.uuid4().hex[:10]}"
    admin = _admin(base)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield base, name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Oltp]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "oltp.sqlite"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
        engine = open_store(url)
        try:
            yield Oltp("sqlite", url, engine)
        finally:
            engine.dispose()
        return
    base, template_name = request.getfixturevalue("_postgres_template")
    name = f"kubus_oltp_{uuid.uuid4().hex[:12]}"
    admin = _admin(base)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = open_store(url, pool_size=10, max_overflow=10)
    try:
        yield Oltp("postgres", url, engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no schema at all), SQLite then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    base = _require_postgres()
    name = f"kubus_oltp_empty_{uuid.uuid4().hex[:10]}"
    admin = _admin(base)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def oltp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Oltp]:
    """An empty, migrated OLTP database of its own (SQLite, then PostgreSQL)."""
    yield from fresh_database(request, request.param, tmp_path)


@pytest.fixture
def o2c(oltp: Oltp) -> Oltp:
    """``oltp`` with the master data and number ranges of the worked examples O2C-1/P2P-1."""
    oltp_data.load_worked_example_master_data(oltp.engine)
    return oltp
