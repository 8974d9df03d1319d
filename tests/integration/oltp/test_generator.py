"""The OLTP demo generator (``kubus.oltp.generator``): 5,000 order lines into SQLite and
PostgreSQL, then every invariant the services enforce, re-checked independently in SQL.

The checks do not reuse the generator's arithmetic: they recompute stock by replaying goods
movements in posting order, quantities per item and delivery from the documents, cleared
amounts from payment items, balances from accounting lines, and the change log's coverage from
the tables themselves. Distribution checks look at the data the way an analyst would (share of
the top products, Q4 against the rest, weekdays against weekends, ground-truth overlap).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import _require_postgres
from sqlalchemy.engine import make_url

from kubus.oltp import gen_writer
from kubus.oltp.availability import open_confirmed_from_documents
from kubus.oltp.changelog import last_seq
from kubus.oltp.generator import (
    CURRENT,
    LEGACY,
    TRUTH_FILE,
    GenerationError,
    GenerationStats,
    generate,
    generate_landscape,
)
from kubus.oltp.schema import metadata
from kubus.oltp.services.billing import InvoiceInput, create_invoice
from kubus.oltp.services.deliveries import (
    DeliveryInput,
    GoodsIssueInput,
    create_delivery,
    post_goods_issue,
)
from kubus.oltp.services.payments import IncomingPaymentInput, post_incoming_payment
from kubus.oltp.services.sales import OrderItemInput, SalesOrderInput, create_sales_order
from kubus.oltp.status import order_status
from kubus.oltp.store import open_store
from kubus.server.cli_generate import generate as cli_generate

LINES = 5_000
SEED = 7


# --- fixtures -------------------------------------------------------------------------------


def _postgres_database() -> Iterator[str]:
    base = _require_postgres()
    name = f"kubus_gen_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=[
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[tuple[sa.Engine, GenerationStats]]:
    """5,000 order lines of history, generated once per backend for the module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('generated') / 'oltp.sqlite'}"
        stats = generate(url, LINES, seed=SEED, progress=False)
        engine = open_store(url)
        yield engine, stats
        engine.dispose()
        return
    for url in _postgres_database():
        stats = generate(url, LINES, seed=SEED, progress=False)
        engine = open_store(url)
        yield engine, stats
        engine.dispose()


def _scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def _rows(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def _none(engine: sa.Engine, sql: str, what: str) -> None:
    found = _rows(engine, sql)
    assert not found, f"{what}: {len(found)} violations, e.g. {found[:3]}"


def _checksums(url: str) -> dict[str, str]:
    """A digest of every table's rows in primary-key order."""
    engine = sa.create_engine(url)
    digests = {}
    try:
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns)
                digest = hashlib.sha256()
                for row in conn.execute(sa.select(table).order_by(*order)):
                    digest.update(repr(tuple(row)).encode())
                digests[table.name] = digest.hexdigest()
    finally:
        engine.dispose()
    return digests


# --- shape and determinism ------------------------------------------------------------------


def test_writes_the_requested_lines_and_reports_them(generated: tuple[sa.Engine,
                                                                      GenerationStats]) -> None:
    engine, stats = generated
    assert _scalar(engine, "SELECT count(*) FROM sales_order_item") == LINES
    for table, count in stats.rows.items():
        assert _scalar(engine, f"SELECT count(*) FROM {table}") == count, table
    assert stats.lines == LINES and stats.system == "current"
    assert _scalar(engine, "SELECT system_id FROM system_info") == CURRENT.system_id


