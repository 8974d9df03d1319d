"""Master data of the OLTP demo generator, as column arrays per table.

Configuration comes from :mod:`kubus.oltp.gen_config`; materials, vendors and purchasing info
come from the seed
and are the same in every source system of a landscape; customers are the system's view of
the shared company pool (:mod:`kubus.oltp.gen_companies`). Besides the table rows,
:class:`Master` carries the per-member arrays the document simulation samples from.

Example::

    master = build_master(rng, spec, lines=100_000, seed=42)
    master.tables["material"]["material_id"][:3]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kubus.oltp.gen_companies import SpellingStyle, company_pool, system_view
from kubus.oltp.gen_config import (
    COUNTRY_CURRENCY,
    CURRENCIES,
    PLANTS,
    ROUTES,
    SALES_AREA,
    STORAGE_LOCATION,
    TERMS,
    Columns,
    configuration,
    route_index,
)
from kubus.oltp.gen_distributions import cdf, or_none, sample, to_days, zipf_cdf

__all__ = ["CURRENCIES", "PLANTS", "ROUTES", "SALES_AREA", "STORAGE_LOCATION", "TERMS", "Master",
           "build_master", "customer_days", "sales_price_cents"]

CATEGORIES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("Electronics", 450.0, ("Laptops", "Monitors", "Phones", "Audio", "Cameras")),
    ("Office Supplies", 8.0, ("Paper", "Pens", "Binders", "Labels", "Envelopes")),
    ("Furniture", 220.0, ("Desks", "Chairs", "Shelves", "Cabinets", "Lamps")),
    ("Kitchen", 45.0, ("Cookware", "Cutlery", "Appliances", "Storage", "Coffee")),
    ("Books", 25.0, ("Fiction", "Business", "Children", "Travel", "Science")),
    ("Tools", 60.0, ("Power Tools", "Hand Tools", "Fasteners", "Safety", "Measuring")),
)
BRANDS = ("Acme", "Nordwind", "Vertex", "Orion", "Helix", "Kestrel", "Lumen", "Atlas")
VENDOR_WORDS = ("Global", "Euro", "Prime", "Delta", "Union", "Nova", "Summit", "Pioneer")
VENDOR_NOUNS = ("Components", "Manufacturing", "Wholesale", "Distribution", "Industrial",
                "Import", "Electronics", "Supply")
PRODUCT_ZIPF = 1.0
CUSTOMER_ZIPF = 0.9


# Empty arrays as dataclass defaults (build_master fills them in).
def _no_objects() -> np.ndarray:
    return np.zeros(0, dtype=object)


def _no_ints() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def _no_floats() -> np.ndarray:
    return np.zeros(0)


def _no_bools() -> np.ndarray:
    return np.zeros(0, dtype=bool)


@dataclass
class Master:
    """Master-data rows per table plus the arrays the document simulation needs.

    Filled step by step by :func:`build_master`; the generator sets the customers' creation
    dates and the open confirmed quantities once the documents are simulated.
    """

    tables: dict[str, Columns] = field(default_factory=dict)
    # customers (index = row of tables["customer"])
    customer_id: np.ndarray = field(default_factory=_no_objects)
    customer_cdf: np.ndarray = field(default_factory=_no_floats)
    customer_country: np.ndarray = field(default_factory=_no_objects)
    customer_currency: np.ndarray = field(default_factory=_no_ints)
    customer_terms: np.ndarray = field(default_factory=_no_ints)
    customer_plant: np.ndarray = field(default_factory=_no_ints)
    customer_route: np.ndarray = field(default_factory=_no_ints)
    customer_complete: np.ndarray = field(default_factory=_no_bools)
    customer_discount: np.ndarray = field(default_factory=_no_floats)
    customer_payer: np.ndarray = field(default_factory=_no_ints)
    # materials (index = row of tables["material"])
    material_id: np.ndarray = field(default_factory=_no_objects)
    material_cdf: np.ndarray = field(default_factory=_no_floats)
    material_price: np.ndarray = field(default_factory=_no_floats)  # EUR list price
    material_cost_cents: np.ndarray = field(default_factory=_no_ints)
    material_quantity_p: np.ndarray = field(default_factory=_no_floats)
    material_tax_class: np.ndarray = field(default_factory=_no_objects)
    material_vendor: np.ndarray = field(default_factory=_no_ints)
    purchase_price_cents: np.ndarray = field(default_factory=_no_ints)
    planned_delivery_days: np.ndarray = field(default_factory=_no_ints)
    vendor_id: np.ndarray = field(default_factory=_no_objects)
    vendor_terms: np.ndarray = field(default_factory=_no_ints)
    # currency conversion: units of currency c per EUR at each year index of the history
    price_factor: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    holidays: dict[str, np.ndarray] = field(default_factory=dict)
    truth: pd.DataFrame = field(default_factory=pd.DataFrame)


def _objects(column: pd.Series) -> np.ndarray:
    """A column as an object array with ``None`` for missing values (pandas uses NaN)."""
    values = column.to_numpy(dtype=object)
    return or_none(~column.isna().to_numpy(), values)


def _str(values: np.ndarray, fmt: str) -> np.ndarray:
    return pd.Series(values).map(fmt.format).to_numpy(dtype=object)


def _full(n: int, value: object) -> np.ndarray:
    return np.full(n, value, dtype=object)


def build_master(rng: np.random.Generator, *, seed: int, system: str, style: SpellingStyle,
                 overlap: float, customer_ids: tuple[str, int], vendor_ids: tuple[str, int],
                 lines: int, first_day: np.datetime64, last_day: np.datetime64) -> Master:
    """Master data for one system; ``seed`` alone fixes the company pool and the catalogue."""
    master = Master()
    shared = np.random.Generator(np.random.PCG64([seed, 7]))  # same in every system
    customers = int(np.clip(lines // 20, 50, 100_000))
    pool = company_pool(shared, int(np.ceil(customers / _membership(overlap))))
    _catalogue(master, shared, int(np.clip(lines // 150, 60, 20_000)), vendor_ids=vendor_ids,
               first_day=first_day, last_day=last_day)
    view = system_view(pool, seed=seed, system=system, style=style, overlap=overlap)
    _customers(master, rng, view, customer_ids)
    master.truth = pd.DataFrame({
        "company_id": view["company_id"], "system": system, "customer_id": master.customer_id,
        "canonical_name": pool.set_index("company_id").loc[view["company_id"], "name"].to_numpy(),
    })
    tables, master.holidays = configuration(
        shared, first_day, last_day, customer_country=master.customer_country,
        customer_zone=master.tables["customer"]["transport_zone"],
        customer_plant=master.customer_plant)
    master.tables.update(tables)
    return master


def _membership(overlap: float) -> float:
    from kubus.oltp.gen_companies import membership_probability

    return membership_probability(overlap)


def _customers(master: Master, rng: np.random.Generator, view: pd.DataFrame,
               customer_ids: tuple[str, int]) -> None:
    n = len(view)
    ids = _str(customer_ids[1] + np.arange(n), customer_ids[0])
    country = view["country"].to_numpy(dtype=object)
    zone = (view["country"] + "-" + view["postal_code"].str.replace(" ", "").str.slice(0, 2)
            .str.upper()).to_numpy(dtype=object)
    master.tables["customer"] = {
        "customer_id": ids, "name": _objects(view["name"]), "street": _objects(view["street"]),
        "city": _objects(view["city"]), "postal_code": _objects(view["postal_code"]),
        "region": _objects(view["region"]), "country": country,
        "transport_zone": zone, "tax_class": _full(n, "1"),
        "vat_number": _objects(view["vat_number"]), "email": _objects(view["email"]),
        "phone": _objects(view["phone"]),
        "created_on": np.zeros(n, dtype="datetime64[D]"),  # set from the first order
    }
    currency_codes = [c[0] for c in CURRENCIES]
    master.customer_id = ids
    master.customer_country = country
    master.customer_currency = np.asarray(
        [currency_codes.index(COUNTRY_CURRENCY.get(c, "EUR")) for c in country], dtype=np.int64)
    master.customer_terms = sample(rng, cdf(np.asarray([x[5] for x in TERMS], float)), n)
    master.customer_plant = (country == "US").astype(np.int64)
    master.customer_route = np.asarray([route_index(c) for c in country], dtype=np.int64)
    express = rng.random(n) < 0.10
    master.customer_route = np.where(express, 4, master.customer_route)
    master.customer_complete = rng.random(n) < 0.10
    master.customer_discount = np.asarray([0.0, 0.03, 0.05, 0.10, 0.15])[
        sample(rng, cdf(np.asarray([60.0, 15, 12, 8, 5])), n)]
    master.customer_cdf = zipf_cdf(rng, n, CUSTOMER_ZIPF)
    # 3% of customers are branches whose head office pays (partner function RG).
    branch = rng.random(n) < 0.03
    master.customer_payer = np.where(branch, rng.integers(0, n, n), np.arange(n))
    functions = ("AG", "WE", "RE", "RG")
    partner = np.stack([np.arange(n)] * 3 + [master.customer_payer], axis=1).ravel()
    master.tables["customer_partner"] = {
        "customer_id": np.repeat(ids, 4),
        **{k: _full(4 * n, v) for k, v in zip(("sales_org", "distribution_channel", "division"),
                                               SALES_AREA, strict=True)},
        "partner_function": np.tile(np.asarray(functions, dtype=object), n),
        "counter": np.ones(4 * n, dtype=np.int64),
        "partner_id": ids[partner],
    }
    area = {k: _full(n, v) for k, v in zip(("sales_org", "distribution_channel", "division"),
                                           SALES_AREA, strict=True)}
    master.tables["customer_sales_area"] = {
        "customer_id": ids, **area,
        "currency": np.asarray(currency_codes, dtype=object)[master.customer_currency],
        "payment_terms": np.asarray([x[0] for x in TERMS], dtype=object)[master.customer_terms],
        "shipping_conditions": np.where(express, "02", "01").astype(object),
        "delivery_priority": rng.integers(1, 4, n),
        "complete_delivery": master.customer_complete,
        "partial_delivery": np.where(master.customer_complete, "C", "").astype(object),
        "max_partial_deliveries": np.full(n, 9),
        "delivering_plant": np.asarray([p[0] for p in PLANTS], dtype=object)[
            master.customer_plant],
        "incoterms": np.asarray(["DAP", "EXW", "FCA", "DDP"], dtype=object)[
            sample(rng, cdf(np.asarray([60.0, 15, 15, 10])), n)],
    }


def _catalogue(master: Master, rng: np.random.Generator, count: int, *,
               vendor_ids: tuple[str, int], first_day: np.datetime64,
               last_day: np.datetime64) -> None:
    subs = [(cat, median, sub) for cat, median, names in CATEGORIES for sub in names]
    sub_of = np.arange(count) % len(subs)
    category, median, subcategory = (np.asarray(col, dtype=object)[sub_of]
                                     for col in zip(*subs, strict=True))
    brand = np.asarray(BRANDS, dtype=object)[rng.integers(0, len(BRANDS), count)]
    ids = _str(np.arange(100_001, 100_001 + count), "M{}")
    model = _str(np.arange(count) // len(subs) + 1, "{:03d}")
    price = np.maximum(np.round(median.astype(float) * rng.lognormal(0.0, 0.5, count), 2), 0.5)
    cost = np.round(price * rng.uniform(0.55, 0.80, count) * 100).astype(np.int64)
    tax_class = np.where(category == "Books", "2", "1").astype(object)
    vendors = int(np.clip(count // 40, 5, 500))
    master.material_id = ids
    master.material_price = price
    master.material_cost_cents = np.maximum(cost, 1)
    master.material_quantity_p = np.clip(0.05 + 0.25 * np.log10(price), 0.12, 0.95)
    master.material_tax_class = tax_class
    master.material_cdf = zipf_cdf(rng, count, PRODUCT_ZIPF)
    master.material_vendor = rng.integers(0, vendors, count)
    master.purchase_price_cents = np.maximum(
        np.round(master.material_cost_cents * rng.uniform(0.96, 1.04, count)), 1).astype(np.int64)
    master.planned_delivery_days = rng.integers(5, 21, count)
    t = master.tables
    t["material"] = {
        "material_id": ids,
        "description": brand + " " + subcategory + " " + model,
        "base_unit": _full(count, "PC"), "material_type": _full(count, "HAWA"),
        "category": category, "subcategory": subcategory,
        "transportation_group": _full(count, "0001"), "tax_class": tax_class,
        "gross_weight": np.round(rng.lognormal(0.0, 1.0, count), 3),
        "weight_unit": _full(count, "KG"),
    }
    master.vendor_id = _str(vendor_ids[1] + np.arange(vendors), vendor_ids[0])
    master.vendor_terms = rng.integers(0, len(TERMS), vendors)
    words = np.asarray(VENDOR_WORDS, dtype=object)[np.arange(vendors) % len(VENDOR_WORDS)]
    nouns = np.asarray(VENDOR_NOUNS, dtype=object)[
        np.arange(vendors) // len(VENDOR_WORDS) % len(VENDOR_NOUNS)]
    suffix = np.where(np.arange(vendors) >= 64, " " + (np.arange(vendors) // 64 + 1).astype(str),
                      "").astype(object)
    t["vendor"] = {
        "vendor_id": master.vendor_id, "name": words + " " + nouns + suffix + " GmbH",
        "city": np.asarray(["Bremen", "Dortmund", "Leipzig", "Nürnberg"], dtype=object)[
            np.arange(vendors) % 4],
        "country": _full(vendors, "DE"), "purchasing_org": _full(vendors, "1000"),
        "currency": _full(vendors, "EUR"),
        "payment_terms": np.asarray([x[0] for x in TERMS], dtype=object)[master.vendor_terms],
        "created_on": np.full(vendors, first_day - np.timedelta64(400, "D")),
    }
    _plant_data(master)
    _sales_prices(master, first_day, last_day)


def _plant_data(master: Master) -> None:
    """``material_plant`` (every material in every plant) and ``purchase_info``."""
    t, ids = master.tables, master.material_id
    count, n_plants = len(ids), len(PLANTS)
    mp_material = np.repeat(np.arange(count), n_plants)
    mp_plant = np.tile(np.arange(n_plants), count)
    t["material_plant"] = {
        "material_id": ids[mp_material],
        "plant": np.asarray([p[0] for p in PLANTS], dtype=object)[mp_plant],
        "checking_group": _full(len(mp_material), "02"),
        "procurement_type": _full(len(mp_material), "F"),
        "planned_delivery_days": master.planned_delivery_days[mp_material],
        "gr_processing_days": np.ones(len(mp_material), dtype=np.int64),
        "inhouse_production_days": np.zeros(len(mp_material), dtype=np.int64),
        "replenishment_days": master.planned_delivery_days[mp_material] + 2,
        "loading_group": _full(len(mp_material), "0001"),
        "price_control": _full(len(mp_material), "S"),
        "standard_price": master.material_cost_cents[mp_material] / 100.0,
        "open_confirmed_qty": np.zeros(len(mp_material), dtype=np.int64),  # set at the end
    }
    t["purchase_info"] = {
        "vendor_id": master.vendor_id[master.material_vendor], "material_id": ids,
        "price": master.purchase_price_cents / 100.0, "currency": _full(count, "EUR"),
        "planned_delivery_days": master.planned_delivery_days,
    }


def _sales_prices(master: Master, first_day: np.datetime64, last_day: np.datetime64) -> None:
    first_year, last_year = int(str(first_day)[:4]), int(str(last_day)[:4])
    years = np.arange(first_year, last_year + 1)
    count = len(master.material_id)
    # Price lists per currency and year: EUR list price with 3% yearly inflation, converted at
    # a planning rate and rounded to a ".99" price point above 10.
    planning = np.asarray([c[2] for c in CURRENCIES])
    factor = 1.03 ** (years - first_year)[:, None] / planning[None, :]  # (years, currencies)
    master.price_factor = factor
    price = master.material_price[None, None, :] * factor[:, :, None]
    price = np.where(price >= 10, np.floor(price) + 0.99, np.round(price, 2))
    grid = np.meshgrid(np.arange(len(years)), np.arange(len(CURRENCIES)), np.arange(count),
                       indexing="ij")
    y, c, m = (axis.ravel() for axis in grid)
    order = np.lexsort((y, c, m))
    y, c, m = y[order], c[order], m[order]
    master.tables["sales_price"] = {
        "material_id": master.material_id[m], "sales_org": _full(len(m), SALES_AREA[0]),
        "distribution_channel": _full(len(m), SALES_AREA[1]),
        "currency": np.asarray([x[0] for x in CURRENCIES], dtype=object)[c],
        "valid_from": np.asarray([np.datetime64(f"{yr}-01-01") for yr in years])[y],
        "price": np.round(price.reshape(len(years), len(CURRENCIES), count)[y, c, m], 2),
    }


def sales_price_cents(master: Master, material: np.ndarray, currency: np.ndarray,
                      year_index: np.ndarray) -> np.ndarray:
    """The list price in cents of each (material, currency, year index) triple."""
    price = master.material_price[material] * master.price_factor[year_index, currency]
    price = np.where(price >= 10, np.floor(price) + 0.99, np.round(price, 2))
    return np.asarray(np.round(price * 100), dtype=np.int64)


def customer_days(first_order_day: np.ndarray, rng: np.random.Generator,
                  first_day: np.datetime64) -> np.ndarray:
    """``created_on`` day numbers: shortly before the first order (or long before the start)."""
    start = int(to_days(first_day))
    lag = rng.integers(1, 30, len(first_order_day))
    never = first_order_day < 0
    created = np.where(first_order_day - lag < start + 30,
                       start - rng.integers(30, 1500, len(first_order_day)),
                       first_order_day - lag)
    return np.where(never, start - rng.integers(30, 1500, len(first_order_day)), created)
