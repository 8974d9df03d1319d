"""One global customer across source systems (domain.md §4.5): cleansing, matching, SCD2.

Rules, in order, for a local customer (source system, customer number) seen the first time:

1. **VAT** — the cleansed VAT number (upper case, no blanks, dots or dashes) equals the VAT
   number of an existing global customer, or of another new customer of the same load: the
   same global customer (``customer_xref.match_rule = 'vat'``).
2. Otherwise a **new** global customer (``'new'``). If its normalised name (ASCII-folded,
   lower case, no punctuation, legal forms unified) and postal code equal those of another
   global customer, the pair is written to ``customer_match_candidate`` with status
   ``review`` — a candidate is never merged automatically.
3. A fact naming a customer whose master record is not loaded yet gets an **inferred** global
   customer (``'inferred'``), filled in by the later master-data load (it keeps its key).

Survivorship: the attributes of a global customer come from its member in the source system
loaded first (lowest ``source_key``), then the lowest customer number; a record from another
member never overwrites them. Country, world region and district are time-dependent: a change
closes the current ``dim_customer_version`` (``valid_to`` = load date - 1) and opens a new one
from the load date (``today``), so facts keep the version valid on their document date (BW-1).

Example::

    upsert_customers(conn, source_key=1, system="CURRENT", records=frame, today=date.today())
    keys = customer_keys(conn, 1, "CURRENT", orders["sold_to"])
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from kubus.etl.transform import clean_text, e164, is_in, lookup, text, to_date
from kubus.etl.warehouse_io import insert_frame, read_frame, stage_keys

__all__ = ["customer_keys", "normalise_name", "upsert_customers", "version_keys"]

OPEN_END = "9999-12-31"
FIRST_DAY = "1900-01-01"
VERSIONED = ("country", "region", "district")
_REGIONS = {"DE": "EMEA", "AT": "EMEA", "CH": "EMEA", "GB": "EMEA", "FR": "EMEA", "NL": "EMEA",
            "IT": "EMEA", "ES": "EMEA", "BE": "EMEA", "PL": "EMEA", "US": "AMER", "CA": "AMER",
            "MX": "AMER", "BR": "AMER", "JP": "APAC", "CN": "APAC", "IN": "APAC", "AU": "APAC"}
_REGION_NAMES = {"EMEA": "Europe, Middle East and Africa", "AMER": "Americas",
                 "APAC": "Asia Pacific"}
_COUNTRY_NAMES = {"DE": "Germany", "AT": "Austria", "CH": "Switzerland",
                  "GB": "United Kingdom", "FR": "France", "NL": "Netherlands", "IT": "Italy",
                  "ES": "Spain", "BE": "Belgium", "PL": "Poland", "US": "United States",
                  "CA": "Canada", "MX": "Mexico", "BR": "Brazil", "JP": "Japan", "CN": "China",
                  "IN": "India", "AU": "Australia"}
_LEGAL = {"incorporated": "inc", "corporation": "corp", "limited": "ltd", "company": "co"}


def normalise_name(names: pd.Series) -> pd.Series:
    """Names for candidate matching: ``"Brüden  Vertrieb G.m.b.H."`` -> ``"brueden vertrieb
    gmbh"``."""
    def one(name: str) -> str:
        folded = name.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue") \
            .replace("ß", "ss")
        folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
        folded = "".join(c if c.isalnum() or c.isspace() else "" if c == "." else " "
                         for c in folded)
        return " ".join(_LEGAL.get(w, w) for w in folded.split())
    return names.fillna("").astype(str).map(one)


def _cleanse(records: pd.DataFrame) -> pd.DataFrame:
    country = clean_text(records["country"], case="upper")
    region = country.map(_REGIONS).fillna("")
    return pd.DataFrame({
        "customer_id": records["customer_id"].astype(str),
        "customer_name": clean_text(records["name"]),
        "city": clean_text(records["city"]),
        "postal_code": clean_text(records["postal_code"], case="upper"),
        "country": country, "country_name": country.map(_COUNTRY_NAMES).fillna(country),
        "region": region, "region_name": region.map(_REGION_NAMES).fillna(""),
        "district": clean_text(records["region"], case="upper"),
        "vat_number": clean_text(records["vat_number"], case="upper")
        .str.replace(r"[\s.\-]", "", regex=True),
        "email": clean_text(records["email"], case="lower"),
        "phone": e164(records["phone"], country),
        "customer_since": to_date(records["created_on"]),
    })


