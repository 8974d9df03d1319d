"""The "true" companies behind the demo customers, and how each source system spells them.

A landscape of source systems (a current and a legacy one, say) shares one pool of real
companies. Each system holds a subset of them under its own customer numbers, and writes them
its own way: name case and punctuation (``GmbH`` / ``Gmbh`` / ``G.m.b.H.``, ``Ltd.`` /
``Limited``), umlauts or their ASCII spelling, street abbreviations (``Lindenstraße`` /
``Lindenstr.``), phone formats (``+49 30 1234567`` / ``030/1234567``), e-mail case, VAT numbers
with blanks or not at all. The pool and each system's view depend only on the seed and the
system's name, so systems generated one by one still overlap consistently.

Membership is independent per system with probability ``p = 2J / (1 + J)``: any two systems
then share a Jaccard fraction ``J`` of their companies (``|A ∩ B| / |A or B|``, default 0.30).

Example::

    pool = company_pool(np.random.Generator(np.random.PCG64(42)), 1000)
    view = system_view(pool, seed=42, system="legacy", style=LEGACY_STYLE, overlap=0.3)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kubus.oltp.gen_distributions import cdf, or_none, sample

__all__ = [
    "CURRENT_STYLE",
    "LEGACY_STYLE",
    "SpellingStyle",
    "company_pool",
    "membership_probability",
    "system_view",
]

# (country, weight, phone country code, VAT prefix or "" (no VAT), legal forms,
#  cities as (name, ASCII name, postal code stem, phone area code, region))
_COUNTRIES: tuple[tuple[str, float, str, str, tuple[str, ...],
                        tuple[tuple[str, str, str, str, str], ...]], ...] = (
    ("DE", 35, "49", "DE", ("GmbH", "AG", "GmbH & Co. KG", "KG"), (
        ("Berlin", "Berlin", "10", "30", "BE"), ("Hamburg", "Hamburg", "20", "40", "HH"),
        ("München", "Muenchen", "80", "89", "BY"), ("Köln", "Koeln", "50", "221", "NW"),
        ("Frankfurt am Main", "Frankfurt a.M.", "60", "69", "HE"),
        ("Stuttgart", "Stuttgart", "70", "711", "BW"))),
    ("AT", 8, "43", "ATU", ("GmbH", "AG"), (
        ("Wien", "Wien", "1", "1", "W"), ("Graz", "Graz", "8", "316", "ST"),
        ("Linz", "Linz", "4", "732", "OO"))),
    ("CH", 6, "41", "CHE", ("AG", "GmbH", "SA"), (
        ("Zürich", "Zuerich", "8", "44", "ZH"), ("Basel", "Basel", "4", "61", "BS"),
        ("Bern", "Bern", "3", "31", "BE"))),
    ("GB", 15, "44", "GB", ("Ltd.", "PLC", "LLP"), (
        ("London", "London", "EC", "20", ""), ("Manchester", "Manchester", "M", "161", ""),
        ("Birmingham", "Birmingham", "B", "121", ""))),
    ("US", 20, "1", "", ("Inc.", "LLC", "Corp."), (
        ("New York", "New York", "100", "212", "NY"), ("Chicago", "Chicago", "606", "312", "IL"),
        ("Boston", "Boston", "021", "617", "MA"), ("Austin", "Austin", "787", "512", "TX"))),
    ("FR", 8, "33", "FR", ("SA", "SARL", "SAS"), (
        ("Paris", "Paris", "75", "1", ""), ("Lyon", "Lyon", "69", "4", ""),
        ("Lille", "Lille", "59", "3", ""))),
    ("NL", 8, "31", "NL", ("B.V.", "N.V."), (
        ("Amsterdam", "Amsterdam", "10", "20", "NH"), ("Rotterdam", "Rotterdam", "30", "10", "ZH"),
        ("Utrecht", "Utrecht", "35", "30", "UT"))),
)

# How a system may write each legal form; the first spelling is the canonical one.
_LEGAL_FORM_SPELLINGS: dict[str, tuple[str, ...]] = {
    "GmbH": ("GmbH", "Gmbh", "GMBH", "G.m.b.H."),
    "AG": ("AG", "A.G.", "Aktiengesellschaft"),
    "GmbH & Co. KG": ("GmbH & Co. KG", "GmbH & Co KG", "GmbH u. Co. KG"),
    "KG": ("KG", "K.G."),
    "Ltd.": ("Ltd.", "Ltd", "Limited", "LTD"),
    "PLC": ("PLC", "plc", "Public Limited Company"),
    "LLP": ("LLP", "L.L.P."),
    "Inc.": ("Inc.", "Inc", "Incorporated"),
    "LLC": ("LLC", "L.L.C.", "Llc"),
    "Corp.": ("Corp.", "Corporation", "Corp"),
    "SA": ("SA", "S.A."),
    "SARL": ("SARL", "S.A.R.L.", "Sarl"),
    "SAS": ("SAS", "S.A.S."),
    "B.V.": ("B.V.", "BV", "B.V"),
    "N.V.": ("N.V.", "NV"),
}

# Company names are a mixed-radix code: 24 * 16 * 20 = 7,680 bodies, then numbered branches.
_HEADS = ("Ber", "Cal", "Dor", "Ell", "Fal", "Gar", "Hol", "Ith", "Jor", "Kel", "Lan", "Mor",
          "Nel", "Ost", "Par", "Quin", "Ros", "Sal", "Tor", "Wen", "Brü", "Mül", "Söl", "Hä")
_TAILS = ("by", "den", "field", "ford", "gate", "ham", "hurst", "ley", "mark", "mont",
          "ridge", "son", "ston", "ton", "vale", "wick")
_NOUNS = ("Trading", "Supplies", "Retail", "Industries", "Partners", "Logistics", "Systems",
          "Goods", "Works", "Holdings", "Handel", "Bürotechnik", "Maschinenbau", "Vertrieb",
          "Müller & Sohn", "Technik", "Outfitters", "Stores", "Services", "Großhandel")
# Street stems by language: German (DE, AT, CH, NL), English (GB, US), French (FR).
_STREETS_DE = ("Linden", "Haupt", "Garten", "Schiller", "Goethe", "Bahnhof", "Kirch", "Berg")
_STREETS_EN = ("Main", "Oak", "Park", "Mill", "Station", "Church", "High", "Market")
_STREETS_FR = ("de la Paix", "Victor Hugo", "du Marché", "de la Gare", "Pasteur", "des Lilas",
               "Voltaire", "du Moulin")

_UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"),
            ("ß", "ss"))


@dataclass(frozen=True)
class SpellingStyle:
    """How one source system writes master data (probabilities per customer).

    ``national_phone`` writes ``030/1234567`` instead of ``+49 30 1234567``; ``ascii_only``
    replaces umlauts (``Müller`` → ``Mueller``); ``variant_legal_form`` picks a non-canonical
    legal-form spelling; ``abbreviate_street`` writes ``Lindenstr.``/``Main St.``.
    """

    upper_case: float = 0.05
    variant_legal_form: float = 0.10
    punctuation: float = 0.05
    whitespace: float = 0.03
    ascii_only: float = 0.0
    abbreviate_street: float = 0.10
    moved: float = 0.02  # a different street address (an outdated or newer one)
    national_phone: float = 0.0
    no_phone: float = 0.05
    email_case: float = 0.05
    no_email: float = 0.10
    vat_blanks: float = 0.0
    no_vat: float = 0.05


CURRENT_STYLE = SpellingStyle()
LEGACY_STYLE = SpellingStyle(upper_case=0.35, variant_legal_form=0.60, punctuation=0.25,
                             whitespace=0.10, ascii_only=1.0, abbreviate_street=0.60, moved=0.10,
                             national_phone=0.90, no_phone=0.10, email_case=0.40, no_email=0.25,
                             vat_blanks=0.50, no_vat=0.30)


def membership_probability(overlap: float) -> float:
    """Per-system inclusion probability giving a pairwise Jaccard overlap of ``overlap``."""
    if not 0.0 <= overlap <= 1.0:
        raise ValueError(f"overlap must be within [0, 1], got {overlap}")
    return 2.0 * overlap / (1.0 + overlap) if overlap > 0 else 1.0


def company_pool(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """``count`` true companies with canonical name, address, phone, e-mail and VAT number."""
    weights = np.asarray([c[1] for c in _COUNTRIES], dtype=np.float64)
    country_of = sample(rng, cdf(weights), count)
    # Distinct name codes spread over all combinations (not just the first few nouns).
    code = rng.permutation(max(count, len(_HEADS) * len(_TAILS) * len(_NOUNS)))[:count]
    body = _pick(_HEADS, code % len(_HEADS)) + _pick(_TAILS, code // len(_HEADS) % len(_TAILS))
    noun = _pick(_NOUNS, code // (len(_HEADS) * len(_TAILS)) % len(_NOUNS))
    branch = code // (len(_HEADS) * len(_TAILS) * len(_NOUNS))
    body = body + " " + noun
    body = np.where(branch > 0, body + " " + (branch + 1).astype(str).astype(object), body)
    form_draw = rng.random(count)
    city_draw = rng.random(count)
    legal_form = np.empty(count, dtype=object)
    city = np.empty(count, dtype=object)
    city_ascii = np.empty(count, dtype=object)
    postal_stem = np.empty(count, dtype=object)
    area = np.empty(count, dtype=object)
    region = np.empty(count, dtype=object)
    dial = np.empty(count, dtype=object)
    vat_prefix = np.empty(count, dtype=object)
    for index, (country, _, code_, vat, forms, cities) in enumerate(_COUNTRIES):
        mine = country_of == index
        legal_form[mine] = _pick(forms, (form_draw[mine] * len(forms)).astype(np.int64))
        which = (city_draw[mine] * len(cities)).astype(np.int64)
        for field, out in enumerate((city, city_ascii, postal_stem, area, region)):
            out[mine] = _pick(tuple(c[field] for c in cities), which)
        dial[mine] = code_
        vat_prefix[mine] = vat
        del country
    countries = _pick(tuple(c[0] for c in _COUNTRIES), country_of)
    postal = _postal_codes(rng, countries, postal_stem)
    stem = rng.integers(0, len(_STREETS_DE), count)
    house = rng.integers(1, 180, count).astype(str).astype(object)
    subscriber = rng.integers(1_000_000, 9_999_999, count).astype(str).astype(object)
    vat_digits = rng.integers(100_000_000, 999_999_999, count).astype(str).astype(object)
    vat_digits = np.where(vat_prefix == "ATU", pd.Series(vat_digits).str.slice(0, 8), vat_digits)
    slug = (pd.Series(_ascii(body)).str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True)
            .str.strip("-").to_numpy(dtype=object))
    tld = pd.Series(countries).str.lower().replace({"us": "com", "gb": "co.uk"})
    return pd.DataFrame({
        "company_id": pd.Series(np.arange(1, count + 1)).map("G{:07d}".format),
        "body": body,
        "legal_form": legal_form,
        "name": body + " " + legal_form,
        "country": countries,
        "city": city,
        "city_ascii": city_ascii,
        "region": region,
        "postal_code": postal,
        "street_stem": stem,
        "house": house,
        "dial": dial,
        "area": area,
        "subscriber": subscriber,
        "email": "info@" + slug + "." + tld.to_numpy(dtype=object),
        "vat": or_none(vat_prefix != "", vat_prefix + vat_digits),
    })


def system_view(pool: pd.DataFrame, *, seed: int, system: str, style: SpellingStyle,
                overlap: float) -> pd.DataFrame:
    """The pool members one system holds, written in that system's ``style``.

    Columns: ``company_id`` (the ground truth), ``name``, ``street``, ``city``, ``postal_code``,
    ``region``, ``country``, ``phone``, ``email``, ``vat_number``. Rows keep pool order.
    """
    rng = np.random.Generator(np.random.PCG64([seed, zlib.crc32(system.encode())]))
    keep = rng.random(len(pool)) < membership_probability(overlap)
    view = pool.loc[keep].reset_index(drop=True)
    n = len(view)

    def draw(p: float) -> np.ndarray:
        return rng.random(n) < p

    body = view["body"].to_numpy(dtype=object)
    form = _legal_form_spelling(rng, view, draw(style.variant_legal_form))
    punctuate = draw(style.punctuation)
    comma = rng.random(n) < 0.5
    name = np.where(punctuate & comma, body + ", " + form, body + " " + form)
    dotted = pd.Series(name, dtype=object).str.rstrip(".").to_numpy(dtype=object) + "."
    name = np.where(punctuate & ~comma, dotted, name)
    ascii_only = draw(style.ascii_only)
    name = np.where(ascii_only, _ascii(name), name)
    text = pd.Series(name, dtype=object).astype(str)
    name = np.where(draw(style.upper_case), text.str.upper().to_numpy(dtype=object), name)
    text = pd.Series(name, dtype=object).astype(str)
    name = np.where(draw(style.whitespace), text.str.replace(" ", "  ", n=1)
                    .to_numpy(dtype=object), name)
    moved = draw(style.moved)  # another street of the same town: an old or a new address
    stem = view["street_stem"].to_numpy() + np.where(moved, 3, 0)
    house = np.where(moved, (view["house"].astype(int) + 11).astype(str), view["house"])
    countries = view["country"].to_numpy(dtype=object)
    street = _street(countries, _street_name(countries, stem), house,
                     draw(style.abbreviate_street))
    street = np.where(ascii_only, _ascii(street), street)
    city = np.where(ascii_only, view["city_ascii"], view["city"])
    phone = np.where(draw(style.national_phone), _national_phone(view), _international_phone(view))
    phone = or_none(~draw(style.no_phone), phone)
    email = np.where(draw(style.email_case), _mixed_case_email(view["email"]), view["email"])
    email = or_none(~draw(style.no_email), email)
    vat = view["vat"].to_numpy(dtype=object)
    blanks = draw(style.vat_blanks) & (vat != None)  # noqa: E711 - elementwise comparison
    vat = np.where(blanks, _vat_with_blanks(vat), vat)
    vat = or_none(~draw(style.no_vat), vat)
    return pd.DataFrame({
        "company_id": view["company_id"], "name": name, "street": street, "city": city,
        "postal_code": view["postal_code"], "region": view["region"],
        "country": view["country"], "phone": phone, "email": email, "vat_number": vat,
    })


def _pick(values: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    return np.asarray(np.asarray(values, dtype=object)[index])


def _postal_codes(rng: np.random.Generator, country: np.ndarray,
                  stem: np.ndarray) -> np.ndarray:
    n = len(country)
    digits = rng.integers(0, 1000, n)
    three = pd.Series(digits).map("{:03d}".format).to_numpy(dtype=object)
    two = pd.Series(digits % 100).map("{:02d}".format).to_numpy(dtype=object)
    letters = _pick(tuple("ABDEHJLNPRSTUWXYZ"), rng.integers(0, 17, n))
    # DE/FR: 5 digits; AT/CH: 4; US: 5 (3-digit stem); GB: "EC1A 1BB"-like; NL: "1011 AB".
    code = np.where(np.isin(country, ["DE", "FR"]), stem + three,
                    np.where(np.isin(country, ["AT", "CH"]), stem + three, stem + two))
    code = np.where(country == "GB", stem + (digits % 9 + 1).astype(str) + " "
                    + (digits % 7 + 1).astype(str) + letters + letters, code)
    return np.asarray(np.where(country == "NL", stem + two + " " + letters + letters, code))


def _legal_form_spelling(rng: np.random.Generator, view: pd.DataFrame,
                         variant: np.ndarray) -> np.ndarray:
    """The legal form as each customer's record spells it (canonical unless ``variant``)."""
    forms = view["legal_form"].to_numpy(dtype=object)
    chosen = forms.copy()
    draw = rng.random(len(view))
    for form, spellings in _LEGAL_FORM_SPELLINGS.items():
        mine = variant & (forms == form)
        alternatives = spellings[1:]
        chosen[mine] = _pick(alternatives, (draw[mine] * len(alternatives)).astype(np.int64))
    return chosen


