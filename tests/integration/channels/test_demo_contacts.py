"""Demo activity of the interaction center (``kubus.channels.demo_contacts``) and the demo.

One ``prepare_demo(tmp, lines=1500)`` for the module: the current system gets its last weeks
of contacts through the ingest service with the ATP checker, the warehouse loads them. The
expected figures are recomputed here in plain SQL on the OLTP tables (IC KPIs as domain.md
§6.6 defines them) and compared with the cubes' answers through the Slicer API. The load
reconciles the warehouse with the OLTP snapshot (``prepare_demo`` raises otherwise).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from kubus.channels.demo_contacts import ADAPTER_MIX, build_demo_contacts, ingest_demo_contacts
from kubus.oltp.store import open_store
from kubus.scheduling.oltp_checker import AtpChecker
from kubus.server.app import create_app
from kubus.server.demo import prepare_demo
from kubus.server.workspace import Workspace

if TYPE_CHECKING:
    from channels_inputs import Ic

pytest_plugins = ["channels_support"]

TODAY = date(2024, 3, 30)
CHANNELS = {"phone", "email", "fax", "letter", "web", "chat"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FlaskClient]:
    data_dir = tmp_path_factory.mktemp("demo-ic")
    settings = prepare_demo(data_dir, lines=1500, progress=False, today=TODAY)
    client = create_app(Workspace.from_settings(settings)).test_client()
    return data_dir, client


@pytest.fixture(scope="module")
def demo_oltp(demo: tuple[Path, FlaskClient]) -> sa.Engine:
    return open_store(f"sqlite:///{demo[0] / 'oltp_current.sqlite'}")


def _scalar(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def _payloads(engine: sa.Engine, seed: int) -> list[tuple[date, int, str, bytes]]:
    days = build_demo_contacts(engine, as_of=TODAY - timedelta(days=1), contacts=120,
                               days=14, seed=seed)
    return [(d.day, run, adapter, item.payload)
            for d in days for run, files in d.runs
            for adapter, items in files.items() for item in items]


def test_the_contacts_are_the_same_for_a_seed_and_differ_for_another(demo_oltp: sa.Engine) -> None:
    first = _payloads(demo_oltp, seed=7)
    assert first == _payloads(demo_oltp, seed=7)
    assert first != _payloads(demo_oltp, seed=8)
    assert {adapter for _, _, adapter, _ in first} == set(ADAPTER_MIX)
    days = {day for day, _, _, _ in first}
    assert min(days) >= TODAY - timedelta(days=14) and max(days) <= TODAY - timedelta(days=1)


def test_too_few_contacts_is_a_clear_error(demo_oltp: sa.Engine) -> None:
    with pytest.raises(ValueError, match="at least 7 contacts"):
        build_demo_contacts(demo_oltp, as_of=TODAY, contacts=3)


def test_every_channel_has_inbound_contacts_of_the_last_weeks(demo_oltp: sa.Engine) -> None:
    with demo_oltp.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT channel, COUNT(*), MIN(started_at), MAX(started_at) FROM interaction "
            "WHERE direction = 'in' GROUP BY channel")).all()
        assert {r[0] for r in rows} == CHANNELS
        assert min(str(r[2]) for r in rows) >= str(TODAY - timedelta(days=28))
        assert max(str(r[3]) for r in rows) < str(TODAY)
        # RFC 2047 names decoded, identified customers and prospects.
        subjects = conn.execute(sa.text(
            "SELECT subject FROM interaction WHERE channel = 'email'")).scalars().all()
        assert any(not s.isascii() for s in subjects)
        kinds = set(conn.execute(sa.text(
            "SELECT DISTINCT identification FROM interaction")).scalars())
        assert {"identified", "prospect"} <= kinds
        assert not conn.execute(sa.text("SELECT COUNT(*) FROM quarantine")).scalar()


def test_call_center_kpis_are_sane_and_the_cube_agrees(
        demo_oltp: sa.Engine, demo: tuple[Path, FlaskClient]) -> None:
    # domain.md §6.6: service level = answered within 20 s / (offered - short abandons);
    # abandonment = abandoned / offered; short abandon = gave up within 5 s.
    with demo_oltp.connect() as conn:
        offered, answered_in_sla, short, abandoned, handled, talk = conn.execute(sa.text(
            "SELECT COUNT(*), SUM(CASE WHEN NOT abandoned AND wait_seconds <= 20 THEN 1 "
            "ELSE 0 END), SUM(CASE WHEN abandoned AND wait_seconds < 5 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN abandoned THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN abandoned THEN 0 ELSE 1 END), SUM(handling_seconds) "
            "FROM interaction WHERE channel = 'phone' AND direction = 'in'")).one()
    service_level = answered_in_sla / (offered - short)
    abandonment = abandoned / offered
    assert 0.5 < service_level < 1.0
    assert 0.0 < abandonment < 0.35
    assert 60 < talk / handled < 900  # AHT in seconds
    response = demo[1].get("/cube/interactions/aggregate?drilldown=channel"
                           "&cut=direction:in")
    assert response.status_code == 200, response.text
    cells = {c["channel.channel"]: c for c in response.get_json()["cells"]}
    assert cells["phone"]["service_level"] == pytest.approx(service_level)
    assert cells["phone"]["abandonment_rate"] == pytest.approx(abandonment)


def test_orders_from_channels_carry_the_channel_and_an_atp_check_per_item(
        demo_oltp: sa.Engine) -> None:
    with demo_oltp.connect() as conn:
        orders = conn.execute(sa.text(
            "SELECT i.channel, o.channel, o.order_date, DATE(i.started_at), "
            "(SELECT COUNT(*) FROM sales_order_item s WHERE s.order_id = o.order_id), "
            "(SELECT COUNT(DISTINCT a.item_no) FROM atp_check a WHERE a.order_id = o.order_id "
            " AND a.check_date = o.order_date) "
            "FROM interaction i JOIN sales_order o ON o.order_id = i.order_id "
            "WHERE i.direction = 'in'")).all()
        replies = conn.execute(sa.text(
            "SELECT COUNT(*) FROM interaction WHERE direction = 'out' AND topic = "
            "'order_confirmation'")).scalar()
    assert {channel for channel, *_ in orders} >= {"email", "fax", "web"}
    for channel, order_channel, order_date, contact_day, items, checked in orders:
        assert order_channel == channel
        assert str(order_date) == contact_day  # the business date is the contact's day
        assert checked == items > 0
    assert replies == len(orders)


def test_the_interactions_and_availability_cubes_are_not_empty(
        demo_oltp: sa.Engine, demo: tuple[Path, FlaskClient]) -> None:
    client = demo[1]
    interactions = client.get("/cube/interactions/aggregate").get_json()["summary"]
    contacts = _scalar(demo_oltp, "SELECT COUNT(*) FROM interaction")
    assert interactions["contacts"] == contacts > 0
    availability = client.get("/cube/availability/aggregate").get_json()["summary"]
    assert availability["checks"] == _scalar(demo_oltp, "SELECT COUNT(*) FROM atp_check") > 0
    facts = client.get("/cube/availability/facts?format=json")
    assert facts.status_code == 200
    assert json.loads(facts.data)  # the rows are there, not only the sums


def test_a_second_start_adds_no_contacts(demo: tuple[Path, FlaskClient],
                                         demo_oltp: sa.Engine) -> None:
    before = _scalar(demo_oltp, "SELECT COUNT(*) FROM interaction")
    prepare_demo(demo[0], lines=1500, progress=False, today=TODAY + timedelta(days=1))
    assert _scalar(demo_oltp, "SELECT COUNT(*) FROM interaction") == before


def test_the_contacts_ingest_on_every_backend_with_the_atp_checker(ic: Ic) -> None:
    """The worked examples' small master data, on SQLite and PostgreSQL."""
    days = build_demo_contacts(ic.engine, as_of=date(2024, 3, 8), contacts=40, days=5)
    report = ingest_demo_contacts(ic.engine, days, checker=AtpChecker())
    assert (report.total, report.quarantined, report.duplicates) == (40, 0, 0)
    # Every contact is one interaction; the other rows are the replies to orders.
    assert ic.scalar("SELECT COUNT(*) FROM interaction WHERE source_ref <> 'reply'") == 40
    assert report.orders_created == ic.scalar(
        "SELECT COUNT(*) FROM interaction WHERE direction = 'in' AND order_id IS NOT NULL") > 0
    # Few customers: follow-ups in the thread of an earlier mail, linked to it.
    assert ic.scalar(
        "SELECT COUNT(*) FROM interaction r JOIN interaction p ON p.interaction_id = r.parent_id "
        "WHERE r.channel = 'email' AND r.topic = 'reply' AND r.thread_key = p.external_id "
        "AND p.started_at < r.started_at") > 0
    assert ic.scalar("SELECT COUNT(*) FROM sales_order_item i WHERE NOT EXISTS (SELECT 1 "
                     "FROM atp_check a WHERE a.order_id = i.order_id "
                     "AND a.item_no = i.item_no)") == 0
