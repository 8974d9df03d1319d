"""The warehouse and channel jobs of the cron table, run through the real runner over a
generated source system, a DuckDB warehouse and a maildir."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from kubus.config.settings import (
    EtlSettings,
    SchedulerSettings,
    Settings,
    SourceSettings,
)
from kubus.oltp.generator import generate_landscape
from kubus.oltp.store import open_store
from kubus.server.jobs.runner import JobRunner, runner_from_settings

TODAY = date(2024, 6, 3)
UTC = ZoneInfo("UTC")


def _settings(tmp: Path, *, warehouse: bool) -> Settings:
    url = f"sqlite:///{tmp / 'oltp_current.sqlite'}"
    return Settings(
        data_dir=tmp, scheduler=SchedulerSettings(store_url=f"sqlite:///{tmp / 'jobs.sqlite'}"),
        etl=EtlSettings(warehouse_url=f"duckdb:///{tmp / 'warehouse.duckdb'}" if warehouse
                        else None),
        sources={"current": SourceSettings("current", url)} if warehouse else {})


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("jobs-landscape")
    generate_landscape(tmp, 800, systems=("current",), progress=False,
                       first_day=TODAY - timedelta(days=200), as_of=TODAY - timedelta(days=1))
    return tmp


@pytest.fixture
def runner(landscape: Path) -> Iterator[JobRunner]:
    settings = _settings(landscape, warehouse=True)
    oltp = open_store(settings.sources["current"].url)
    warehouse = sa.create_engine(settings.warehouse_url)
    runner = runner_from_settings(settings, oltp={"current": oltp}, warehouse=warehouse,
                                  clock=lambda: datetime(2024, 6, 3, 12, 0, tzinfo=UTC))
    yield runner
    runner.shutdown(dispose_store=True)
    oltp.dispose()
    warehouse.dispose()


def test_warehouse_jobs_are_scheduled_only_where_a_warehouse_is_configured(
        tmp_path: Path) -> None:
    bare = runner_from_settings(_settings(tmp_path, warehouse=False))
    configured = runner_from_settings(_settings(tmp_path, warehouse=True))
    try:
        assert set(bare.schedule) == {"backorder"}
        assert set(configured.schedule) == {"backorder", "etl-delta", "stock-snapshot", "rfm"}
        # Unscheduled jobs still run on request.
        assert "etl-delta" in {info.spec.name for info in bare.jobs()}
    finally:
        bare.shutdown(dispose_store=True)
        configured.shutdown(dispose_store=True)


def test_delta_load_snapshot_and_rfm_fill_the_warehouse(runner: JobRunner) -> None:
    loaded = runner.run_here("etl-delta")
    assert (loaded.status, loaded.error) == ("ok", None)
    assert loaded.rows and loaded.rows > 800          # order items plus the other facts
    assert runner.run_here("etl-delta").rows == 0     # nothing changed since
    snapshot = runner.run_here("stock-snapshot", {"days": "7"})
    assert snapshot.status == "ok" and snapshot.rows
    scored = runner.run_here("rfm")
    assert scored.status == "ok" and scored.rows
    warehouse = runner.resources.warehouse
    assert warehouse is not None
    with warehouse.connect() as conn:
        days = conn.execute(sa.text(
            "SELECT COUNT(DISTINCT date_key) FROM fact_stock_daily")).scalar_one()
        customers = conn.execute(sa.text(
            "SELECT COUNT(*) FROM fact_customer WHERE rfm <> ''")).scalar_one()
        ordering = conn.execute(sa.text(
            "SELECT COUNT(DISTINCT customer_key) FROM fact_order_item WHERE rejected = 0 "
            "AND customer_key <> 0")).scalar_one()
    assert days == 7
    assert customers == scored.rows and 0 < customers <= ordering


def test_channel_poll_ingests_a_maildir_once(runner: JobRunner, tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    message = EmailMessage()
    message["From"] = "Zoë Müller <zoe@example.org>"
    message["To"] = "sales@kubus.example"
    message["Subject"] = "Frage zur Lieferung"
    message["Message-ID"] = "<poll-1@example.org>"
    message["Date"] = "Mon, 03 Jun 2024 09:15:00 +0200"
    message.set_content("Wann kommt meine Bestellung?")
    (box / "new" / "1.eml").write_bytes(bytes(message))
    polled = runner.run_here("channel-poll", {"channel": "email", "folder": str(box)})
    assert (polled.status, polled.rows) == ("ok", 1)
    assert runner.run_here("channel-poll", {"channel": "email", "folder": str(box)}).rows == 0
    missing = runner.run_here("channel-poll", {"channel": "email",
                                               "folder": str(tmp_path / "nope")})
    assert missing.status == "failed" and "is not a folder" in (missing.error or "")
    unknown = runner.run_here("channel-poll", {"channel": "pigeon", "folder": str(box)})
    assert unknown.status == "failed" and "pigeon" in (unknown.error or "")
