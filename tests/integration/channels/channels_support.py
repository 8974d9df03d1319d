"""Fixtures of the channel suite (a pytest plugin: ``pytest_plugins = ["channels_support"]``).

``ic``: a fresh, migrated OLTP database (SQLite, then PostgreSQL) with the worked examples'
master data and the contact data of :mod:`channels_inputs`, and an ingest service over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from channels_inputs import TODAY, Ic, load_master_data

from kubus.channels.ingest import IngestService
from kubus.oltp.availability import StockOnlyChecker

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["oltp_support"]


def _ic(oltp: Oltp) -> Ic:
    load_master_data(oltp.engine)
    return Ic(oltp, IngestService(oltp.engine, checker=StockOnlyChecker(),
                                  today=lambda: TODAY))


@pytest.fixture
def ic_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ic]:
    """``ic`` on SQLite only: for the CLI and folder tests, whose logic does not depend on
    the database (the ingest service itself runs on both in the other tests)."""
    from oltp_support import fresh_database  # after pytest registered the plugin

    for oltp in fresh_database(request, "sqlite", tmp_path):
        yield _ic(oltp)


@pytest.fixture
def ic(oltp: Oltp) -> Iterator[Ic]:
    yield _ic(oltp)
