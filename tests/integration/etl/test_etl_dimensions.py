"""Late-arriving dimension members and stable surrogate keys, on a real DuckDB warehouse: a
fact naming an unknown customer or material gets an inferred member, which the later
master-data load fills in under the same key."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from etl_support import rows

from kubus.etl import dimensions as dims
from kubus.etl.customers import customer_keys, upsert_customers
from kubus.etl.warehouse_schema import metadata

pytest_plugins = ["etl_support"]


def _customer(customer_id: str, name: str, vat: str | None) -> pd.DataFrame:
    return pd.DataFrame([{"customer_id": customer_id, "name": name, "city": " Berlin ",
                          "postal_code": "10115", "region": "be", "country": "de",
                          "vat_number": vat, "email": " Info@Acme.DE ",
                          "phone": "030/1234567", "created_on": "2020-01-02"}])


def test_inferred_members_are_filled_in_later(duck: sa.Engine) -> None:
    metadata.create_all(duck)
    with duck.begin() as conn:
        dims.ensure_unassigned(conn)
        source = dims.source_key(conn, "A", "System A")
        upsert_customers(conn, source, "A", _customer("1", "Known AG", "DE1"), date(2024, 1, 1))
        # An order names customer 2 and material M7 before their master records are loaded.
        keys = customer_keys(conn, "A", pd.Series(["2", "1", None]))
        products = dims.member_keys(conn, dims.PRODUCT, pd.Series(["M7", ""]), source)
    assert keys.tolist() == [2, 1, 0] and products.tolist() == [1, 0]
    assert rows(duck, "SELECT match_rule FROM customer_xref WHERE customer_id = '2'") == [
        ("inferred",)]
    assert rows(duck, "SELECT customer_name FROM dim_customer WHERE customer_key = 2") == [("",)]
    with duck.begin() as conn:
        upsert_customers(conn, source, "A", _customer("2", "  Late   GmbH ", "DE 2"),
                         date(2024, 1, 5))
        dims.upsert_members(conn, dims.PRODUCT, pd.DataFrame(
            [{"material_id": "M7", "product_name": "Widget"}]), source)
    # Same keys, attributes filled in and cleansed.
    assert rows(duck, "SELECT customer_key, customer_name, city, country, district, email, "
                "phone, vat_number FROM dim_customer WHERE customer_key = 2") == [
        (2, "Late GmbH", "Berlin", "DE", "BE", "info@acme.de", "+49301234567", "DE2")]
    assert rows(duck, "SELECT match_rule FROM customer_xref WHERE customer_id = '2'") == [
        ("new",)]
    # The inferred member's empty version got the attributes (facts posted with it keep it).
    assert rows(duck, "SELECT CAST(valid_from AS VARCHAR), CAST(valid_to AS VARCHAR), country, "
                "district FROM dim_customer_version WHERE customer_key = 2") == [
        ("1900-01-01", "9999-12-31", "DE", "BE")]
    assert rows(duck, "SELECT product_key, product_name FROM dim_product WHERE "
                "material_id = 'M7'") == [(1, "Widget")]
    # Every dimension has its "not assigned" member 0.
    for table, key in (("dim_customer", "customer_key"), ("dim_product", "product_key"),
                       ("dim_plant", "plant_key"), ("dim_channel", "channel_key"),
                       ("dim_date", "date_key"), ("dim_customer_version",
                                                  "customer_version_key")):
        assert rows(duck, f"SELECT COUNT(*) FROM {table} WHERE {key} = 0") == [(1,)]