def _next(conn: sa.Connection, table: str, key: str) -> int:
    return int(conn.execute(sa.text(f"SELECT COALESCE(MAX({key}), 0) + 1 FROM {table}"))
               .scalar_one())


def _xref(conn: sa.Connection, system: str) -> pd.DataFrame:
    return read_frame(conn, "SELECT customer_id, customer_key, match_rule FROM customer_xref "
                      f"WHERE source_system = '{system}'")


def _match_new(conn: sa.Connection, new: pd.DataFrame) -> pd.DataFrame:
    """customer_key and match_rule for local customers seen the first time."""
    known = read_frame(conn, "SELECT vat_number, MIN(customer_key) AS customer_key "
                       "FROM dim_customer WHERE vat_number <> '' GROUP BY vat_number")
    new = new.sort_values("customer_id").merge(known, on="vat_number", how="left")
    new["match_rule"] = np.where(new["customer_key"].notna(), "vat", "new")
    fresh = new["customer_key"].isna()
    # New customers sharing a VAT number among themselves share one new global customer.
    group = np.where(new["vat_number"] != "", "V" + new["vat_number"], "C" + new["customer_id"])
    first = ~pd.Series(group).duplicated().to_numpy()
    start = _next(conn, "dim_customer", "customer_key")
    numbers = pd.Series(np.cumsum(first & fresh.to_numpy()) - 1 + start)
    by_group = pd.Series(numbers[first & fresh.to_numpy()].to_numpy(),
                         index=group[first & fresh.to_numpy()])
    new.loc[fresh, "customer_key"] = pd.Series(group[fresh.to_numpy()]).map(by_group).to_numpy()
    new.loc[fresh & ~first, "match_rule"] = "vat"
    new["customer_key"] = new["customer_key"].astype("int64")
    return new


def upsert_customers(conn: sa.Connection, source_key: int, system: str,
                     records: pd.DataFrame, today: date) -> None:
    """Load changed customer master records of one source system."""
    if records.empty:
        return
    clean = _cleanse(records).drop_duplicates("customer_id", keep="last")
    xref = _xref(conn, system)
    known = clean.merge(xref, on="customer_id", how="inner")
    new = _match_new(conn, clean[~clean["customer_id"].isin(xref["customer_id"])])
    known.loc[known["match_rule"] == "inferred", "match_rule"] = "new"
    members = pd.concat([known, new], ignore_index=True)
    _replace_xref(conn, system, members)
    winners = _winners(conn, source_key, system, members)
    _write_customers(conn, winners, today)
    _candidates(conn, system, members[members["match_rule"] == "new"])


def _replace_xref(conn: sa.Connection, system: str, members: pd.DataFrame) -> None:
    ids = members["customer_id"].tolist()
    for start in range(0, len(ids), 10_000):
        chunk = ", ".join("'" + i.replace("'", "''") + "'" for i in ids[start:start + 10_000])
        conn.execute(sa.text(f"DELETE FROM customer_xref WHERE source_system = :s AND "
                             f"customer_id IN ({chunk})"), {"s": system})
    insert_frame(conn, "customer_xref", pd.DataFrame({
        "source_system": system, "customer_id": members["customer_id"],
        "customer_key": members["customer_key"], "match_rule": members["match_rule"],
        "local_name": members["customer_name"].str.slice(0, 80)}))


def _winners(conn: sa.Connection, source_key: int, system: str,
             members: pd.DataFrame) -> pd.DataFrame:
    """The records of ``members`` that survive for their global customer."""
    stage_keys(conn, members["customer_key"].to_numpy())
    ranked = read_frame(conn, """
        SELECT x.customer_key, x.source_system, x.customer_id, s.source_key
        FROM customer_xref x JOIN dim_source_system s ON s.source_system = x.source_system
        WHERE x.customer_key IN (SELECT k FROM etl_stage_keys) AND x.match_rule <> 'inferred'
        ORDER BY x.customer_key, s.source_key, x.customer_id""")
    best = ranked.drop_duplicates("customer_key")
    best = best[best["source_system"] == system]
    return members.merge(best[["customer_key", "customer_id"]], on=["customer_key",
                                                                   "customer_id"])


