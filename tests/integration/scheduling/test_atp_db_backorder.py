"""ATP-10 (domain.md §2.4) through the database: the worked example's orders plus R1 and R2
entered first come, first served, then a backorder run. The dry run reports exactly the book's
changes and writes nothing; applying writes exactly the reported schedule lines, keeps the open
confirmed quantity consistent and logs each written line. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from atp_db_support import (
    TODAY,
    ZERO_TIMES,
    Fixture,
    Oltp,
    build_example,
    oltp_data,
    order,
    schedule_lines,
)

from kubus.oltp.availability import open_confirmed_from_documents
from kubus.oltp.errors import BadRequest, NotFound
from kubus.oltp.services.deliveries import DeliveryInput, create_delivery
from kubus.oltp.store import read_only
from kubus.scheduling.atp import cumulative_atp
from kubus.scheduling.backorder import SortDate
from kubus.scheduling.oltp_backorder import LineState, run_backorder
from kubus.scheduling.oltp_timeline import load_timelines

pytest_plugins = ["oltp_support"]

d = date


@dataclass(frozen=True)
class Atp10:
    fixture: Fixture
    r1: int
    r2: int

    @property
    def engine(self) -> sa.Engine:
        return self.fixture.engine

    def name(self, order_id: int) -> str:
        f = self.fixture
        return {f.so_a: "SO-A", f.so_c: "SO-C", self.r1: "R1", self.r2: "R2"}[order_id]


@pytest.fixture
def atp10(oltp: Oltp) -> Atp10:
    fixture = build_example(oltp, ZERO_TIMES)
    r1 = order(fixture.engine, "C1", 30, d(2024, 3, 7)).order_id  # priority 02
    r2 = order(fixture.engine, "C2", 60, d(2024, 3, 7)).order_id  # priority 01
    return Atp10(fixture, r1, r2)


BOOK_AFTER = {
    "R2": [(d(2024, 3, 7), D(60))],
    "SO-A": [(d(2024, 3, 6), D(40)), (d(2024, 3, 8), D(10))],
    "SO-C": [(d(2024, 3, 15), D(100)), (d(2024, 3, 18), D(20))],
    "R1": [(d(2024, 3, 18), D(20))],
}


def lines_of(engine: sa.Engine, order_id: int) -> tuple[LineState, ...]:
    return tuple(LineState(*line) for line in schedule_lines(engine, order_id))  # type: ignore[arg-type]


def test_before_the_run_first_come_first_served(atp10: Atp10) -> None:
    assert [(x[1], x[3]) for x in schedule_lines(atp10.engine, atp10.r1)] == [
        (d(2024, 3, 7), 30)]
    assert [(x[1], x[3]) for x in schedule_lines(atp10.engine, atp10.r2)] == [
        (d(2024, 3, 7), 10), (d(2024, 3, 18), 40)]


def test_dry_run_reports_the_book_and_writes_nothing(atp10: Atp10) -> None:
    before = oltp_data.snapshot(atp10.engine)
    report = run_backorder(atp10.engine, today=TODAY)
    assert oltp_data.snapshot(atp10.engine) == before
    assert report.dry_run and report.items_checked == 4 and report.items_skipped == 0
    # Processing order: priority, creation date, order number.
    assert [atp10.name(c.order_id) for c in report.changes] == ["R2", "SO-A", "SO-C", "R1"]
    assert {atp10.name(c.order_id): [(x.date, x.quantity) for x in c.after]
            for c in report.changes} == BOOK_AFTER
    r1 = report.changes[-1]
    assert (r1.confirmed_before, r1.confirmed_after, r1.unconfirmed_after) == (30, 20, 10)
    # Each change's "before" lines are what is stored now.
    for change in report.changes:
        assert change.lines_before == lines_of(atp10.engine, change.order_id)


def test_apply_saves_exactly_the_reported_lines(atp10: Atp10) -> None:
    engine = atp10.engine
    untouched = schedule_lines(engine, atp10.fixture.so_b)
    with engine.connect() as conn:
        last_seq = conn.execute(sa.text("SELECT last_seq FROM change_log_counter")).scalar()
    dry = run_backorder(engine, today=TODAY)
    applied = run_backorder(engine, today=TODAY, dry_run=False)
    assert not applied.dry_run
    assert applied.changes == dry.changes
    assert (applied.lines_updated, applied.lines_inserted) == (dry.lines_updated,
                                                               dry.lines_inserted)
    written = set()
    for change in applied.changes:
        assert lines_of(engine, change.order_id) == change.lines_after
        old = {line.line_no: line for line in change.lines_before}
        written |= {f"{change.order_id}/{change.item_no}/{line.line_no}"
                    for line in change.lines_after if old.get(line.line_no) != line}
    assert schedule_lines(engine, atp10.fixture.so_b) == untouched
    # The book's schedule lines: line 1 keeps the requested date and quantity.
    lines = {atp10.name(c.order_id): [(x.delivery_date, x.requested_qty, x.confirmed_qty)
                                      for x in c.lines_after] for c in applied.changes}
    assert lines == {
        "R2": [(d(2024, 3, 7), 60, 60), (d(2024, 3, 18), 0, 0)],
        "SO-A": [(d(2024, 3, 6), 50, 40), (d(2024, 3, 8), 0, 10)],
        "SO-C": [(d(2024, 3, 15), 120, 100), (d(2024, 3, 18), 0, 20)],
        "R1": [(d(2024, 3, 7), 30, 0), (d(2024, 3, 18), 0, 20)],
    }
    with engine.connect() as conn:
        log = conn.execute(sa.text("SELECT entity, key, operation FROM change_log WHERE seq > :s "
                                   "ORDER BY seq"), {"s": last_seq}).all()
        stored = conn.execute(sa.text("SELECT open_confirmed_qty FROM material_plant "
                                      "WHERE material_id = 'M1'")).scalar()
        assert D(str(stored)) == open_confirmed_from_documents(conn, "M1", "1000")
    assert {key for _, key, _ in log} == written
    assert {entity for entity, _, _ in log} == {"sales_order_schedule_line"}
    assert len(log) == applied.lines_updated + applied.lines_inserted
    assert sum(op == "insert" for _, _, op in log) == applied.lines_inserted
    # Final N (book): never negative, so nothing is over-confirmed.
    with read_only(engine) as conn:
        timeline = load_timelines(conn, [("M1", "1000")], today=TODAY)[("M1", "1000")]
    assert [(r.date, r.balance) for r in cumulative_atp(timeline).rows()] == [
        (d(2024, 3, 4), 100), (d(2024, 3, 6), 60), (d(2024, 3, 7), 0), (d(2024, 3, 8), 70),
        (d(2024, 3, 11), 40), (d(2024, 3, 13), 100), (d(2024, 3, 15), 0), (d(2024, 3, 18), 0)]
    # A second run finds nothing to change.
    assert run_backorder(engine, today=TODAY).changes == ()


def test_sort_by_requested_date(atp10: Atp10) -> None:
    """Among priority 02 by requested date: SO-A (03-06), R1 (03-07), SO-C (03-15); R2 keeps
    priority 01. R1 now comes before SO-C and gets 30 on 03-08; SO-C gets 110 of 120."""
    report = run_backorder(atp10.engine, today=TODAY, sort_by=SortDate.REQUESTED)
    assert [atp10.name(c.order_id) for c in report.changes] == ["R2", "SO-A", "R1", "SO-C"]
    assert {atp10.name(c.order_id): [(x.date, x.quantity) for x in c.after]
            for c in report.changes} == {
        "R2": [(d(2024, 3, 7), 60)],
        "SO-A": [(d(2024, 3, 6), 40), (d(2024, 3, 8), 10)],
        "R1": [(d(2024, 3, 8), 30)],
        "SO-C": [(d(2024, 3, 15), 70), (d(2024, 3, 18), 40)],
    }


def test_partly_delivered_item_keeps_its_delivered_quantity(atp10: Atp10) -> None:
    """SO-A delivered 20 on 03-06: only its open 30 is rescheduled (20 on 03-06, 10 on 03-08)
    and the delivered 20 stay confirmed on line 1."""
    from kubus.oltp.services.deliveries import DeliveryItemInput

    engine = atp10.engine
    create_delivery(engine, DeliveryInput(atp10.fixture.so_a, (DeliveryItemInput(10, D(20)),)),
                    today=d(2024, 3, 6))
    applied = run_backorder(engine, today=TODAY, dry_run=False)
    so_a = next(c for c in applied.changes if c.order_id == atp10.fixture.so_a)
    assert so_a.open_qty == 30
    assert [(x.date, x.quantity) for x in so_a.after] == [(d(2024, 3, 6), 20),
                                                          (d(2024, 3, 8), 10)]
    assert [(x.delivery_date, x.requested_qty, x.confirmed_qty) for x in so_a.lines_after] == [
        (d(2024, 3, 6), 50, 40), (d(2024, 3, 8), 0, 10)]
    assert lines_of(engine, so_a.order_id) == so_a.lines_after
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT open_confirmed_qty FROM material_plant "
                                      "WHERE material_id = 'M1'")).scalar()
        assert D(str(stored)) == open_confirmed_from_documents(conn, "M1", "1000")
    with read_only(engine) as conn:
        timeline = load_timelines(conn, [("M1", "1000")], today=TODAY)[("M1", "1000")]
    assert timeline.balance().min() >= 0


def test_filters_and_bad_input(atp10: Atp10) -> None:
    engine = atp10.engine
    before = oltp_data.snapshot(engine)
    assert run_backorder(engine, today=TODAY, materials=["M2"]).changes == ()
    assert len(run_backorder(engine, today=TODAY, materials=["M1"], plants=["1000"]).changes) == 4
    with pytest.raises(NotFound) as unknown:
        run_backorder(engine, today=TODAY, materials=["NOPE"], dry_run=False)
    assert unknown.value.code == "unknown_material"
    with pytest.raises(NotFound) as plant:
        run_backorder(engine, today=TODAY, plants=["9999"], dry_run=False)
    assert plant.value.code == "unknown_plant"
    with pytest.raises(BadRequest) as bad_day:
        run_backorder(engine, today="2024-03-04", dry_run=False)  # type: ignore[arg-type]
    assert bad_day.value.code == "invalid_date"
    assert oltp_data.snapshot(engine) == before
