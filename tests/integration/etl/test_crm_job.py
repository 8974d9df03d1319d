"""The customer-analytics job on DuckDB, SQLite and PostgreSQL with hand-made facts.

Expected values come from the worked examples (CRM-1) or are worked out by hand in comments.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from kubus.etl.crm.job import CustomerAnalyticsSettings, run_customer_analytics
from kubus.etl.warehouse_schema import (
    dim_customer,
    fact_billing_item,
    fact_customer,
    fact_order_item,
    metadata,
)

CRM1 = [  # customer key, days since last order, orders, amount, expected RFM (domain.md §5.1)
    (1, 5, 12, 4800, "555"), (2, 12, 8, 2600, "544"), (3, 40, 10, 3900, "455"),
    (4, 75, 3, 450, "322"), (5, 20, 6, 1500, "444"), (6, 200, 1, 90, "111"),
    (7, 150, 2, 300, "222"), (8, 95, 4, 1200, "233"), (9, 300, 1, 60, "111"),
    (10, 60, 5, 700, "333"),
]
KEY_DATE = date(2024, 3, 31)


def key(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


@pytest.fixture
def warehouse(backend):
    # The backend database is shared by the whole session: leave no warehouse tables behind
    # (other tests own tables such as dim_date there).
    metadata.create_all(backend.engine)
    with backend.engine.begin() as conn:
        for table in (fact_order_item, fact_billing_item, fact_customer, dim_customer):
            conn.execute(sa.delete(table))
    yield backend.engine
    metadata.drop_all(backend.engine)


class Facts:
    """Builds order and billing facts; every order gets its own id."""

    def __init__(self) -> None:
        self.lines: list[dict] = []
        self.billing: list[dict] = []
        self.next_order = 1

    def order(self, customer: int, day: date, *values: float, rejected: tuple[float, ...] = (),
              source: int = 1) -> None:
        items = [(v, 0) for v in values] + [(v, 1) for v in rejected]
        for no, (value, is_rejected) in enumerate(items, start=1):
            self.lines.append({
                "source_key": source, "order_id": self.next_order, "item_no": no,
                "order_date_key": key(day), "customer_key": customer, "currency": "EUR",
                "quantity": 1, "net_value": value, "net_value_gc": value,
                "rejected": is_rejected, "line_count": 1 - is_rejected,
                "order_first_line": int(no == 1)})
        self.next_order += 1

    def bill(self, customer: int, day: date, net: float, cost: float) -> None:
        self.billing.append({
            "source_key": 1, "billing_id": len(self.billing) + 1, "item_no": 1,
            "billing_date_key": key(day), "customer_key": customer, "currency": "EUR",
            "net_value": net, "net_value_gc": net, "cost": cost, "cost_gc": cost})

    def write(self, engine, customers: dict[int, date | None]) -> None:
        with engine.begin() as conn:
            conn.execute(dim_customer.insert(), [
                {"customer_key": c, "global_id": f"G-{c:06d}", "customer_name": f"C{c:02d}",
                 "customer_since": since, "segment": "stale"} for c, since in customers.items()])
            if self.lines:
                conn.execute(fact_order_item.insert(), self.lines)
            if self.billing:
                conn.execute(fact_billing_item.insert(), self.billing)
        self.lines, self.billing = [], []


def fact_rows(engine) -> dict[int, sa.Row]:
    with engine.connect() as conn:
        return {r.customer_key: r for r in conn.execute(sa.select(fact_customer))}


def segments(engine) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(dim_customer.c.customer_key, dim_customer.c.segment))
        return dict(rows.all())


def test_crm1_from_order_facts(warehouse) -> None:
    facts = Facts()
    for customer, days, orders, amount, _ in CRM1:
        last = KEY_DATE - timedelta(days=days)
        each = amount / orders
        for i in range(orders):       # weekly before the last order; the first has two lines
            day = last - timedelta(days=7 * i)
            if i == 0:
                facts.order(customer, day, each / 2, each / 2, rejected=(999.0,))
            else:
                facts.order(customer, day, each)
    # Left out: an order after the key date, an order without a customer, a fully rejected one.
    facts.order(9, KEY_DATE + timedelta(days=1), 10_000)
    facts.order(0, KEY_DATE - timedelta(days=1), 10_000)
    facts.order(6, KEY_DATE - timedelta(days=1), rejected=(10_000.0,))
    # Older than the 365-day F/M window: moves neither F nor M (R uses the last order anyway).
    facts.order(1, KEY_DATE - timedelta(days=400), 50_000)
    customers: dict[int, date | None] = {c[0]: None for c in CRM1}
    facts.write(warehouse, {**customers, 11: date(2020, 1, 1)})   # 11 never ordered

    assert run_customer_analytics(warehouse, KEY_DATE) == 10
    rows = fact_rows(warehouse)
    assert {c: r.rfm for c, r in rows.items()} == {c[0]: c[4] for c in CRM1}
    for customer, days, orders, amount, _ in CRM1:
        row = rows[customer]
        assert (row.recency_days, row.frequency, float(row.monetary_gc)) == (
            days, orders, pytest.approx(amount, abs=0.02))
        assert row.customer_count == 1
        assert row.key_date_key == 20240331
        assert row.last_order_date_key == key(KEY_DATE - timedelta(days=days))
    assert rows[1].first_order_date_key == key(KEY_DATE - timedelta(days=400))
    seg = segments(warehouse)
    assert seg[1] == "champions" and seg[6] == "lost" and seg[8] == "at_risk"
    assert seg[11] == ""                                         # no orders: no segment
    assert all(seg[c] == rows[c].segment for c in rows)
    # A rerun at the same key date gives the same table (idempotent rewrite).
    assert run_customer_analytics(warehouse, KEY_DATE) == 10
    assert {c: r.rfm for c, r in fact_rows(warehouse).items()} == {c[0]: c[4] for c in CRM1}


def test_churn_indicators_and_r_drop_between_runs(warehouse) -> None:
    facts = Facts()
    # A: intervals 245, 10, 10 (median 10); last order 2024-01-21.
    for day in (date(2023, 5, 1), date(2024, 1, 1), date(2024, 1, 11), date(2024, 1, 21)):
        facts.order(1, day, 100)
    # B: monthly, intervals 30, 336, 30, 31 (median 30.5); recent 150 vs 200 a year earlier.
    for day, value in ((date(2023, 4, 15), 100), (date(2023, 5, 15), 100),
                       (date(2024, 4, 15), 50), (date(2024, 5, 15), 50),
                       (date(2024, 6, 15), 50)):
        facts.order(2, day, value)
    # C: 1,000 a year earlier, 100 in the last 3 months.
    facts.order(3, date(2023, 4, 1), 1000)
    facts.order(3, date(2024, 6, 1), 100)
    facts.write(warehouse, {1: None, 2: None, 3: None})

    # Run 1 at 2024-03-31: recency A 70, B 321, C 365 days → R scores 5, 3, 1.
    run_customer_analytics(warehouse, date(2024, 3, 31))
    assert {c: r.r_score for c, r in fact_rows(warehouse).items()} == {1: 5, 2: 3, 3: 1}
    # Run 2 at 2024-06-30: recency A 161, B 15, C 29 → R 1, 5, 3: A dropped 4 levels.
    run_customer_analytics(warehouse, date(2024, 6, 30))
    rows = fact_rows(warehouse)
    assert {c: r.r_score for c, r in rows.items()} == {1: 1, 2: 5, 3: 3}
    # A: overdue (161 > 2 x 10) 0.5 + revenue drop (0 < 50 % of 100) 0.3 + R drop 0.2.
    # B: nothing. C: revenue drop only (100 < 500) → 0.3, below the 0.5 threshold.
    assert {c: (round(r.churn_score, 6), r.churn_flag) for c, r in rows.items()} == {
        1: (1.0, 1), 2: (0.0, 0), 3: (0.3, 0)}


def test_clv_from_retention_and_billed_profit(warehouse) -> None:
    facts = Facts()
    since = date(2021, 7, 1)   # lifetime periods: 1 = 2021-07-01.., 2 = 2022-07-01.., 3 = now
    history = {1: (1, 2), 2: (1,), 3: (1, 2), 4: (2,)}
    profit = {(1, 1): 100, (2, 1): 50, (3, 1): 30, (1, 2): 80, (3, 2): 40, (4, 2): 120}
    for customer, periods in history.items():
        facts.order(customer, date(2024, 6, 1), 100)   # identical last year → RFM 333 for all
        facts.bill(customer, date(2024, 6, 2), 100, 10)  # current period: not in the curves
        for period in periods:
            day = date(2020 + period, 8, 1)
            facts.order(customer, day, 10)
            facts.bill(customer, day + timedelta(days=3), profit[customer, period] + 5, 5)
    facts.write(warehouse, dict.fromkeys(history, since))

    settings = CustomerAnalyticsSettings(clv_horizon=5, discount=0.10)
    assert run_customer_analytics(warehouse, date(2024, 6, 30), settings) == 4
    rows = fact_rows(warehouse)
    assert {r.rfm for r in rows.values()} == {"333"}
    # r_2 = 2 of the 3 period-1 customers ordered again in period 2; p_2 = (80 + 40 + 120) / 3
    # = 80. Both repeat beyond the last observed period (carry forward). The customers are in
    # period 3, so CLV = Σ_{j=1..5} 80 · (2/3)^j / 1.1^j.
    expected = sum(80 * (2 / 3) ** j / 1.1 ** j for j in range(1, 6))
    assert {c: float(r.clv_gc) for c, r in rows.items()} == dict.fromkeys(
        history, pytest.approx(expected, abs=0.01))


def test_empty_warehouse_scores_nobody(warehouse) -> None:
    with warehouse.begin() as conn:
        conn.execute(fact_customer.insert(), [{"customer_key": 5, "rfm": "111"}])
    assert run_customer_analytics(warehouse, KEY_DATE) == 0
    assert fact_rows(warehouse) == {}


def quintile_oracle(values: list[float], higher_is_better: bool) -> list[int]:
    """The documented tie rule, restated in plain Python (mid-rank percentile, 5 buckets)."""
    n, sign, out = len(values), (1 if higher_is_better else -1), []
    for x in values:
        worse = sum(1 for y in values if sign * y < sign * x)
        tied = sum(1 for y in values if y == x)
        out.append(min(5, 1 + int(5 * (worse + (tied + 1) / 2 - 0.5) / n + 1e-9)))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_random_orders_match_a_plain_python_recomputation(warehouse, seed: int) -> None:
    import random

    rng = random.Random(seed)
    facts = Facts()
    orders: dict[int, list[tuple[date, float]]] = {}
    for _ in range(300):
        customer = rng.randint(1, 40)
        day = KEY_DATE - timedelta(days=rng.randint(-20, 500))   # some after the key date
        value = rng.choice([10.0, 25.5, 99.99, 100.0, 250.0])     # many ties in M
        facts.order(customer, day, value)
        if day <= KEY_DATE:
            orders.setdefault(customer, []).append((day, value))
    facts.write(warehouse, dict.fromkeys(range(1, 41)))

    assert run_customer_analytics(warehouse, KEY_DATE) == len(orders)
    keys = sorted(orders)
    window = KEY_DATE - timedelta(days=365)
    recency = [(KEY_DATE - max(d for d, _ in orders[c])).days for c in keys]
    frequency = [sum(1 for d, _ in orders[c] if d > window) for c in keys]
    monetary = [round(sum(v for d, v in orders[c] if d > window), 2) for c in keys]
    expected = {c: f"{r}{f}{m}" for c, r, f, m in zip(
        keys, quintile_oracle(recency, False), quintile_oracle(frequency, True),
        quintile_oracle(monetary, True), strict=True)}
    rows = fact_rows(warehouse)
    assert {c: r.rfm for c, r in rows.items()} == expected
    assert {c: (r.recency_days, r.frequency) for c, r in rows.items()} == {
        c: (rec, f) for c, rec, f in zip(keys, recency, frequency, strict=True)}
