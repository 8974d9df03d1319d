"""``interactions`` (IC-1 of domain.md §6.6) and ``customers`` (analytical CRM, a campaign
target list as a facts export cut on the segment).
"""

from __future__ import annotations

import csv
import io

import pytest
from business_data import (
    CALL_ORDERS,
    CUSTOMER_FACTS,
    CUSTOMERS,
    EMAIL_ORDERS,
    EMAILS,
    IC1,
    Slicer,
    interaction_rows,
)

pytest_plugins = ["business_support"]


def test_ic1_service_level_and_abandonment_rate(bc: Slicer) -> None:
    calls = bc.summary("interactions", cut="channel:phone")
    assert calls["service_level"] == pytest.approx(0.800)      # 152 / (200 - 10)
    assert calls["abandonment_rate"] == pytest.approx(0.100)   # (200 - 180) / 200
    assert (calls["offered"], calls["answered"], calls["short_abandons"]) == (
        IC1["offered"], IC1["answered"], IC1["short_abandons"])
    # E-mails are never offered to a queue: the whole cube gives the same rates.
    everything = bc.summary("interactions")
    assert everything["service_level"] == pytest.approx(0.8)
    assert everything["abandonment_rate"] == pytest.approx(0.1)


def test_contacts_orders_and_conversion_per_channel(bc: Slicer) -> None:
    body = bc.aggregate("interactions", drilldown="channel|direction",
                        aggregates="contacts|orders|order_value|conversion_rate")
    got = {c["channel.channel"]: (c["direction"], c["contacts"], c["orders"], c["order_value"],
                                  c["conversion_rate"]) for c in body["cells"]}
    assert got == {
        "phone": ("in", IC1["offered"], CALL_ORDERS, CALL_ORDERS * 100,
                  pytest.approx(CALL_ORDERS / IC1["offered"])),
        "email": ("in", EMAILS, EMAIL_ORDERS, EMAIL_ORDERS * 250,
                  pytest.approx(EMAIL_ORDERS / EMAILS))}


def test_handling_time_fcr_and_response_time(bc: Slicer) -> None:
    rows = interaction_rows()
    handled = [r for r in rows if r["handling_seconds"] > 0]
    answered = [r for r in rows if r["answered_flag"]]
    written = [r["response_seconds"] for r in rows if r["response_seconds"] is not None]
    summary = bc.summary("interactions")
    assert summary["aht_seconds"] == pytest.approx(
        sum(r["handling_seconds"] for r in handled) / len(handled))
    assert summary["asa_seconds"] == pytest.approx(
        sum(r["wait_seconds"] for r in answered) / len(answered))
    assert summary["fcr_rate"] == pytest.approx(
        sum(r["resolved_first_contact_flag"] for r in rows) / len(rows))
    assert summary["average_response_seconds"] == pytest.approx(sum(written) / len(written))
    topics = bc.aggregate("interactions", drilldown="topic", aggregates="contacts")
    assert {c["topic"]: c["contacts"] for c in topics["cells"]} == {
        "complaint": 1, "order": len(rows) - 1}


def test_campaign_target_list_is_a_facts_export_cut_on_the_segment(bc: Slicer) -> None:
    text = bc.get("/cube/customers/facts", cut="segment:champions", format="csv",
                  header="names")
    records = list(csv.DictReader(io.StringIO(text)))
    wanted = {g: n for _, g, n, *_, s in CUSTOMERS if s == "champions"}
    assert {r["customer.global_id"]: r["customer.customer_name"] for r in records} == wanted
    assert {r["segment"] for r in records} == {"champions"}
    first = next(r for r in records if r["customer.global_id"] == "G-000001")
    assert first["email"] == "buyer1@example.com" and first["rfm"] == "555"
    assert first["customer_key"] == "1"  # the cube key names the key column


def test_target_list_with_chosen_fields(bc: Slicer) -> None:
    text = bc.get("/cube/customers/facts", cut="segment:at_risk", format="csv",
                  header="names", fields="customer.global_id,customer.customer_name,email,"
                                         "phone,rfm,recency_days")
    records = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["customer.global_id"] for r in records) == ["G-000004", "G-000006"]
    assert list(records[0]) == ["customer_key", "customer.global_id", "customer.customer_name",
                                "email", "phone", "rfm", "recency_days"]


def test_rfm_clv_and_churn_by_segment(bc: Slicer) -> None:
    body = bc.aggregate("customers", drilldown="segment",
                        aggregates="customers|average_recency_days|monetary|clv|churn_rate")
    got = {c["segment"]: c for c in body["cells"]}
    segments = {k: s for k, *_, s in CUSTOMERS}
    for segment in set(segments.values()):
        keys = [k for k, s in segments.items() if s == segment]
        facts = [CUSTOMER_FACTS[k] for k in keys]
        cell = got[segment]
        assert cell["customers"] == len(keys)
        assert cell["average_recency_days"] == pytest.approx(
            sum(f[0] for f in facts) / len(facts))
        assert cell["monetary"] == sum(f[2] for f in facts)
        assert cell["clv"] == sum(f[6] for f in facts)
        assert cell["churn_rate"] == pytest.approx(sum(f[7] for f in facts) / len(facts))
    by_r = bc.aggregate("customers", drilldown="r_score", aggregates="customers")
    assert {c["r_score"]: c["customers"] for c in by_r["cells"]} == {5: 2, 4: 1, 2: 1, 1: 2}