def _write_customers(conn: sa.Connection, rows: pd.DataFrame, today: date) -> None:
    if rows.empty:
        return
    stage_keys(conn, rows["customer_key"].to_numpy())
    old = read_frame(conn, "SELECT customer_key, segment FROM dim_customer "
                     "WHERE customer_key IN (SELECT k FROM etl_stage_keys)")
    conn.execute(sa.text("DELETE FROM dim_customer WHERE customer_key IN "
                         "(SELECT k FROM etl_stage_keys)"))
    out = rows.drop(columns=["customer_id", "match_rule"]).merge(old, on="customer_key",
                                                                  how="left")
    out["segment"] = out["segment"].fillna("")
    out["global_id"] = "G-" + out["customer_key"].astype(str).str.zfill(6)
    for column, width in (("customer_name", 80), ("city", 40), ("email", 120), ("phone", 40),
                          ("vat_number", 20), ("postal_code", 10), ("district", 10)):
        out[column] = out[column].str.slice(0, width)
    insert_frame(conn, "dim_customer", out)
    _versions(conn, out, today)


def _versions(conn: sa.Connection, rows: pd.DataFrame, today: date) -> None:
    """SCD2: open a version where a versioned attribute differs from the current one."""
    stage_keys(conn, rows["customer_key"].to_numpy())
    current = read_frame(conn, f"""
        SELECT customer_version_key, customer_key, valid_from, country, region, district
        FROM dim_customer_version WHERE valid_to = '{OPEN_END}' AND customer_key > 0
          AND customer_key IN (SELECT k FROM etl_stage_keys)""")
    merged = rows[["customer_key", *VERSIONED, "segment"]].merge(
        current, on="customer_key", how="left", suffixes=("", "_old"))
    changed = merged["customer_version_key"].isna()
    for column in VERSIONED:
        changed |= merged[column] != merged[f"{column}_old"].fillna("")
    merged = merged[changed]
    if merged.empty:
        return
    first = merged["customer_version_key"].isna()
    starts = pd.Series(np.where(first, FIRST_DAY, today.isoformat()), index=merged.index)
    # Overwritten in place: a version opened today, and the empty version of an inferred
    # member (its facts get the attributes the late master record brings).
    blank = (merged[[f"{c}_old" for c in VERSIONED]].fillna("") == "").all(axis=1)
    same_day = ~first & ((to_date(merged["valid_from"]) == pd.Timestamp(today)) | blank)
    closing = merged[~first & ~same_day]
    if len(closing):
        stage_keys(conn, closing["customer_version_key"].astype("int64").to_numpy())
        conn.execute(sa.text("UPDATE dim_customer_version SET valid_to = :d WHERE "
                             "customer_version_key IN (SELECT k FROM etl_stage_keys)"),
                     {"d": (today - timedelta(days=1)).isoformat()})
    redo = merged[same_day]
    if len(redo):
        stage_keys(conn, redo["customer_version_key"].astype("int64").to_numpy())
        conn.execute(sa.text("DELETE FROM dim_customer_version WHERE customer_version_key IN "
                             "(SELECT k FROM etl_stage_keys)"))
    keys = np.where(same_day, merged["customer_version_key"].fillna(0), 0).astype("int64")
    fresh = keys == 0
    keys[fresh] = np.arange(fresh.sum()) + _next(conn, "dim_customer_version",
                                                  "customer_version_key")
    insert_frame(conn, "dim_customer_version", pd.DataFrame({
        "customer_version_key": keys, "customer_key": merged["customer_key"].to_numpy(),
        "valid_from": np.where(same_day, merged["valid_from"].astype(str).str.slice(0, 10),
                               starts),
        "valid_to": OPEN_END, "country": merged["country"].to_numpy(),
        "region": merged["region"].to_numpy(), "district": merged["district"].to_numpy(),
        "segment": merged["segment"].to_numpy()}))