def _ascii(values: np.ndarray) -> np.ndarray:
    series = pd.Series(values, dtype=object)
    for umlaut, plain in _UMLAUTS:
        series = series.str.replace(umlaut, plain, regex=False)
    return series.to_numpy(dtype=object)


def _street_name(country: np.ndarray, stem: np.ndarray) -> np.ndarray:
    """The street stem in the country's language (German also for AT, CH and NL)."""
    stem = stem % len(_STREETS_DE)
    return np.asarray(np.where(np.isin(country, ["GB", "US"]), _pick(_STREETS_EN, stem),
                               np.where(country == "FR", _pick(_STREETS_FR, stem),
                                        _pick(_STREETS_DE, stem))))


def _street(country: np.ndarray, name: np.ndarray, house: np.ndarray,
            abbreviate: np.ndarray) -> np.ndarray:
    german = np.isin(country, ["DE", "AT", "CH"])
    de_full = name + "straße " + house
    de_short = name + "str. " + house
    en_full = house + " " + name + " Street"
    en_short = house + " " + name + " St."
    fr = house + " rue " + name
    nl = name + "straat " + house
    out = np.where(german, np.where(abbreviate, de_short, de_full),
                   np.where(abbreviate, en_short, en_full))
    out = np.where(country == "FR", fr, out)
    return np.asarray(np.where(country == "NL", nl, out))


def _international_phone(view: pd.DataFrame) -> np.ndarray:
    return ("+" + view["dial"] + " " + view["area"] + " " + view["subscriber"]).to_numpy(
        dtype=object)


def _national_phone(view: pd.DataFrame) -> np.ndarray:
    us = view["country"] == "US"
    sub = view["subscriber"]
    american = "(" + view["area"] + ") " + sub.str.slice(0, 3) + "-" + sub.str.slice(3)
    european = "0" + view["area"] + "/" + sub
    return np.where(us, american, european)


def _mixed_case_email(email: pd.Series) -> np.ndarray:
    local_domain = email.str.split("@", n=1, expand=True)
    return (local_domain[0].str.capitalize() + "@" + local_domain[1].str.title()).to_numpy(
        dtype=object)


def _vat_with_blanks(vat: np.ndarray) -> np.ndarray:
    series = pd.Series(vat, dtype=object).fillna("")
    spaced = series.str.replace(r"^([A-Z]+)(\d{3})(\d{3})(\d{3})$", r"\1 \2 \3 \4", regex=True)
    return or_none((series != "").to_numpy(), spaced.to_numpy(dtype=object))
