"""Orders from channels go through order entry: once per order, with the channel, linked to
the interaction, answered by an outbound interaction. Net values are recomputed from the
worked examples' prices (M1 12.50, M2 6.00); stock is 100 PC of M1, none of M2."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from channels_inputs import TODAY, Ic, as_json, email

from kubus.config.settings import ModelSource, Settings, StoreSettings
from kubus.etl.pipeline import run_load
from kubus.etl.sources import Source
from kubus.oltp.availability import StockOnlyChecker
from kubus.oltp.schema import sales_order
from kubus.server.app import create_app
from kubus.server.workspace import Workspace

pytest_plugins = ["channels_support"]

PRICES = {"M1": Decimal("12.50"), "M2": Decimal("6.00")}
BUSINESS_MODEL = Path(str(resources.files("kubus.config").joinpath("models", "business.json")))


def test_orders_by_email_fax_and_web_once_per_order_with_channel(ic: Ic) -> None:
    mail = email("order-1@acme.example", subject="Bestellung",
                 body="Guten Tag,\nbitte liefern Sie:\nORDER M1 10 by 2024-03-12\n"
                      "REF PO-4711\nMit freundlichen Grüßen\n")
    fax = {"fax_id": "fax-77", "sender_number": "+49 30 1234567", "pages": 1,
           "received_at": "2024-03-04T08:30:00", "text": "Bestellung\norder m2 5 PC\n"}
    web = {"order_ref": "W-1001", "submitted_at": "2024-03-04T10:00:00Z", "customer_id": "C1",
           "items": [{"material_id": "M1", "quantity": "20",
                      "requested_delivery_date": "2024-03-14"}]}
    inputs = [("email", mail), ("faxes", as_json(fax)), ("web-orders", as_json(web))]
    reports = [ic.service.ingest(adapter, data) for adapter, data in inputs]
    assert [r.orders_created for r in reports] == [1, 1, 1]
    # Redelivery of all three: no second order.
    again = [ic.service.ingest(adapter, data) for adapter, data in inputs]
    assert [r.duplicates for r in again] == [1, 1, 1]
    orders = ic.rows("SELECT channel, sold_to, net_value, customer_reference, order_id "
                     "FROM sales_order ORDER BY channel")
    expected = [("email", "C1", 10 * PRICES["M1"], "PO-4711"),
                ("fax", "C1", 5 * PRICES["M2"], "fax-77"),
                ("web", "C1", 20 * PRICES["M1"], "W-1001")]
    assert [(c, s, Decimal(str(v)), r) for c, s, v, r, _ in orders] == expected
    links = ic.rows("SELECT i.channel, i.direction, i.topic, i.outcome, i.order_id, "
                    "i.parent_id IS NULL FROM interaction i ORDER BY i.channel, i.direction")
    order_of = {c: o for c, _, _, _, o in orders}
    assert links == [
        ("email", "in", "order", "order_created", order_of["email"], True),
        ("email", "out", "order_confirmation", "sent", order_of["email"], False),
        ("fax", "in", "order", "order_created", order_of["fax"], True),
        ("fax", "out", "order_confirmation", "sent", order_of["fax"], False),
        ("web", "in", "order", "order_created", order_of["web"], True),
        ("web", "out", "order_confirmation", "sent", order_of["web"], False)]
    # The confirmation names the confirmed quantity and date; M2 has no stock.
    texts = dict(ic.rows("SELECT channel, text_excerpt FROM interaction WHERE direction = "
                         "'out'"))
    assert "10.000 on 2024-03-12" in texts["email"]
    assert "not confirmed yet" in texts["fax"]
    # The sales order is the one order entry wrote: items and schedule lines exist.
    assert ic.scalar("SELECT COUNT(*) FROM sales_order_item") == 3
    assert ic.rows("SELECT entity FROM change_log WHERE entity = 'sales_order'") == [
        ("sales_order",)] * 3


def test_a_refused_order_is_answered_with_the_reason_and_leaves_no_order(ic: Ic) -> None:
    mail = email("order-2@acme.example", body="ORDER NOPE 3\n")
    (item,) = ic.service.ingest("email", mail).items
    assert item.order_id is None and item.reply_id is not None
    assert "NOPE" in (item.reason or "")
    assert ic.scalar(f"SELECT COUNT(*) FROM {sales_order.name}") == 0
    assert ic.rows("SELECT direction, outcome, topic FROM interaction ORDER BY 1") == [
        ("in", "order_rejected", "order"), ("out", "sent", "order_rejection")]


def test_an_order_from_an_unknown_or_ambiguous_sender_waits_for_review(ic: Ic) -> None:
    fax = {"fax_id": "fax-amb", "sender_number": "040 5550100",
           "received_at": "2024-03-04T08:30:00", "text": "ORDER M1 1"}
    unknown = {"order_ref": "W-2", "submitted_at": "2024-03-04T10:00:00",
               "email": "new@shop.example", "items": [{"material_id": "M1", "quantity": 1}]}
    (amb,) = ic.service.ingest("faxes", as_json(fax)).items
    (new,) = ic.service.ingest("web-orders", as_json(unknown)).items
    assert (amb.identification, amb.order_id, amb.reply_id) == ("ambiguous", None, None)
    assert (new.identification, new.order_id, new.reply_id) == ("prospect", None, None)
    assert ic.scalar("SELECT COUNT(*) FROM sales_order") == 0
    assert {r[0] for r in ic.rows("SELECT outcome FROM interaction")} == {"needs_review"}


def test_order_entry_uses_the_checker_the_caller_passes(ic: Ic) -> None:
    class Nothing(StockOnlyChecker):
        """Confirms nothing: proves the service calls this checker, not a default."""

        def check(self, conn, request):  # type: ignore[no-untyped-def]
            return []

        def check_many(self, conn, requests):  # type: ignore[no-untyped-def]
            return [[] for _ in requests]

    from kubus.channels.ingest import IngestService

    service = IngestService(ic.engine, checker=Nothing(), today=lambda: TODAY)
    (item,) = service.ingest("email", email("o3@acme.example", body="ORDER M1 10")).items
    assert item.order_id is not None
    assert ic.scalar("SELECT SUM(confirmed_qty) FROM sales_order_schedule_line") in (0, None)


def test_channel_orders_reach_the_sales_and_interactions_cubes(ic: Ic, tmp_path: Path) -> None:
    """Issue 6's acceptance: one order each by e-mail, fax and web for the same customer is
    one order per channel in the ``sales`` cube, and the ``interactions`` cube shows the three
    inbound contacts (plus the three confirmations sent)."""
    mail = email("cube-1@acme.example", subject="Bestellung", body="ORDER M1 2\n")
    fax = {"fax_id": "fax-c1", "sender_number": "+49 30 1234567",
           "received_at": "2024-03-04T08:30:00", "text": "ORDER M1 4\n"}
    web = {"order_ref": "W-c1", "submitted_at": "2024-03-04T10:00:00Z", "customer_id": "C1",
           "items": [{"material_id": "M1", "quantity": "6"}]}
    for adapter, data in (("email", mail), ("faxes", as_json(fax)), ("web-orders", as_json(web))):
        assert ic.service.ingest(adapter, data).orders_created == 1
    warehouse = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    engine = sa.create_engine(warehouse)
    try:
        run_load(engine, [Source("erp", ic.oltp.url)], today=TODAY)
    finally:
        engine.dispose()
    settings = Settings(stores={"default": StoreSettings("default", url=warehouse)},
                        models=(ModelSource(path=BUSINESS_MODEL),))
    workspace = Workspace.from_settings(settings)
    try:
        client = create_app(workspace).test_client()
        sales = client.get("/cube/sales/aggregate?drilldown=channel").get_json()
        by_channel = {c["channel.channel"]: (c["orders"], c["order_value"])
                      for c in sales["cells"]}
        assert by_channel == {"email": (1, float(2 * PRICES["M1"])),
                              "fax": (1, float(4 * PRICES["M1"])),
                              "web": (1, float(6 * PRICES["M1"]))}
        contacts = client.get("/cube/interactions/aggregate?drilldown=channel|direction"
                              ).get_json()
        cells = {(c["channel.channel"], c["direction"]): (c["contacts"], c["orders"])
                 for c in contacts["cells"]}
        assert cells == {(ch, d): (1, 1 if d == "in" else 0)
                         for ch in ("email", "fax", "web") for d in ("in", "out")}
    finally:
        workspace.close()
