"""The status rule A/B/C in Python and in SQL agree for any quantities (a property test), and
schedule lines are built from confirmations as documented."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from kubus.oltp.availability import Confirmation
from kubus.oltp.services._orders import lines_from_confirmations
from kubus.oltp.status import combine, derive_status, status_expr

quantities = st.decimals(min_value=0, max_value=10_000, places=3, allow_nan=False)


@given(done=quantities, relevant=quantities.filter(lambda q: q > 0))
def test_derive_status_rule(done: D, relevant: D) -> None:
    status = derive_status(done, relevant)
    assert (status == "A") == (done == 0)
    assert (status == "C") == (done >= relevant)


@settings(max_examples=50, deadline=None)
@given(pairs=st.lists(st.tuples(quantities, quantities.filter(lambda q: q > 0)),
                      min_size=1, max_size=20))
def test_sql_status_equals_python_status(pairs: list[tuple[D, D]]) -> None:
    engine = sa.create_engine("sqlite://")
    table = sa.Table("q", sa.MetaData(), sa.Column("n", sa.Integer, primary_key=True),
                     sa.Column("done", sa.Numeric(13, 3)), sa.Column("relevant",
                                                                     sa.Numeric(13, 3)))
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"n": n, "done": d, "relevant": r}
                                      for n, (d, r) in enumerate(pairs)])
        sql = [r[0] for r in conn.execute(
            sa.select(status_expr(table.c.done, table.c.relevant)).order_by(table.c.n))]
    assert sql == [derive_status(d, r) for d, r in pairs]


@given(st.lists(st.sampled_from("ABC"), max_size=6))
def test_combine(statuses: list[str]) -> None:
    header = combine(statuses)
    if not statuses or set(statuses) == {"C"}:
        assert header == "C"
    elif set(statuses) == {"A"}:
        assert header == "A"
    else:
        assert header == "B"


def test_schedule_lines_from_confirmations() -> None:
    wanted = date(2024, 3, 14)
    lines = lines_from_confirmations(1, 10, D(60), wanted, [
        Confirmation(D(40), wanted, material_availability_date=date(2024, 3, 7)),
        Confirmation(D(20), date(2024, 3, 25), material_availability_date=date(2024, 3, 18))])
    assert [(x["line_no"], x["delivery_date"], x["requested_qty"], x["confirmed_qty"],
             x["material_availability_date"]) for x in lines] == [
        (1, wanted, D(60), D(40), date(2024, 3, 7)),
        (2, date(2024, 3, 25), D(0), D(20), date(2024, 3, 18))]
    nothing = lines_from_confirmations(1, 10, D(5), wanted, [])
    assert [(x["requested_qty"], x["confirmed_qty"]) for x in nothing] == [(D(5), D(0))]