def test_same_seed_same_database_other_seed_other_data(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / name}" for name in ("a.sqlite", "b.sqlite", "c.sqlite")]
    generate(urls[0], 2_000, seed=3, progress=False)
    # Another process with other string hashing: nothing may depend on set or dict order.
    subprocess.run([sys.executable, "-c", "from kubus.oltp.generator import generate; "
                    f"generate({urls[1]!r}, 2_000, seed=3, progress=False)"],
                   check=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    generate(urls[2], 2_000, seed=4, progress=False)
    first, second, other = (_checksums(u) for u in urls)
    assert first == second
    assert first["sales_order_item"] != other["sales_order_item"]


def test_rows_derived_in_sqlite_equal_the_rows_built_in_numpy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite derives the big document-flow and accounting-line groups with INSERT ... SELECT;
    PostgreSQL copies the numpy-built rows. Both must be the same database."""
    derived, plain = (f"sqlite:///{tmp_path / name}" for name in ("d.sqlite", "p.sqlite"))
    generate(derived, 2_000, seed=5, progress=False)
    monkeypatch.setattr(gen_writer, "DERIVE", False)
    generate(plain, 2_000, seed=5, progress=False)
    assert _checksums(derived) == _checksums(plain)


def test_refuses_to_overwrite_or_to_take_silly_sizes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    generate(url, 50, progress=False)
    with pytest.raises(GenerationError, match="exists"):
        generate(url, 50, progress=False)
    generate(url, 60, progress=False, overwrite=True)
    assert _scalar(sa.create_engine(url), "SELECT count(*) FROM sales_order_item") == 60
    with pytest.raises(GenerationError, match="lines"):
        generate(f"sqlite:///{tmp_path / 'y.sqlite'}", 0, progress=False)
    assert not (tmp_path / "y.sqlite").exists()


# --- invariants -----------------------------------------------------------------------------


def test_stock_never_negative_replaying_movements_in_posting_order(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated
    signed = ("CASE WHEN i.debit_credit = 'S' THEN i.quantity ELSE -i.quantity END")
    running = f"""
        SELECT i.material_id, i.plant, i.storage_location, d.posting_date, i.mat_doc_id,
               sum({signed}) OVER (PARTITION BY i.material_id, i.plant, i.storage_location
                                   ORDER BY d.posting_date, i.mat_doc_id, i.item_no
                                   ROWS UNBOUNDED PRECEDING) AS level
        FROM material_document_item i JOIN material_document d ON d.mat_doc_id = i.mat_doc_id"""
    _none(engine, f"SELECT * FROM ({running}) r WHERE level < 0", "negative stock")
    # Worst case within a day: all of a day's issues before its receipts.
    daily = f"""
        SELECT i.material_id, i.plant, d.posting_date,
               sum({signed}) AS net,
               sum(CASE WHEN i.debit_credit = 'H' THEN i.quantity ELSE 0 END) AS issued
        FROM material_document_item i JOIN material_document d ON d.mat_doc_id = i.mat_doc_id
        GROUP BY i.material_id, i.plant, d.posting_date"""
    _none(engine, f"""
        SELECT * FROM (
          SELECT material_id, plant, posting_date, net, issued,
                 sum(net) OVER (PARTITION BY material_id, plant ORDER BY posting_date
                                ROWS UNBOUNDED PRECEDING) - net AS opening
          FROM ({daily}) x) y
        WHERE opening - issued < 0""", "issues not covered by the opening stock of the day")
    _none(engine, f"""
        SELECT s.material_id, s.plant, s.unrestricted, m.total FROM stock s JOIN (
          SELECT i.material_id, i.plant, i.storage_location, sum({signed}) AS total
          FROM material_document_item i
          GROUP BY i.material_id, i.plant, i.storage_location) m
          ON m.material_id = s.material_id AND m.plant = s.plant
         AND m.storage_location = s.storage_location
        WHERE s.unrestricted <> m.total OR s.quality <> 0 OR s.blocked <> 0""",
          "stock table differs from the movements")


def test_quantities_delivered_within_confirmed_within_ordered(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated
    per_item = """
        SELECT i.order_id, i.item_no, i.quantity, i.rejection_reason,
               (SELECT coalesce(sum(l.confirmed_qty), 0) FROM sales_order_schedule_line l
                 WHERE l.order_id = i.order_id AND l.item_no = i.item_no) AS confirmed,
               (SELECT coalesce(sum(d.quantity), 0) FROM delivery_item d
                 WHERE d.order_id = i.order_id AND d.order_item = i.item_no) AS delivered,
               (SELECT coalesce(sum(m.quantity), 0) FROM material_document_item m
                 WHERE m.order_id = i.order_id AND m.order_item = i.item_no
                   AND m.movement_type = '601') AS issued
        FROM sales_order_item i"""
    _none(engine, f"""SELECT * FROM ({per_item}) q
        WHERE NOT (issued <= delivered AND delivered <= confirmed AND confirmed <= quantity)""",
          "issued <= delivered <= confirmed <= ordered")
    _none(engine, f"SELECT * FROM ({per_item}) q WHERE rejection_reason IS NOT NULL "
          "AND delivered > 0", "rejected items with deliveries")
    # A delivery takes only confirmed quantities that were due on the day it was created.
    _none(engine, """
        SELECT di.delivery_id, di.item_no FROM delivery_item di
        JOIN delivery d ON d.delivery_id = di.delivery_id
        WHERE (SELECT coalesce(sum(x.quantity), 0) FROM delivery_item x
               JOIN delivery dx ON dx.delivery_id = x.delivery_id
               WHERE x.order_id = di.order_id AND x.order_item = di.order_item
                 AND x.delivery_id <= di.delivery_id)
            > (SELECT coalesce(sum(l.confirmed_qty), 0) FROM sales_order_schedule_line l
               WHERE l.order_id = di.order_id AND l.item_no = di.order_item
                 AND (CASE WHEN l.transportation_planning_date < l.material_availability_date
                           THEN l.transportation_planning_date
                           ELSE l.material_availability_date END) <= d.created_on)""",
          "delivered more than was confirmed and due")
    _none(engine, """SELECT o.order_id FROM sales_order o
        WHERE abs(o.net_value - (SELECT coalesce(sum(i.net_value), 0) FROM sales_order_item i
                  WHERE i.order_id = o.order_id AND i.rejection_reason IS NULL)) > 0.001""",
          "order net value is not the sum of the items not rejected")
    _none(engine, """SELECT l.order_id FROM sales_order_schedule_line l
        WHERE l.confirmed_qty > 0 AND NOT (l.material_availability_date <= l.loading_date
              AND l.loading_date <= l.goods_issue_date AND l.goods_issue_date
              <= l.delivery_date)""", "schedule-line dates out of order")


def test_open_confirmed_quantities_match_the_documents(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT material_id, plant, open_confirmed_qty FROM material_plant")).all()
        for material_id, plant, stored in rows:
            assert Decimal(stored) == open_confirmed_from_documents(conn, material_id, plant)
    # Order entry confirms from stock on hand: the open confirmations are all covered.
    _none(engine, """SELECT mp.material_id, mp.plant FROM material_plant mp
        WHERE mp.open_confirmed_qty > (SELECT coalesce(sum(s.unrestricted), 0) FROM stock s
              WHERE s.material_id = mp.material_id AND s.plant = mp.plant)""",
          "open confirmations exceed stock on hand")


def test_billing_only_goods_issued_and_never_more(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated
    not_cancelled = """b.category = 'M' AND NOT EXISTS (SELECT 1 FROM billing_document c
                       WHERE c.cancels_billing_id = b.billing_id)"""
    _none(engine, f"""
        SELECT di.delivery_id, di.item_no FROM delivery_item di
        WHERE (SELECT coalesce(sum(bi.quantity), 0) FROM billing_item bi
               JOIN billing_document b ON b.billing_id = bi.billing_id
               WHERE bi.delivery_id = di.delivery_id AND bi.delivery_item = di.item_no
                 AND {not_cancelled})
            > (SELECT coalesce(sum(m.quantity), 0) FROM material_document_item m
               WHERE m.delivery_id = di.delivery_id AND m.delivery_item = di.item_no
                 AND m.movement_type = '601')""", "billed more than goods-issued")
    _none(engine, """
        SELECT b.billing_id FROM billing_document b JOIN billing_item bi
          ON bi.billing_id = b.billing_id
        JOIN material_document m ON m.delivery_id = bi.delivery_id
        WHERE b.category = 'M' AND b.billing_date < m.posting_date""",
          "invoice dated before its goods issue")
    _none(engine, """
        SELECT b.billing_id FROM billing_document b
        WHERE abs(b.net_value - (SELECT sum(i.net_value) FROM billing_item i
                                 WHERE i.billing_id = b.billing_id)) > 0.001
           OR abs(b.tax_amount - (SELECT sum(i.tax_amount) FROM billing_item i
                                  WHERE i.billing_id = b.billing_id)) > 0.001
           OR abs(b.gross_amount - b.net_value - b.tax_amount) > 0.001""", "billing header sums")
    _none(engine, """
        SELECT c.billing_id FROM billing_document c JOIN billing_document o
          ON o.billing_id = c.reference_billing_id
        WHERE c.category = 'O' AND (SELECT sum(i.quantity) FROM billing_item i
                                    WHERE i.billing_id = c.billing_id)
            > (SELECT sum(i.quantity) FROM billing_item i WHERE i.billing_id = o.billing_id)""",
          "credit memo over the invoice")


def test_payments_clear_at_most_what_is_billed_with_discount_in_time(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated
    _none(engine, """
        SELECT p.payment_id FROM payment p
        WHERE abs(p.amount - (SELECT sum(i.amount) FROM payment_item i
                              WHERE i.payment_id = p.payment_id)) > 0.001 OR p.amount <= 0""",
          "payment amount is not the sum of its items")
    # Cleared (cash + discount) per billing document never exceeds its gross amount.
    _none(engine, """
        SELECT b.billing_id FROM billing_document b
        WHERE abs((SELECT coalesce(sum(pi.amount + pi.discount), 0) FROM payment_item pi
                   JOIN open_item oi ON oi.open_item_id = pi.open_item_id
                   WHERE oi.billing_id = b.billing_id AND oi.residual_of IS NULL)
                 + (SELECT coalesce(sum(r.amount), 0) FROM open_item r
                    WHERE r.billing_id = b.billing_id AND r.residual_of IS NOT NULL
                      AND r.cleared_by IS NULL)
                 - (SELECT coalesce(sum(r.amount - pi.amount - pi.discount), 0)
                    FROM open_item r JOIN payment_item pi ON pi.open_item_id = r.open_item_id
                    WHERE r.billing_id = b.billing_id AND r.residual_of IS NOT NULL))
            > b.gross_amount + 0.001""", "cleared more than billed")
    _none(engine, """
        SELECT pi.payment_id, pi.open_item_id FROM payment_item pi
        JOIN payment p ON p.payment_id = pi.payment_id
        JOIN open_item oi ON oi.open_item_id = pi.open_item_id
        WHERE pi.discount > 0 AND (oi.discount_date IS NULL
              OR p.payment_date > oi.discount_date
              OR abs(pi.discount - round(oi.amount * oi.discount_percent / 100.0, 2)) > 0.001
              OR abs(pi.amount + pi.discount - oi.amount) > 0.001)""",
          "cash discount outside the discount period or not on the full amount")
    _none(engine, """
        SELECT oi.open_item_id FROM open_item oi
        WHERE oi.kind = 'AR' AND ((oi.cleared_by IS NULL) <> (oi.cleared_on IS NULL)
           OR (oi.cleared_by IS NOT NULL AND (SELECT count(*) FROM payment_item pi
               WHERE pi.open_item_id = oi.open_item_id) + (SELECT count(*) FROM
               billing_document c WHERE c.cancels_billing_id = oi.billing_id
               AND c.acc_doc_id = oi.cleared_by) <> 1)
           OR (oi.cleared_by IS NULL AND EXISTS (SELECT 1 FROM payment_item pi
               WHERE pi.open_item_id = oi.open_item_id)))""",
          "open item cleared by something other than exactly one payment or cancellation")
    _none(engine, """
        SELECT pi.payment_id FROM payment_item pi JOIN open_item r
          ON r.open_item_id = pi.residual_item_id
        WHERE abs(r.amount - ((SELECT o.amount FROM open_item o
                               WHERE o.open_item_id = pi.open_item_id) - pi.amount)) > 0.001
           OR r.residual_of <> pi.open_item_id""", "residual is not the unpaid rest")


def test_accounting_balances_and_reconciles_with_open_items(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated
    _none(engine, """SELECT acc_doc_id FROM accounting_line GROUP BY acc_doc_id
                     HAVING abs(sum(debit) - sum(credit)) > 0.001""", "unbalanced documents")
    _none(engine, """SELECT d.acc_doc_id FROM accounting_document d
                     WHERE NOT EXISTS (SELECT 1 FROM accounting_line l
                                       WHERE l.acc_doc_id = d.acc_doc_id)""",
          "documents without lines")
    _none(engine, """SELECT acc_doc_id, line_no FROM accounting_line
                     WHERE debit = 0 AND credit = 0""", "zero lines")
    # Receivables: the AR account per customer equals the customer's uncleared open items.
    _none(engine, """
        SELECT l.customer_id, l.balance, coalesce(o.open_amount, 0) FROM (
            SELECT customer_id, sum(debit - credit) AS balance FROM accounting_line
            WHERE account = 'AR' GROUP BY customer_id) l
        LEFT JOIN (SELECT customer_id, sum(amount) AS open_amount FROM open_item
                   WHERE kind = 'AR' AND cleared_by IS NULL GROUP BY customer_id) o
          ON o.customer_id = l.customer_id
        WHERE abs(l.balance - coalesce(o.open_amount, 0)) > 0.005""",
          "AR balance differs from the open items")
    _none(engine, """
        SELECT a.total, s.total FROM
          (SELECT sum(debit - credit) AS total FROM accounting_line
           WHERE account = 'INVENTORY') a,
          (SELECT sum(s.unrestricted * mp.standard_price) AS total FROM stock s
           JOIN material_plant mp ON mp.material_id = s.material_id AND mp.plant = s.plant) s
        WHERE abs(a.total - s.total) > 0.01""", "inventory account differs from stock value")
    _none(engine, """SELECT acc_doc_id FROM accounting_document d WHERE d.reference_type =
        'billing_document' AND NOT EXISTS (SELECT 1 FROM billing_document b
        WHERE b.billing_id = d.reference_id AND b.acc_doc_id = d.acc_doc_id)""",
          "accounting document without its billing document")


def test_document_flow_has_every_link(generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated

    def link(pre: str, pre_doc: str, pre_item: str, sub: str, sub_doc: str, sub_item: str,
             source: str, where: str = "1 = 1") -> None:
        _none(engine, f"""SELECT * FROM {source} WHERE {where} AND NOT EXISTS (
            SELECT 1 FROM document_flow f WHERE f.preceding_category = '{pre}'
              AND f.preceding_doc = {pre_doc} AND f.preceding_item = {pre_item}
              AND f.subsequent_category = '{sub}' AND f.subsequent_doc = {sub_doc}
              AND f.subsequent_item = {sub_item})""", f"missing {pre} -> {sub} links")

    link("C", "x.order_id", "x.order_item", "J", "x.delivery_id", "x.item_no",
         "delivery_item x")
    link("J", "x.delivery_id", "x.delivery_item", "R", "x.mat_doc_id", "x.item_no",
         "material_document_item x", "x.movement_type = '601'")
    link("V", "x.po_id", "x.po_item", "R", "x.mat_doc_id", "x.item_no",
         "material_document_item x", "x.movement_type = '101'")
    link("J", "x.delivery_id", "x.delivery_item", "M", "x.billing_id", "x.item_no",
         "billing_item x JOIN billing_document b ON b.billing_id = x.billing_id",
         "b.category = 'M'")
    link("C", "x.order_id", "x.order_item", "M", "x.billing_id", "x.item_no",
         "billing_item x JOIN billing_document b ON b.billing_id = x.billing_id",
         "b.category = 'M'")
    link("0", "x.pr_id", "x.pr_item", "V", "x.po_id", "x.item_no", "purchase_order_item x",
         "x.pr_id IS NOT NULL")
    link("V", "x.po_id", "x.po_item", "Q", "x.invoice_id", "x.item_no",
         "invoice_receipt_item x")
    for category in ("M", "N", "O"):
        link(category, "x.billing_id", "0", "+", "x.acc_doc_id", "0", "billing_document x",
             f"x.category = '{category}'")
    # Every flow row points at documents that exist.
    _none(engine, """SELECT * FROM document_flow f WHERE f.subsequent_category = 'J'
        AND NOT EXISTS (SELECT 1 FROM delivery_item d WHERE d.delivery_id = f.subsequent_doc
                        AND d.item_no = f.subsequent_item)""", "dangling delivery links")
    _none(engine, """SELECT * FROM document_flow f WHERE f.subsequent_category = '+'
        AND NOT EXISTS (SELECT 1 FROM accounting_document a
                        WHERE a.acc_doc_id = f.subsequent_doc)""", "dangling accounting links")


def test_change_log_is_gap_free_and_covers_every_row(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, stats = generated
    count, low, high = _rows(engine, "SELECT count(*), min(seq), max(seq) FROM change_log")[0]
    assert (count, low, high) == (stats.change_log_rows, 1, stats.change_log_rows)
    assert last_seq(engine) == stats.change_log_rows
    _none(engine, """SELECT a.seq FROM change_log a JOIN change_log b ON b.seq = a.seq + 1
                     WHERE b.changed_at < a.changed_at""", "changed_at goes back in time")
    logged = dict(_rows(engine, "SELECT entity, count(*) FROM change_log "
                                "WHERE operation = 'insert' GROUP BY entity"))
    for table in metadata.sorted_tables:
        if table.name in ("change_log", "change_log_counter", "number_range", "system_info"):
            continue
        assert logged.get(table.name, 0) == stats.rows.get(table.name, 0), table.name
    # Keys are the primary key joined with "/", one per row (two tables checked in full).
    key = "CAST(order_id AS VARCHAR(20)) || '/' || CAST(item_no AS VARCHAR(10))"
    _none(engine, f"""SELECT {key} FROM sales_order_item EXCEPT SELECT key FROM change_log
        WHERE entity = 'sales_order_item' AND operation = 'insert'""",
          "order items missing from the change log")
    _none(engine, """SELECT CAST(open_item_id AS VARCHAR(20)) FROM open_item
        WHERE cleared_by IS NOT NULL EXCEPT SELECT key FROM change_log
        WHERE entity = 'open_item' AND operation IN ('update', 'cancel')""",
          "clearing not in the change log")
    # A row is inserted before it is updated (the migration seeds system_info unlogged).
    _none(engine, """SELECT entity, key FROM change_log WHERE entity <> 'system_info'
        GROUP BY entity, key
        HAVING min(CASE WHEN operation = 'insert' THEN seq END) > min(seq)
            OR count(CASE WHEN operation = 'insert' THEN 1 END) <> 1""",
          "not exactly one insert, logged first")


def test_number_ranges_continue_after_the_generated_numbers(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, stats = generated
    columns = {"sales_order": ("sales_order", "order_id"), "delivery": ("delivery",
               "delivery_id"), "billing_document": ("billing_document", "billing_id"),
               "accounting_document": ("accounting_document", "acc_doc_id"),
               "payment": ("payment", "payment_id"), "open_item": ("open_item", "open_item_id"),
               "material_document": ("material_document", "mat_doc_id"),
               "purchase_requisition": ("purchase_requisition", "pr_id"),
               "purchase_order": ("purchase_order", "po_id"),
               "invoice_receipt": ("invoice_receipt", "invoice_id")}
    ranges = dict(_rows(engine, "SELECT object_type, next_number FROM number_range"))
    for object_type, (table, column) in columns.items():
        low, high, count = _rows(engine, f"SELECT min({column}), max({column}), "
                                         f"count(DISTINCT {column}) FROM {table}")[0]
        assert ranges[object_type] == high + 1 == stats.next_numbers[object_type], object_type
        assert high - low + 1 == count, f"{object_type} numbers have gaps"
    assert _scalar(engine, "SELECT min(order_id) FROM sales_order") == 1_000_000


def test_foreign_keys_hold(generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    # PostgreSQL checked every constraint while loading.


# --- the services carry on ------------------------------------------------------------------


def test_services_continue_on_a_generated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'oltp.sqlite'}"
    stats = generate(url, 3_000, seed=SEED, progress=False)
    engine = open_store(url)
    try:
        today = stats.as_of + timedelta(days=3)
        customer, material = _rows(engine, """
            SELECT o.sold_to, i.material_id FROM sales_order o
            JOIN sales_order_item i ON i.order_id = o.order_id
            JOIN stock s ON s.material_id = i.material_id AND s.plant = i.plant
            JOIN material_plant mp ON mp.material_id = i.material_id AND mp.plant = i.plant
            WHERE s.unrestricted - mp.open_confirmed_qty >= 1 AND o.currency = 'EUR'
            ORDER BY o.order_id LIMIT 1""")[0]
        order = create_sales_order(engine, SalesOrderInput(
            customer, today, (OrderItemInput(material, Decimal(1)),)), today=today)
        assert order.order_id == stats.next_numbers["sales_order"]
        assert order.items[0].confirmed_qty == 1
        delivery = create_delivery(engine, DeliveryInput(order.order_id), today=today)
        assert delivery.delivery_id == stats.next_numbers["delivery"]
        post_goods_issue(engine, GoodsIssueInput(delivery.delivery_id), posting_date=today)
        invoice = create_invoice(engine, InvoiceInput((delivery.delivery_id,)),
                                 billing_date=today)
        assert invoice.billing_id == stats.next_numbers["billing_document"]
        payment = post_incoming_payment(engine, IncomingPaymentInput(
            invoice.payer, invoice.gross_amount, invoice.currency,
            billing_ids=(invoice.billing_id,)), payment_date=today + timedelta(days=40))
        assert payment.payment_id == stats.next_numbers["payment"]
        status = order_status(engine, order.order_id)
        assert status is not None and status.delivery_status == "C"
        count, high = _rows(engine, "SELECT count(*), max(seq) FROM change_log")[0]
        assert count == high > stats.change_log_rows
    finally:
        engine.dispose()


# --- distributions --------------------------------------------------------------------------


def _frame(engine: sa.Engine, sql: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(sa.text(sql), conn)


def test_products_and_customers_are_zipf_skewed(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated
    per_material = _frame(engine, "SELECT material_id, count(*) AS n FROM sales_order_item "
                                  "GROUP BY material_id")["n"].sort_values(ascending=False)
    top = per_material.head(max(1, len(per_material) // 10)).sum() / per_material.sum()
    assert top > 0.30, f"top 10% of materials have only {top:.0%} of the lines"
    per_customer = _frame(engine, "SELECT sold_to, count(*) AS n FROM sales_order "
                                  "GROUP BY sold_to")["n"].sort_values(ascending=False)
    top = per_customer.head(max(1, len(per_customer) // 10)).sum() / per_customer.sum()
    assert top > 0.25, f"top 10% of customers have only {top:.0%} of the orders"


def test_seasonality_partial_deliveries_and_late_payments(
        generated: tuple[sa.Engine, GenerationStats]) -> None:
    engine, _ = generated
    orders = _frame(engine, "SELECT order_date FROM sales_order")
    day = pd.to_datetime(orders["order_date"])
    per_month = day.groupby(day.dt.to_period("M")).size()
    months = per_month.index.month
    assert per_month[months >= 10].mean() > 1.15 * per_month[months <= 9].mean()
    weekend = (day.dt.day_of_week >= 5).mean()
    assert weekend < 0.15, f"{weekend:.0%} of orders on weekends"
    deliveries = _frame(engine, "SELECT order_id, count(DISTINCT delivery_id) AS n "
                                "FROM delivery_item GROUP BY order_id")
    partial = (deliveries["n"] > 1).mean()
    assert 0.08 < partial < 0.25, f"{partial:.0%} of orders delivered in parts"
    paid = _frame(engine, """SELECT p.payment_date, o.due_date FROM payment_item pi
        JOIN payment p ON p.payment_id = pi.payment_id
        JOIN open_item o ON o.open_item_id = pi.open_item_id
        WHERE o.amount > 0 AND o.residual_of IS NULL""")
    late = (pd.to_datetime(paid["payment_date"]) > pd.to_datetime(paid["due_date"])).mean()
    assert 0.12 < late < 0.30, f"{late:.0%} of invoices paid late"
    assert _scalar(engine, "SELECT count(*) FROM payment_item WHERE residual_item_id "
                           "IS NOT NULL") > 0
    assert _scalar(engine, "SELECT count(*) FROM billing_document WHERE category = 'N'") > 0
    assert _scalar(engine, "SELECT count(*) FROM billing_document WHERE category = 'O'") > 0
    assert _scalar(engine, "SELECT count(*) FROM sales_order_item "
                           "WHERE rejection_reason IS NOT NULL") > 0
    # The recent past is still open: unbilled deliveries, unpaid items, open POs.
    assert _scalar(engine, "SELECT count(*) FROM open_item WHERE cleared_by IS NULL "
                           "AND kind = 'AR'") > 0
    assert _scalar(engine, """SELECT count(*) FROM purchase_order_item p WHERE NOT EXISTS
        (SELECT 1 FROM material_document_item m WHERE m.po_id = p.po_id
         AND m.po_item = p.item_no)""") > 0


def test_landscape_overlapping_customers_match_the_ground_truth(tmp_path: Path) -> None:
    stats = generate_landscape(tmp_path, 3_000, seed=SEED, progress=False)
    assert set(stats) == {"current", "legacy"}
    truth = pd.read_csv(tmp_path / TRUTH_FILE, dtype=str)
    assert set(truth.columns) >= {"company_id", "system", "system_id", "customer_id"}
    members = {name: set(t["company_id"]) for name, t in truth.groupby("system")}
    both = members["current"] & members["legacy"]
    jaccard = len(both) / len(members["current"] | members["legacy"])
    assert 0.22 < jaccard < 0.38, f"overlap {jaccard:.2f}"
    customers = {}
    for name in ("current", "legacy"):
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'oltp_{name}.sqlite'}")
        customers[name] = _frame(engine, "SELECT * FROM customer")
        first_order = _scalar(engine, "SELECT min(order_id) FROM sales_order")
        assert first_order == (1_000_000 if name == "current" else 5_000_000)
        engine.dispose()
        mapped = truth[truth["system"] == name]
        assert set(mapped["customer_id"]) == set(customers[name]["customer_id"])
    # The same company is written differently: other numbers, names, phones.
    joined = (truth[truth["system"] == "current"]
              .merge(customers["current"], on="customer_id")
              .merge(truth[truth["system"] == "legacy"]
                     .merge(customers["legacy"], on="customer_id"), on="company_id"))
    assert len(joined) == len(both)
    assert (joined["customer_id_x"] != joined["customer_id_y"]).all()
    assert (joined["name_x"] != joined["name_y"]).mean() > 0.3
    phones = joined.dropna(subset=["phone_x", "phone_y"])
    assert (phones["phone_x"] != phones["phone_y"]).mean() > 0.5
    assert stats["legacy"].truth["system_id"].eq(LEGACY.system_id).all()


def test_cli_generates_a_landscape_and_prints_a_summary(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--lines", "500", "--systems", "current,legacy", "--data-dir", str(tmp_path),
            "--seed", "3", "--no-progress"]
    result = runner.invoke(cli_generate, args)
    assert result.exit_code == 0, result.output
    assert "current: sqlite:///" in result.output and "legacy: sqlite:///" in result.output
    assert "500 order items" in result.output and TRUTH_FILE in result.output
    again = runner.invoke(cli_generate, args)
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(cli_generate, [*args, "--force"]).exit_code == 0
    bad = runner.invoke(cli_generate, ["--systems", "a,b", "--url", "sqlite:///x.sqlite"])
    assert bad.exit_code == 2 and "one system" in bad.output
