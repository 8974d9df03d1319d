"""A backorder run over an empty selection: an empty report, nothing written.

``run_backorder(plants=[])`` (or ``materials=[]``, or a plant that exists but has no material)
selects no open item. The HTTP endpoint refuses empty lists with a 400, but the function is
called from jobs and the CLI too: it must answer with an empty report, not fail. SQLite and
PostgreSQL, over the §2.3 example with the R1/R2 orders of ATP-10 (which a run over everything
would change).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from atp_db_support import TODAY, ZERO_TIMES, Fixture, Oltp, build_example, oltp_data, order

from kubus.oltp import masterdata as md
from kubus.scheduling.oltp_backorder import backorder_inputs, run_backorder

pytest_plugins = ["oltp_support"]


@pytest.fixture
def example(oltp: Oltp) -> Fixture:
    fixture = build_example(oltp, ZERO_TIMES)
    order(fixture.engine, "C1", 30, date(2024, 3, 7))
    order(fixture.engine, "C2", 60, date(2024, 3, 7))
    md.create(fixture.engine, [md.Plant("2000", "Bremen", "DE", "DE")])  # no materials
    return fixture


@pytest.mark.parametrize("selection", [
    {"plants": []}, {"materials": []}, {"materials": [], "plants": []},
    {"materials": ["M1"], "plants": []}, {"plants": ["2000"]}])
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry", "apply"])
def test_an_empty_selection_gives_an_empty_report(example: Fixture, dry_run: bool,
                                                   selection: dict[str, Any]) -> None:
    before = oltp_data.snapshot(example.engine)
    report = run_backorder(example.engine, today=TODAY, dry_run=dry_run, **selection)
    assert (report.items_checked, report.items_skipped, report.lines_selected,
            report.changes, report.lines_updated, report.lines_inserted) == (0, 0, 0, (), 0, 0)
    assert (report.today, report.dry_run) == (TODAY, dry_run)
    assert oltp_data.snapshot(example.engine) == before
    inputs = backorder_inputs(example.engine, today=TODAY, **selection)
    assert (inputs.items, inputs.supply, inputs.rlt_end) == ([], {}, {})


def test_the_same_run_over_everything_changes_something(example: Fixture) -> None:
    """The control: the data has something to reschedule (ATP-10), so an empty report above
    comes from the empty selection."""
    report = run_backorder(example.engine, today=TODAY, dry_run=True)
    assert report.lines_selected > 0 and report.changes
