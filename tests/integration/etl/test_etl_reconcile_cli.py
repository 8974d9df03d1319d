"""Reconciliation failures roll the load back and are reported (API and CLI); the ``kubus etl``
commands and their bad-input handling, on a real OLTP file and DuckDB warehouse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from etl_support import rows

from kubus.etl.pipeline import ReconciliationError, run_load
from kubus.etl.sources import Source
from kubus.oltp.services.sales import (
    ChangeQuantityInput,
    OrderItemInput,
    SalesOrderInput,
    change_item_quantity,
    create_sales_order,
)
from kubus.server.cli import main

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["etl_support"]

DAY = date(2024, 3, 4)


def _two_orders(oltp: Oltp) -> tuple[int, int]:
    made = [create_sales_order(oltp.engine, SalesOrderInput(c, date(2024, 3, 12), (
        OrderItemInput("M1", D(4)),)), today=DAY).order_id for c in ("C1", "C2")]
    return made[0], made[1]


@pytest.mark.parametrize("oltp", ["sqlite"], indirect=True)
def test_a_mismatch_fails_the_load_and_keeps_the_watermark(o2c: Oltp, duck: sa.Engine) -> None:
    first, second = _two_orders(o2c)
    run_load(duck, [Source("erp", o2c.url)], today=DAY)
    watermark = rows(duck, "SELECT last_seq FROM etl_source")
    # Someone edits the warehouse behind the loader's back (order 2), then order 1 changes.
    with duck.begin() as conn:
        conn.execute(sa.text("UPDATE fact_order_item SET net_value = net_value + 1 "
                             "WHERE order_id = :o"), {"o": second})
    change_item_quantity(o2c.engine, ChangeQuantityInput(first, 10, D(5)), today=DAY)
    with pytest.raises(ReconciliationError) as failure:
        run_load(duck, [Source("erp", o2c.url)], today=DAY)
    assert "2024-03-04 order_value: OLTP 112.50 warehouse 113.50" in str(failure.value)
    # Rolled back: order 1's change is not in, the watermark did not move ...
    assert rows(duck, "SELECT CAST(net_value AS FLOAT) FROM fact_order_item "
                "WHERE order_id = :o", o=first) == [(50.0,)]
    assert rows(duck, "SELECT last_seq FROM etl_source") == watermark
    # ... and the failed load is on record with its reconciliation rows.
    ((load_id, error),) = rows(duck, "SELECT load_id, error FROM etl_load "
                               "WHERE status = 'failed'")
    assert "reconciliation failed" in str(error)
    assert rows(duck, "SELECT measure, ok FROM etl_reconciliation WHERE load_id = :l AND "
                "ok = 0", l=load_id) == [("order_value", 0)]


@pytest.mark.parametrize("oltp", ["sqlite"], indirect=True)
def test_cli_run_status_merges_and_bad_input(o2c: Oltp, tmp_path: Path) -> None:
    _two_orders(o2c)
    warehouse = tmp_path / "wh.duckdb"
    config = tmp_path / "kubus.toml"
    config.write_text(f'[etl]\nwarehouse_url = "duckdb:///{warehouse}"\n\n'
                      f'[sources.erp]\nurl = "{o2c.url}"\n', encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["etl", "run", "-c", str(config), "-q", "--today",
                                  "2024-03-04"])
    assert result.exit_code == 0, result.output
    assert "erp (KUBUS): load 1 full" in result.output
    assert "order_item 2" in result.output
    result = runner.invoke(main, ["etl", "run", "-c", str(config), "-q"])
    assert "up to date" in result.output
    result = runner.invoke(main, ["etl", "status", "-c", str(config)])
    assert result.exit_code == 0 and "KUBUS" in result.output
    result = runner.invoke(main, ["etl", "merges", "-c", str(config)])
    assert result.exit_code == 0 and "new" in result.output
    result = runner.invoke(main, ["etl", "run", "-c", str(config), "--source", "nope"])
    assert result.exit_code == 2
    assert "unknown source nope (configured: erp)" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[etl]\nreconciliation = "perhaps"\n[sources.x]\nuri = "a"\n',
                   encoding="utf-8")
    result = runner.invoke(main, ["etl", "run", "-c", str(bad)])
    assert result.exit_code == 2
    assert "reconciliation" in result.output and "uri: unknown key" in result.output
    missing = tmp_path / "missing.toml"
    missing.write_text(f'[etl]\nwarehouse_url = "duckdb:///{warehouse}"\n'
                       f'[sources.gone]\nurl = "sqlite:///{tmp_path / "none.sqlite"}"\n',
                       encoding="utf-8")
    result = runner.invoke(main, ["etl", "run", "-c", str(missing), "-q"])
    assert result.exit_code == 1
    assert "source gone" in result.output and "Traceback" not in result.output
