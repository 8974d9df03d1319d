"""A deterministic generator of the demo sales star schema (DuckDB).

The star behind the shipped ``sales`` cube (``kubus/config/models/demo_sales.json``), used by
the demo, the benchmarks and the integration tests::

    dim_date ─┐
    dim_product ─┤
                 ├── fact_sales (id, date_key, product_key, customer_key, channel_key,
    dim_customer ┤               quantity, unit_price, amount, discount, cost)
    dim_channel ─┘

The data looks like sales: products and customers are Zipf-skewed (a few best sellers and key
accounts), sales peak in Q4 and on weekdays, grow by year, and the channel mix drifts from fax
and letter towards web and chat. ``amount`` is the net amount (``quantity * unit_price -
discount``); ``discount`` and ``cost`` are money amounts, so every measure sums meaningfully.

Everything is drawn from one ``numpy.random.Generator(PCG64(seed))`` in a fixed order, so one
seed and one fact count always give the same rows. Facts are built in numpy chunks and handed
to DuckDB as Arrow tables; no Python loop runs per row.

Example::

    stats = generate_sales_star(Path("var/demo.duckdb"), 1_000_000, seed=42)
    stats.rows["fact_sales"]  # 1000000
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

__all__ = ["StarStats", "ensure_demo_star", "generate_sales_star"]

FIRST_DAY = "2022-01-01"
LAST_DAY = "2025-12-31"
CHUNK_ROWS = 1_000_000
CUSTOMER_COUNT = 50_000
PRODUCTS_PER_SUBCATEGORY = 50

# Zipf exponents of the popularity weights 1/rank**a (top 1% of products ≈ a third of facts).
PRODUCT_ZIPF = 0.9
CUSTOMER_ZIPF = 0.8

# (code, name, median list price, {subcategory code suffix: name})
CATEGORIES: tuple[tuple[str, str, float, tuple[str, ...]], ...] = (
    ("EL", "Electronics", 450.0, ("Laptops", "Monitors", "Phones", "Audio", "Cameras")),
    ("OF", "Office Supplies", 8.0, ("Paper", "Pens", "Binders", "Labels", "Envelopes")),
    ("FU", "Furniture", 220.0, ("Desks", "Chairs", "Shelves", "Cabinets", "Lamps")),
    ("KI", "Kitchen", 45.0, ("Cookware", "Cutlery", "Appliances", "Storage", "Coffee")),
    ("GA", "Garden", 35.0, ("Garden Tools", "Seeds", "Planters", "Hoses", "Grills")),
    ("TO", "Tools", 60.0, ("Power Tools", "Hand Tools", "Fasteners", "Safety", "Measuring")),
    ("TY", "Toys", 30.0, ("Puzzles", "Board Games", "Building Sets", "Dolls", "Outdoor Toys")),
    ("AP", "Apparel", 55.0, ("Shirts", "Trousers", "Jackets", "Shoes", "Accessories")),
)
BRANDS = ("Acme", "Nordwind", "Vertex", "Orion", "Helix", "Kestrel", "Lumen", "Atlas")

# (country, country name, region, region name, share of customers)
COUNTRIES: tuple[tuple[str, str, str, str, float], ...] = (
    ("DE", "Germany", "EU", "Europe", 14), ("FR", "France", "EU", "Europe", 8),
    ("GB", "United Kingdom", "EU", "Europe", 8), ("IT", "Italy", "EU", "Europe", 5),
    ("ES", "Spain", "EU", "Europe", 4), ("NL", "Netherlands", "EU", "Europe", 3),
    ("PL", "Poland", "EU", "Europe", 3), ("SE", "Sweden", "EU", "Europe", 2),
    ("CH", "Switzerland", "EU", "Europe", 2), ("AT", "Austria", "EU", "Europe", 2),
    ("US", "United States", "NA", "North America", 20), ("CA", "Canada", "NA", "North America", 4),
    ("MX", "Mexico", "LA", "Latin America", 3), ("BR", "Brazil", "LA", "Latin America", 4),
    ("AR", "Argentina", "LA", "Latin America", 1), ("CL", "Chile", "LA", "Latin America", 1),
    ("JP", "Japan", "AP", "Asia Pacific", 5), ("CN", "China", "AP", "Asia Pacific", 4),
    ("IN", "India", "AP", "Asia Pacific", 3), ("AU", "Australia", "AP", "Asia Pacific", 2),
    ("KR", "South Korea", "AP", "Asia Pacific", 2), ("SG", "Singapore", "AP", "Asia Pacific", 1),
    ("AE", "United Arab Emirates", "MEA", "Middle East & Africa", 1),
    ("ZA", "South Africa", "MEA", "Middle East & Africa", 1),
)
SEGMENTS = (("Consumer", 55), ("Small Business", 25), ("Corporate", 15), ("Public Sector", 5))

# Customer names are a mixed-radix code over these parts: 20*16*13*13 = 54,080 unique names.
NAME_HEADS = ("Ber", "Cal", "Dor", "Ell", "Fal", "Gar", "Hol", "Ith", "Jor", "Kel",
              "Lan", "Mor", "Nel", "Ost", "Par", "Quin", "Ros", "Sal", "Tor", "Wen")
NAME_TAILS = ("by", "den", "field", "ford", "gate", "ham", "hurst", "ley", "mark", "mont",
              "ridge", "son", "ston", "ton", "vale", "wick")
NAME_NOUNS = ("Trading", "Supplies", "Retail", "Industries", "Partners", "Logistics", "Systems",
              "Goods", "Works", "Holdings", "Outfitters", "Stores", "Services")
NAME_FORMS = ("Ltd", "GmbH", "Inc", "SA", "BV", "AG", "LLC", "Srl", "AB", "Oy", "KK", "Pty",
              "& Co")

# (channel, channel name, share in 2022, share in 2025); shares in between are interpolated.
CHANNELS = (
    ("web", "Web", 30, 40), ("phone", "Telephone", 18, 14), ("fax", "Fax", 5, 2),
    ("email", "E-mail", 15, 13), ("letter", "Letter", 4, 2), ("chat", "Chat", 6, 11),
    ("shop", "Shop", 22, 18),
)
MONTH_WEIGHTS = (0.80, 0.85, 0.95, 1.00, 1.00, 0.95, 0.90, 0.85, 1.00, 1.10, 1.25, 1.45)
WEEKDAY_WEIGHTS = (1.10, 1.05, 1.00, 1.00, 1.10, 0.70, 0.50)  # ISO Monday .. Sunday
YEARLY_GROWTH = 1.08  # volume
YEARLY_INFLATION = 1.03  # prices and costs
DISCOUNT_RATES = ((0.0, 60), (0.05, 15), (0.10, 12), (0.15, 8), (0.20, 5))

DDL = (
    """CREATE TABLE dim_date (date_key INTEGER PRIMARY KEY, date DATE NOT NULL,
       year INTEGER NOT NULL, quarter INTEGER NOT NULL, month INTEGER NOT NULL,
       month_name VARCHAR NOT NULL, day INTEGER NOT NULL, iso_year INTEGER NOT NULL,
       iso_week INTEGER NOT NULL, weekday INTEGER NOT NULL)""",
    """CREATE TABLE dim_product (product_key INTEGER PRIMARY KEY, product_code VARCHAR NOT NULL,
       product_name VARCHAR NOT NULL, subcategory VARCHAR NOT NULL,
       subcategory_name VARCHAR NOT NULL, category VARCHAR NOT NULL,
       category_name VARCHAR NOT NULL)""",
    """CREATE TABLE dim_customer (customer_key INTEGER PRIMARY KEY,
       customer_code VARCHAR NOT NULL, customer_name VARCHAR NOT NULL, country VARCHAR NOT NULL,
       country_name VARCHAR NOT NULL, region VARCHAR NOT NULL, region_name VARCHAR NOT NULL,
       segment VARCHAR NOT NULL)""",
    """CREATE TABLE dim_channel (channel_key INTEGER PRIMARY KEY, channel VARCHAR NOT NULL,
       channel_name VARCHAR NOT NULL)""",
    # The primary key of the fact table is added after the bulk load: maintaining the index
    # row by row makes a 10M-row load about four times slower.
    """CREATE TABLE fact_sales (id BIGINT NOT NULL, date_key INTEGER NOT NULL,
       product_key INTEGER NOT NULL, customer_key INTEGER NOT NULL,
       channel_key INTEGER NOT NULL, quantity INTEGER NOT NULL, unit_price DOUBLE NOT NULL,
       amount DOUBLE NOT NULL, discount DOUBLE NOT NULL, cost DOUBLE NOT NULL)""",
)
TABLES = ("dim_date", "dim_product", "dim_customer", "dim_channel", "fact_sales")


@dataclass(frozen=True)
class StarStats:
    """What :func:`generate_sales_star` wrote: row counts per table, wall time, file size."""

    path: Path
    seed: int
    rows: Mapping[str, int]
    seconds: float
    file_bytes: int


@dataclass(frozen=True)
class _Dimensions:
    """Dimension tables plus the per-member arrays the fact sampler needs."""

    tables: Mapping[str, pd.DataFrame]
    day_share: np.ndarray  # expected share of facts on each dim_date row (sums to 1)
    day_year: np.ndarray  # year index (0-based) of each dim_date row
    product_cdf: np.ndarray
    product_price: np.ndarray  # 2022 list price
    product_unit_cost: np.ndarray  # 2022 unit cost
    product_quantity_p: np.ndarray  # geometric parameter of the order quantity
    customer_cdf: np.ndarray
    channel_cdf: np.ndarray  # (years, channels) cumulative channel mix per year


def generate_sales_star(
    path: Path, facts: int, *, seed: int = 42, progress: bool = True
) -> StarStats:
    """Write the demo star with ``facts`` sales facts to the DuckDB file ``path``.

    The file is built as ``<path>.tmp`` and renamed into place only when complete, so a crash
    never leaves a half-written warehouse behind; an existing ``path`` is replaced. Missing parent
    directories are created.
    """
    if facts < 0:
        raise ValueError(f"facts must be >= 0, got {facts}")
    started = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    _remove_database(tmp)
    rng = np.random.Generator(np.random.PCG64(seed))
    dims = _build_dimensions(rng)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET enable_progress_bar = false")  # tqdm reports instead
            for statement in DDL:
                con.execute(statement)
            for name, frame in dims.tables.items():
                _insert(con, name, pa.Table.from_pandas(frame, preserve_index=False))
            with tqdm(total=facts, unit=" facts", unit_scale=True, disable=not progress,
                      desc=f"fact_sales -> {path.name}") as bar:
                for chunk in _fact_chunks(rng, dims, facts):
                    _insert(con, "fact_sales", chunk)
                    bar.update(chunk.num_rows)
                bar.set_postfix_str("adding primary key")
                con.execute("ALTER TABLE fact_sales ADD PRIMARY KEY (id)")
            rows = {t: _count(con, t) for t in TABLES}
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    except BaseException:
        _remove_database(tmp)
        raise
    return StarStats(path=path, seed=seed, rows=rows, seconds=time.perf_counter() - started,
                     file_bytes=path.stat().st_size)


def ensure_demo_star(path: Path, facts: int, *, seed: int = 42, progress: bool = True) -> bool:
    """Generate the demo star into ``path`` unless the file exists; True if it was generated."""
    if Path(path).exists():
        return False
    generate_sales_star(Path(path), facts, seed=seed, progress=progress)
    return True


def _remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    con.register("_kubus_chunk", data)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _kubus_chunk")
    finally:
        con.unregister("_kubus_chunk")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _cdf(weights: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(weights, dtype=np.float64)
    cdf /= cdf[-1]
    cdf[-1] = 1.0  # guard against rounding: every uniform in [0, 1) must land in range
    return cdf


def _zipf_cdf(rng: np.random.Generator, members: int, exponent: float) -> np.ndarray:
    """Power-law popularity 1/rank**a, with ranks dealt to members in random order."""
    ranks = rng.permutation(members) + 1
    return _cdf(1.0 / ranks.astype(np.float64) ** exponent)


def _sample(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int32)


def _build_dimensions(rng: np.random.Generator) -> _Dimensions:
    date, day_share, day_year = _date_dimension()
    product, price, unit_cost, quantity_p, product_cdf = _product_dimension(rng)
    customer, customer_cdf = _customer_dimension(rng)
    channel, channel_cdf = _channel_dimension(int(day_year.max()) + 1)
    return _Dimensions(
        tables={"dim_date": date, "dim_product": product, "dim_customer": customer,
                "dim_channel": channel},
        day_share=day_share, day_year=day_year, product_cdf=product_cdf, product_price=price,
        product_unit_cost=unit_cost, product_quantity_p=quantity_p, customer_cdf=customer_cdf,
        channel_cdf=channel_cdf,
    )


def _date_dimension() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    days = pd.date_range(FIRST_DAY, LAST_DAY, freq="D")
    iso = days.isocalendar()
    frame = pd.DataFrame({
        "date_key": (days.year * 10000 + days.month * 100 + days.day).astype("int32"),
        "date": days.date,
        "year": days.year.astype("int32"),
        "quarter": days.quarter.astype("int32"),
        "month": days.month.astype("int32"),
        "month_name": days.month_name(),
        "day": days.day.astype("int32"),
        "iso_year": iso["year"].to_numpy().astype("int32"),
        "iso_week": iso["week"].to_numpy().astype("int32"),
        "weekday": iso["day"].to_numpy().astype("int32"),  # ISO: 1 = Monday .. 7 = Sunday
    })
    year_index = (days.year - days.year.min()).to_numpy().astype(np.int32)
    weights = (np.asarray(MONTH_WEIGHTS)[days.month.to_numpy() - 1]
               * np.asarray(WEEKDAY_WEIGHTS)[frame["weekday"].to_numpy() - 1]
               * YEARLY_GROWTH ** year_index)
    return frame, weights / weights.sum(), year_index


def _product_dimension(
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    per_sub = PRODUCTS_PER_SUBCATEGORY
    subs = [(cat, cat_name, median, f"{cat}{i + 1:02d}", sub_name)
            for cat, cat_name, median, sub_names in CATEGORIES
            for i, sub_name in enumerate(sub_names)]
    sub_of = np.repeat(np.arange(len(subs)), per_sub)
    count = len(sub_of)
    keys = np.arange(1, count + 1, dtype=np.int32)
    sub_cols = list(zip(*subs, strict=True))
    category, category_name, median, subcategory, subcategory_name = (
        np.asarray(col, dtype=object)[sub_of] for col in sub_cols
    )
    brand = np.asarray(BRANDS, dtype=object)[rng.integers(0, len(BRANDS), count)]
    model = pd.Series(np.arange(count) % per_sub + 1).map("{:02d}".format).to_numpy(dtype=object)
    frame = pd.DataFrame({
        "product_key": keys,
        "product_code": pd.Series(keys).map("P{:05d}".format).to_numpy(dtype=object),
        "product_name": brand + " " + subcategory_name + " " + subcategory + "-" + model,
        "subcategory": subcategory,
        "subcategory_name": subcategory_name,
        "category": category,
        "category_name": category_name,
    })
    price = np.round(median.astype(np.float64) * rng.lognormal(0.0, 0.5, count), 2)
    price = np.maximum(price, 0.5)
    unit_cost = price * rng.uniform(0.55, 0.85, count)
    # Cheap articles sell by the dozen, expensive ones one at a time (mean quantity 1/p).
    quantity_p = np.clip(0.05 + 0.25 * np.log10(price), 0.12, 0.95)
    return frame, price, unit_cost, quantity_p, _zipf_cdf(rng, count, PRODUCT_ZIPF)


def _customer_dimension(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    count = CUSTOMER_COUNT
    keys = np.arange(1, count + 1, dtype=np.int32)
    country_cols = [np.asarray(col, dtype=object) for col in zip(*COUNTRIES, strict=True)]
    country_of = _sample(rng, _cdf(country_cols[4].astype(np.float64)), count)
    segment_names = np.asarray([s for s, _ in SEGMENTS], dtype=object)
    segment_of = _sample(rng, _cdf(np.asarray([w for _, w in SEGMENTS], np.float64)), count)
    code = rng.permutation(count)  # mixed-radix name code, unique while count <= 54,080
    name = np.asarray(NAME_HEADS, dtype=object)[code % len(NAME_HEADS)]
    code //= len(NAME_HEADS)
    name = name + np.asarray(NAME_TAILS, dtype=object)[code % len(NAME_TAILS)]
    code //= len(NAME_TAILS)
    name = name + " " + np.asarray(NAME_NOUNS, dtype=object)[code % len(NAME_NOUNS)]
    code //= len(NAME_NOUNS)
    name = name + " " + np.asarray(NAME_FORMS, dtype=object)[code % len(NAME_FORMS)]
    frame = pd.DataFrame({
        "customer_key": keys,
        "customer_code": pd.Series(keys).map("C{:06d}".format).to_numpy(dtype=object),
        "customer_name": name,
        "country": country_cols[0][country_of],
        "country_name": country_cols[1][country_of],
        "region": country_cols[2][country_of],
        "region_name": country_cols[3][country_of],
        "segment": segment_names[segment_of],
    })
    return frame, _zipf_cdf(rng, count, CUSTOMER_ZIPF)


def _channel_dimension(years: int) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame({
        "channel_key": np.arange(1, len(CHANNELS) + 1, dtype=np.int32),
        "channel": [c[0] for c in CHANNELS],
        "channel_name": [c[1] for c in CHANNELS],
    })
    first = np.asarray([c[2] for c in CHANNELS], np.float64)
    last = np.asarray([c[3] for c in CHANNELS], np.float64)
    steps = np.linspace(0.0, 1.0, years)[:, None]
    mix = first + (last - first) * steps
    return frame, np.vstack([_cdf(row) for row in mix])


def _fact_chunks(rng: np.random.Generator, dims: _Dimensions, facts: int) -> Iterator[pa.Table]:
    date_keys = dims.tables["dim_date"]["date_key"].to_numpy()
    # Facts arrive in date order, as from a daily load: the number of facts per day is drawn
    # once, and fact i falls on the day whose running total first exceeds i.
    per_day = rng.multinomial(facts, dims.day_share)
    day_end = np.cumsum(per_day)
    discount_rates = np.asarray([r for r, _ in DISCOUNT_RATES])
    discount_cdf = _cdf(np.asarray([w for _, w in DISCOUNT_RATES], np.float64))
    for start in range(0, facts, CHUNK_ROWS):
        n = min(CHUNK_ROWS, facts - start)
        ids = np.arange(start + 1, start + n + 1, dtype=np.int64)
        day = np.searchsorted(day_end, ids - 1, side="right")
        year = dims.day_year[day]
        product = _sample(rng, dims.product_cdf, n)
        customer = _sample(rng, dims.customer_cdf, n)
        # Per-fact channel from that year's mix: count the cdf steps below the uniform draw.
        channel = (rng.random(n)[:, None] >= dims.channel_cdf[year]).sum(axis=1, dtype=np.int32)
        quantity = np.minimum(rng.geometric(dims.product_quantity_p[product]), 99)
        inflation = YEARLY_INFLATION ** year
        unit_price = np.round(
            dims.product_price[product] * inflation * rng.normal(1.0, 0.03, n), 2)
        unit_price = np.maximum(unit_price, 0.01)
        gross = quantity * unit_price
        discount = np.round(gross * discount_rates[_sample(rng, discount_cdf, n)], 2)
        yield pa.table({
            "id": ids,
            "date_key": date_keys[day],
            "product_key": product + 1,
            "customer_key": customer + 1,
            "channel_key": channel + 1,
            "quantity": quantity.astype(np.int32),
            "unit_price": unit_price,
            "amount": np.round(gross - discount, 2),
            "discount": discount,
            "cost": np.round(quantity * dims.product_unit_cost[product] * inflation, 2),
        })
