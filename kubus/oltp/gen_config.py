"""Configuration data of the OLTP demo generator: currencies, calendars, terms, organisation.

Fixed in every source system: currencies with monthly exchange rates (a random walk from the
seed), factory calendars with fixed-date holidays, payment terms, tax rates, one sales area,
two plants (Hamburg for Europe, Chicago for the United States) with a shipping point each,
routes and the route determination for the customers' transport zones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CALENDAR_WEEKMASK", "COUNTRY_CURRENCY", "CURRENCIES", "PLANTS", "ROUTES",
           "SALES_AREA", "STORAGE_LOCATION", "TERMS", "Columns", "configuration", "route_index"]

Columns = dict[str, np.ndarray]

SALES_AREA = ("1000", "10", "00")
STORAGE_LOCATION = "0001"
CALENDAR_WEEKMASK = "1111100"
# (currency, name, units of EUR per unit at the start, monthly volatility)
CURRENCIES = (("EUR", "Euro", 1.0, 0.0), ("USD", "US Dollar", 0.92, 0.015),
              ("GBP", "Pound Sterling", 1.16, 0.010), ("CHF", "Swiss Franc", 1.04, 0.008))
COUNTRY_CURRENCY = {"US": "USD", "GB": "GBP", "CH": "CHF"}
# (terms, description, discount days, discount %, net days, share of customers)
TERMS = (("ZB10", "2% 10 days, net 30", 10, 2.0, 30, 40), ("ZN30", "30 days net", 0, 0.0, 30, 30),
         ("ZB14", "3% 14 days, net 45", 14, 3.0, 45, 10), ("ZN60", "60 days net", 0, 0.0, 60, 10),
         ("ZN14", "14 days net", 0, 0.0, 14, 10))
# (plant, name, country, calendar, shipping point, departure zone)
PLANTS = (("1000", "Hamburg", "DE", "DE", "1000", "DE-N"),
          ("2000", "Chicago", "US", "US", "2000", "US-MW"))
# Fixed-date public holidays (month, day, name) per calendar.
HOLIDAYS = {"DE": ((1, 1, "Neujahr"), (5, 1, "Tag der Arbeit"),
                   (10, 3, "Tag der Deutschen Einheit"), (12, 25, "1. Weihnachtstag"),
                   (12, 26, "2. Weihnachtstag")),
            "US": ((1, 1, "New Year's Day"), (7, 4, "Independence Day"),
                   (12, 25, "Christmas Day"))}
# (route, description, transit days, transport lead days); chosen by destination below.
ROUTES = (("R00001", "Domestic Germany", 1, 1), ("R00002", "EU road freight", 3, 1),
          ("R00003", "Export Europe (non-EU)", 4, 1), ("R00004", "US domestic", 2, 1),
          ("R00005", "Express", 1, 0))
EU = frozenset({"DE", "AT", "FR", "NL"})


def _full(n: int, value: object) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def configuration(rng: np.random.Generator, first_day: np.datetime64, last_day: np.datetime64,
                  *, customer_country: np.ndarray, customer_zone: np.ndarray,
                  customer_plant: np.ndarray) -> tuple[dict[str, Columns], dict[str, np.ndarray]]:
    """Configuration tables and the holidays per calendar (as ``datetime64`` arrays).

    The route determination and tax rates cover the customers' countries and transport zones.
    """
    tables: dict[str, Columns] = {}
    holidays: dict[str, np.ndarray] = {}
    _currencies(tables, rng, first_day, last_day)
    _calendars(tables, holidays, first_day, last_day)
    _organisation(tables, customer_country, customer_zone, customer_plant)
    return tables, holidays


def _currencies(t: dict[str, Columns], rng: np.random.Generator, first_day: np.datetime64,
                last_day: np.datetime64) -> None:
    """Currencies, and monthly rates to and from EUR (a random walk per currency)."""
    t["currency"] = {"currency": np.asarray([c[0] for c in CURRENCIES], dtype=object),
                     "name": np.asarray([c[1] for c in CURRENCIES], dtype=object),
                     "decimals": np.full(len(CURRENCIES), 2)}
    months = np.arange(first_day.astype("datetime64[M]") - 1,
                       last_day.astype("datetime64[M]") + 1, dtype="datetime64[M]")
    frm, to, valid, rate = [], [], [], []
    for code, _, start, vol in CURRENCIES[1:]:
        walk = start * np.exp(np.cumsum(rng.normal(0.0, vol, len(months))))
        for a, b, r in ((code, "EUR", walk), ("EUR", code, 1.0 / walk)):
            frm.append(_full(len(months), a))
            to.append(_full(len(months), b))
            valid.append(months.astype("datetime64[D]"))
            rate.append(np.round(r, 6))
    t["exchange_rate"] = {"from_currency": np.concatenate(frm), "to_currency": np.concatenate(to),
                          "valid_from": np.concatenate(valid), "rate": np.concatenate(rate)}


def _calendars(t: dict[str, Columns], holidays_of: dict[str, np.ndarray],
               first_day: np.datetime64, last_day: np.datetime64) -> None:
    """Factory calendars with their fixed-date holidays around the history."""
    t["factory_calendar"] = {
        "calendar_id": np.asarray(["DE", "US", "RT6"], dtype=object),
        "name": np.asarray(["Germany", "United States", "Forwarder six-day week"], dtype=object),
        "workdays": np.asarray([CALENDAR_WEEKMASK, CALENDAR_WEEKMASK, "1111110"], dtype=object)}
    years = range(int(str(first_day)[:4]) - 1, int(str(last_day)[:4]) + 2)
    cal, day, name = [], [], []
    for calendar, holidays in HOLIDAYS.items():
        dates = [np.datetime64(f"{y}-{m:02d}-{d:02d}") for y in years for m, d, _ in holidays]
        holidays_of[calendar] = np.asarray(dates, dtype="datetime64[D]")
        cal += [calendar] * len(dates)
        day += dates
        name += [n for _ in years for _, _, n in holidays]
    t["calendar_holiday"] = {"calendar_id": np.asarray(cal, dtype=object),
                             "holiday": np.asarray(day, dtype="datetime64[D]"),
                             "name": np.asarray(name, dtype=object)}


def _organisation(t: dict[str, Columns], customer_country: np.ndarray,
                  customer_zone: np.ndarray, customer_plant: np.ndarray) -> None:
    """Payment terms, tax rates, sales area, plants, shipping points, routes."""
    t["payment_terms"] = {"terms": np.asarray([x[0] for x in TERMS], dtype=object),
                          "description": np.asarray([x[1] for x in TERMS], dtype=object),
                          "discount_days": np.asarray([x[2] for x in TERMS]),
                          "discount_percent": np.asarray([x[3] for x in TERMS]),
                          "net_days": np.asarray([x[4] for x in TERMS])}
    # Order entry looks tax up by the plant's country (services/sales.py).
    countries = sorted({*np.unique(customer_country).tolist(), *(p[2] for p in PLANTS)})
    rows: list[tuple[object, ...]] = [
        (c, "1", m, *(("A1", 19.0) if m == "1" else ("A2", 7.0))) if c == "DE"
        else (c, "1", m, "A0", 0.0) for c in countries for m in ("1", "2")]
    t["tax_rate"] = _rows(("country", "customer_tax_class", "material_tax_class", "tax_code",
                           "rate"), rows)
    t["sales_area"] = _rows(("sales_org", "distribution_channel", "division", "name"),
                            [(*SALES_AREA, "Direct sales")])
    t["plant"] = _rows(("plant", "name", "country", "calendar_id"),
                       [(p, n, c, cal_) for p, n, c, cal_, _, _ in PLANTS])
    t["storage_location"] = _rows(("plant", "storage_location", "name"),
                                  [(p[0], STORAGE_LOCATION, "Main warehouse") for p in PLANTS])
    t["shipping_point"] = _rows(
        ("shipping_point", "plant", "name", "calendar_id", "departure_zone", "loading_days",
         "pick_pack_days"), [(sp, p, f"Shipping {n}", cal_, zone, 1.0, 1.0)
                             for p, n, _, cal_, sp, zone in PLANTS])
    t["route"] = _rows(("route", "description", "transit_days", "transport_lead_days",
                        "calendar_id"), [(*r, "RT6") for r in ROUTES])
    zones = pd.DataFrame({"country": customer_country, "zone": customer_zone,
                          "plant": customer_plant}).drop_duplicates()
    rd = []
    for country, zone, plant_index in zones.itertuples(index=False):
        departure = PLANTS[plant_index][5]
        rd.append((departure, country, zone, "01", "0001", ROUTES[route_index(country)][0]))
        rd.append((departure, country, zone, "02", "0001", "R00005"))
    t["route_determination"] = _rows(("departure_zone", "destination_country",
                                      "destination_zone", "shipping_conditions",
                                      "transportation_group", "route"), sorted(rd))


def _rows(names: tuple[str, ...], rows: list[tuple[object, ...]]) -> Columns:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    out: Columns = {}
    for name, values in zip(names, columns, strict=True):
        kind = object if isinstance(values[0], str) else None
        out[name] = np.asarray(values, dtype=kind)
    return out


def route_index(country: str) -> int:
    """The route (index into :data:`ROUTES`) from the plant to a country."""
    if country == "DE":
        return 0
    if country in EU:
        return 1
    return 3 if country == "US" else 2