def _candidates(conn: sa.Connection, system: str, new: pd.DataFrame) -> None:
    """Name + postal code look-alikes of new global customers: left for review."""
    if new.empty:
        return
    others = read_frame(conn, """
        SELECT d.customer_key, d.customer_name, d.postal_code, x.source_system, x.customer_id
        FROM dim_customer d JOIN customer_xref x ON x.customer_key = d.customer_key
        WHERE d.customer_key > 0 AND d.postal_code <> ''""")
    # Same postal code first (a hash join), then compare normalised names of those pairs only.
    pairs = new.merge(others, on="postal_code", suffixes=("", "_other"))
    pairs = pairs[(pairs["customer_key"] != pairs["customer_key_other"])
                  & (normalise_name(pairs["customer_name"])
                     == normalise_name(pairs["customer_name_other"]))]
    if pairs.empty:
        return
    rows = pd.DataFrame({
        "source_system": system, "customer_id": pairs["customer_id"].to_numpy(),
        "other_source_system": pairs["source_system"].to_numpy(),
        "other_customer_id": pairs["customer_id_other"].to_numpy(),
        "rule": "name+postal", "status": "review"}).drop_duplicates(
        ["customer_id", "other_source_system", "other_customer_id"])
    existing = read_frame(conn, "SELECT customer_id, other_source_system, other_customer_id "
                          f"FROM customer_match_candidate WHERE source_system = '{system}'")
    rows = rows.merge(existing, how="left", indicator=True,
                      on=["customer_id", "other_source_system", "other_customer_id"])
    insert_frame(conn, "customer_match_candidate",
                 rows[rows["_merge"] == "left_only"].drop(columns="_merge"))


def customer_keys(conn: sa.Connection, system: str, ids: pd.Series) -> pd.Series:
    """Global customer keys of local customer numbers (0 for none); inferred when unknown."""
    clean = text(ids)
    distinct = pd.Series(pd.unique(clean))
    distinct = distinct[distinct != ""]
    if distinct.empty:
        return pd.Series(0, index=ids.index, dtype="int64")
    xref = _xref(conn, system)
    missing = distinct[~is_in(distinct, xref["customer_id"])]
    if len(missing):
        missing = missing.sort_values(ignore_index=True)
        keys = np.arange(len(missing)) + _next(conn, "dim_customer", "customer_key")
        insert_frame(conn, "customer_xref", pd.DataFrame({
            "source_system": system, "customer_id": missing, "customer_key": keys,
            "match_rule": "inferred", "local_name": ""}))
        insert_frame(conn, "dim_customer", pd.DataFrame({
            "customer_key": keys,
            "global_id": "G-" + pd.Series(keys).astype(str).str.zfill(6)}))
        versions = np.arange(len(missing)) + _next(conn, "dim_customer_version",
                                                   "customer_version_key")
        insert_frame(conn, "dim_customer_version", pd.DataFrame({
            "customer_version_key": versions, "customer_key": keys,
            "valid_from": FIRST_DAY, "valid_to": OPEN_END}))
        xref = pd.concat([xref, pd.DataFrame({"customer_id": missing, "customer_key": keys})])
    return lookup(clean, xref["customer_id"].astype(str), xref["customer_key"])


def version_keys(conn: sa.Connection, customer: pd.Series, dates: pd.Series) -> pd.Series:
    """The ``dim_customer_version`` valid for each (customer key, document date); 0 if none."""
    versions = read_frame(conn, "SELECT customer_version_key, customer_key, valid_from "
                          "FROM dim_customer_version WHERE customer_key > 0")
    frame = pd.DataFrame({"pos": np.arange(len(customer)), "customer_key":
                          customer.to_numpy(dtype="int64"), "day": to_date(dates).to_numpy()})
    out = np.zeros(len(customer), dtype="int64")
    usable = frame[frame["day"].notna() & (frame["customer_key"] > 0)]
    if len(usable) and len(versions):
        versions["valid_from"] = to_date(versions["valid_from"].astype(str))
        versions["customer_key"] = versions["customer_key"].astype("int64")
        matched = pd.merge_asof(usable.sort_values("day"),
                                versions.sort_values("valid_from"), left_on="day",
                                right_on="valid_from", by="customer_key", direction="backward")
        out[matched["pos"].to_numpy()] = matched["customer_version_key"].fillna(0) \
            .astype("int64").to_numpy()
    return pd.Series(out, index=customer.index)
