"""Transformations of the warehouse load: currency translation (BW-7), date keys and the date
dimension (ISO weeks, K4 fiscal periods), cleansing and customer-name normalisation."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from kubus.etl.customers import normalise_name
from kubus.etl.dimensions import ensure_dates
from kubus.etl.transform import clean_text, date_key, days_between, e164, lookup, translate
from kubus.etl.warehouse_schema import dim_date, metadata

RATES = pd.DataFrame({"from_currency": ["USD", "USD", "EUR"],
                      "to_currency": ["EUR", "EUR", "GBP"],
                      "valid_from": ["2024-03-28", "2024-04-01", "2024-01-01"],
                      "rate": [0.9250, 0.9500, 0.8]})


def test_bw7_latest_rate_on_or_before_the_document_date() -> None:
    got = translate(pd.Series([1000.0, 1000.0, 1000.0, 80.0, 10.0]),
                    pd.Series(["USD", "USD", "USD", "GBP", "EUR"]),
                    pd.Series(["2024-03-31", "2024-04-01", "2024-03-27", "2024-02-01",
                               "2024-03-31"]), RATES, "EUR")
    # 925.00 (rate of 03-28, not the one from 04-01); 950.00 from 04-01 on; none before
    # 03-28 -> 0; GBP only quoted as EUR->GBP 0.8 -> 1/0.8; EUR stays.
    assert got.tolist() == [925.0, 950.0, 0.0, 100.0, 10.0]


def test_date_keys_and_day_differences() -> None:
    assert date_key(pd.Series(["2024-03-15", "", None])).tolist() == [20240315, 0, 0]
    assert date_key(pd.Series([date(2024, 3, 15)])).tolist() == [20240315]
    assert days_between(pd.Series(["2024-03-04"]), pd.Series(["2024-03-20"])).tolist() == [16]


def test_date_dimension_iso_week_and_fiscal_period() -> None:
    engine = sa.create_engine("duckdb:///:memory:")
    metadata.create_all(engine, tables=[dim_date])
    with engine.begin() as conn:
        ensure_dates(conn, [pd.Series([20241230, 20250105])])
        rows = conn.execute(sa.select(dim_date.c.date_key, dim_date.c.iso_year,
                                      dim_date.c.iso_week, dim_date.c.weekday,
                                      dim_date.c.fiscal_period, dim_date.c.quarter)
                            .order_by(dim_date.c.date_key)).all()
    assert len(rows) == 7  # every day of the range
    # 2024-12-30 is a Monday in ISO week 1 of 2025; 0FISCPER (K4) 2024012.
    assert tuple(rows[0]) == (20241230, 2025, 1, 1, 2024012, 4)
    assert tuple(rows[-1]) == (20250105, 2025, 1, 7, 2025001, 1)


def test_cleansing() -> None:
    assert clean_text(pd.Series(["  Acme   GmbH ", None])).tolist() == ["Acme GmbH", ""]
    assert clean_text(pd.Series([" Info@Acme.DE"]), case="lower").tolist() == ["info@acme.de"]
    assert e164(pd.Series(["030/1234567", "(212) 555-0134", ""]),
                pd.Series(["DE", "US", "DE"])).tolist() == ["+49301234567", "+12125550134", ""]


@pytest.mark.parametrize(("left", "right"), [
    ("ACME GmbH", "Acme GmbH."),
    ("Brüden  Vertrieb G.m.b.H.", "Brueden Vertrieb GmbH"),
    ("Dorgate Supplies LLP", "DORGATE SUPPLIES L.L.P."),
    ("Garwick Outfitters, Incorporated", "Garwick Outfitters Inc."),
])
def test_name_normalisation_for_candidates(left: str, right: str) -> None:
    a, b = normalise_name(pd.Series([left, right])).tolist()
    assert a == b


def test_lookup_maps_naturals_to_keys() -> None:
    assert lookup(pd.Series(["M2", "M9", None, "M1"]), ["M1", "M2"], [7, 8]).tolist() == [
        8, 0, 0, 7]
