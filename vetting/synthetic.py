"""Deterministic generator of FICTIONAL ketamine-therapy clinics, in the clinics-CSV format.

Every clinic is invented: names, street addresses, phones (the reserved 555-01XX range) and websites
(the reserved ``.example`` top-level domain). Only the places are real: city, state, ZIP and the
approximate coordinates come from the offline ``zipcodes`` gazetteer.

The generator is vectorised (numpy for the numbers, Arrow compute kernels for the text; no per-row
Python loops), so a million rows take seconds.
Answers are correlated through a per-clinic latent "quality", so good clinics are good across the
board and the checklist grades A to F all occur.

Usage::

    python -m vetting.synthetic --rows 1000000 --seed 7 --today 2026-11-01 --out /tmp/big.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .checklist import load_checklist
from .contract import COLUMN_NAMES, CONDITIONS, ROUTES

__all__ = ["COLUMNS", "CONDITIONS", "CRITICAL", "DEFAULT_TODAY", "METROS", "ROUTES", "generate", "write_csv"]

#: The date used when ``today`` is not given, so that output never depends on the clock.
DEFAULT_TODAY = dt.date(2026, 11, 1)

#: The contract's columns and vocabularies (one source of truth: vetting.contract).
COLUMNS: tuple[str, ...] = COLUMN_NAMES
CRITICAL: tuple[str, ...] = tuple(c.id for c in load_checklist().criteria if c.critical)
SOURCE_NOTE = "fictional sample record (vetting.synthetic)"

#: Real US metro areas: (city as spelled in the gazetteer, state, sampling weight = metro population in
#: millions, local area codes). Clinics are spread over the city's own STANDARD ZIP codes. When there
#: are at least as many rows as metros, every metro gets one clinic and the rest go by weight.
METROS: tuple[tuple[str, str, float, tuple[str, ...]], ...] = (
    ("New York", "NY", 19.5, ("212", "646", "917")),
    ("Los Angeles", "CA", 12.8, ("213", "323", "310")),
    ("Chicago", "IL", 9.3, ("312", "773")),
    ("Dallas", "TX", 7.9, ("214", "469", "972")),
    ("Houston", "TX", 7.3, ("713", "281", "832")),
    ("Washington", "DC", 6.3, ("202",)),
    ("Atlanta", "GA", 6.3, ("404", "678", "470")),
    ("Philadelphia", "PA", 6.2, ("215", "267")),
    ("Miami", "FL", 6.1, ("305", "786")),
    ("Phoenix", "AZ", 5.0, ("602", "480")),
    ("Boston", "MA", 4.9, ("617", "857")),
    ("Riverside", "CA", 4.7, ("951",)),
    ("San Francisco", "CA", 4.6, ("415", "628")),
    ("Detroit", "MI", 4.3, ("313",)),
    ("Seattle", "WA", 4.0, ("206",)),
    ("Minneapolis", "MN", 3.7, ("612",)),
    ("San Diego", "CA", 3.3, ("619", "858")),
    ("Tampa", "FL", 3.3, ("813",)),
    ("Denver", "CO", 3.0, ("303", "720")),
    ("Baltimore", "MD", 2.8, ("410", "443")),
    ("Saint Louis", "MO", 2.8, ("314",)),
    ("Orlando", "FL", 2.8, ("407", "321")),
    ("Charlotte", "NC", 2.7, ("704", "980")),
    ("San Antonio", "TX", 2.7, ("210",)),
    ("Portland", "OR", 2.5, ("503", "971")),
    ("Sacramento", "CA", 2.4, ("916",)),
    ("Pittsburgh", "PA", 2.4, ("412",)),
    ("Austin", "TX", 2.4, ("512", "737")),
    ("Las Vegas", "NV", 2.3, ("702", "725")),
    ("Cincinnati", "OH", 2.3, ("513",)),
    ("Kansas City", "MO", 2.2, ("816",)),
    ("Columbus", "OH", 2.1, ("614",)),
    ("Indianapolis", "IN", 2.1, ("317",)),
    ("Cleveland", "OH", 2.1, ("216",)),
    ("San Jose", "CA", 2.0, ("408", "669")),
    ("Nashville", "TN", 2.0, ("615",)),
    ("Virginia Beach", "VA", 1.8, ("757",)),
    ("Providence", "RI", 1.7, ("401",)),
    ("Jacksonville", "FL", 1.7, ("904",)),
    ("Milwaukee", "WI", 1.6, ("414",)),
    ("Raleigh", "NC", 1.4, ("919", "984")),
    ("Oklahoma City", "OK", 1.4, ("405",)),
    ("Memphis", "TN", 1.3, ("901",)),
    ("Richmond", "VA", 1.3, ("804",)),
    ("Louisville", "KY", 1.3, ("502",)),
    ("Salt Lake City", "UT", 1.3, ("801", "385")),
    ("Hartford", "CT", 1.2, ("860",)),
    ("Buffalo", "NY", 1.2, ("716",)),
    ("Birmingham", "AL", 1.1, ("205",)),
    ("New Orleans", "LA", 1.0, ("504",)),
    ("Tucson", "AZ", 1.0, ("520",)),
    ("Omaha", "NE", 1.0, ("402",)),
    ("Honolulu", "HI", 1.0, ("808",)),
    ("Newark", "NJ", 1.0, ("973", "862")),
    ("Albuquerque", "NM", 0.9, ("505",)),
    ("Boise", "ID", 0.8, ("208",)),
    ("Charleston", "SC", 0.8, ("843",)),
    ("Colorado Springs", "CO", 2.5, ("719",)),  # 0.76; weighted up: the project's example location
    ("Little Rock", "AR", 0.75, ("501",)),
    ("Des Moines", "IA", 0.7, ("515",)),
    ("Wilmington", "DE", 0.7, ("302",)),
    ("Wichita", "KS", 0.65, ("316",)),
    ("Jackson", "MS", 0.58, ("601",)),
    ("Portland", "ME", 0.55, ("207",)),
    ("Manchester", "NH", 0.42, ("603",)),
    ("Anchorage", "AK", 0.4, ("907",)),
    ("Fort Collins", "CO", 0.36, ("970",)),
    ("Boulder", "CO", 0.33, ("303", "720")),
    ("Sioux Falls", "SD", 0.3, ("605",)),
    ("Fargo", "ND", 0.25, ("701",)),
    ("Burlington", "VT", 0.23, ("802",)),
    ("Charleston", "WV", 0.2, ("304",)),
    ("Billings", "MT", 0.19, ("406",)),
    ("Cheyenne", "WY", 0.1, ("307",)),
)

_NAME_FIRST = (
    "Bluebird", "Summit", "Aspen", "Clearwater", "Evergreen", "Harbor", "Lighthouse", "Meadowlark",
    "North Star", "Cedar", "Willow", "Sunrise", "Riverstone", "Juniper", "Silver Pine", "Horizon",
    "Kindred", "Lumen", "Open Sky", "True North", "Stillwater", "Red Rock", "Blue Heron", "Golden Hour",
    "Sage", "Magnolia", "Birchwood", "Tidewater", "Cornerstone", "Bright Path", "New Leaf", "Quiet Harbor",
    "Daybreak", "Lotus", "Mesa", "Compass", "Halcyon", "Beacon", "Wildflower", "Oak Hollow",
    "Bright Harbor", "Alpine", "Serenity", "Pinecrest", "Lakeshore", "Copper Canyon", "Eastwind", "Solstice",
    "Firefly", "Greenway", "Hummingbird", "Ironwood", "Larkspur", "Moonrise", "Riverbend", "Starling",
)
_NAME_MIDDLE = (  # "Ketamine" twice: the most common
    "Ketamine", "Ketamine", "Ketamine Infusion", "Infusion", "Mind & Body", "Mental Health",
    "Neuropsychiatry", "Integrative Psychiatry", "Ketamine Therapy", "Restorative",
)
_NAME_LAST = (
    "Wellness", "Center", "Clinic", "Institute", "Health", "Therapeutics", "Partners", "Medical",
    "Wellness Center", "Treatment Center",
)
_STREETS = (
    "Larkspur", "Maple", "Aspen", "Cedar", "Elm", "Juniper", "Willow", "Magnolia", "Sycamore", "Hawthorne",
    "Linden", "Birch", "Poplar", "Chestnut", "Cottonwood", "Spruce", "Laurel", "Hickory", "Alder",
    "Redwood", "Primrose", "Bluebell", "Foxglove", "Meadow", "Orchard", "Harbor", "Ridge", "Canyon",
    "Prairie", "Lakeview",
)
_STREET_TYPES = ("Ave", "St", "Blvd", "Rd", "Dr", "Way", "Pkwy", "Ln", "Ct", "Pl")
_SPECIALTIES = ("anesthesiology", "psychiatry", "emergency_medicine", "other", "none")
_CONDITION_WEIGHTS = np.array([0.95, 0.85, 0.6, 0.5, 0.25, 0.22, 0.25, 0.3, 0.15, 0.12, 0.08, 0.12])

# Non-critical tri-state criteria: (column, base share unknown, intercept and slope of P(yes | known)).
_TRISTATE_CRITERIA: tuple[tuple[str, float, float, float], ...] = (
    ("board_certified", 0.10, 0.6, 1.68),
    ("ketamine_training", 0.12, 0.4, 1.68),
    ("acls_on_site", 0.10, 0.5, 1.80),
    ("team_published", 0.06, 0.6, 1.44),
    ("association_member", 0.14, -0.6, 1.44),
    ("dea_registered", 0.15, 1.6, 1.44),
    ("psychiatric_evaluation", 0.09, 0.3, 1.80),
    ("medication_review", 0.08, 1.0, 1.68),
    ("adverse_event_protocol", 0.11, 0.6, 1.80),
    ("follow_up_care", 0.07, 0.5, 1.56),
    ("pricing_published", 0.05, -0.1, 1.20),
    ("risks_disclosed", 0.06, 0.5, 1.68),
    ("process_explained", 0.05, 1.0, 1.44),
    ("informed_consent", 0.10, 1.2, 1.68),
    ("outcomes_tracked", 0.13, -0.7, 1.68),
    ("personalized_plan", 0.07, 0.6, 1.56),
    ("integration_therapy", 0.08, -0.2, 1.44),
    ("coordinates_with_providers", 0.09, 0.2, 1.56),
)
# Critical criteria: (column, base share unknown, relative chance of being the red flag's "no").
_CRITICAL_SPEC: tuple[tuple[str, float, float], ...] = (
    ("physician_supervised", 0.035, 0.22),
    ("medical_screening", 0.03, 0.14),
    ("vitals_monitoring", 0.035, 0.20),
    ("emergency_protocol", 0.04, 0.14),
    ("in_clinic_only", 0.035, 0.30),
)
_RED_FLAG_SHARE = 0.14


@functools.lru_cache(maxsize=1)
def _zip_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The metros' gazetteer ZIPs, metro after metro: zip, lat, lon per ZIP; each metro's offset and count."""
    import zipcodes

    wanted = {(city, state): i for i, (city, state, _, _) in enumerate(METROS)}
    per_metro: list[list[tuple[str, float, float]]] = [[] for _ in METROS]
    for entry in zipcodes.list_all():
        i = wanted.get((entry["city"], entry["state"]))
        if i is None or entry["zip_code_type"] != "STANDARD" or not entry["active"]:
            continue
        try:
            lat, lon = float(entry["lat"]), float(entry["long"])
        except (TypeError, ValueError):
            continue
        if lat == 0.0 and lon == 0.0:
            continue
        per_metro[i].append((entry["zip_code"], lat, lon))
    missing = [METROS[i][:2] for i, rows in enumerate(per_metro) if not rows]
    if missing:
        raise RuntimeError(f"no STANDARD active ZIP in the gazetteer for {missing}")
    rows = [row for found in per_metro for row in sorted(found)]
    counts = np.array([len(found) for found in per_metro])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return (
        np.array([r[0] for r in rows]),
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows]),
        offsets,
        counts,
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# Text is built with pyarrow compute kernels: fast, and pandas' "str" columns are Arrow arrays anyway.
def _vocab(values: tuple[str, ...] | list[str] | np.ndarray, index: np.ndarray) -> pa.Array:
    """``values[index]`` as an Arrow string array."""
    dictionary = pa.array([str(v) for v in values], pa.large_string())
    return dictionary.take(pa.array(np.asarray(index, dtype=np.int64)))


def _num(values: np.ndarray) -> pa.Array:
    """Whole numbers as text."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.large_string())


def _text(part: pa.Array | str) -> pa.Array | pa.Scalar:
    return pa.scalar(part, pa.large_string()) if isinstance(part, str) else part


def _cat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    return pc.binary_join_element_wise(*(_text(p) for p in parts), _text(""))


def _zfill(text: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(text, width=width, padding="0")


def _where(mask: np.ndarray, text: pa.Array, other: pa.Array | str = "") -> pa.Array:
    """``text`` where ``mask``, ``other`` (default the empty string) elsewhere."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), text, _text(other))


def _slug(words: tuple[str, ...] | list[str]) -> list[str]:
    return [w.lower().replace(" & ", "-and-").replace(" ", "-").replace(".", "") for w in words]


def _tristate(rng: np.random.Generator, p_yes: np.ndarray, p_unknown: np.ndarray) -> np.ndarray:
    """Codes -1 (unknown), 0 (no), 1 (yes)."""
    n = p_yes.shape[0]
    known = rng.random(n) >= p_unknown
    yes = rng.random(n) < p_yes
    return np.where(known, yes.astype(np.int8), np.int8(-1)).astype(np.int8)


def _choice(rng: np.random.Generator, values: tuple | list | np.ndarray, n: int, p=None) -> np.ndarray:
    values = np.asarray(values)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return values[rng.choice(len(values), size=n, p=p)]


def _top_k_mask(rng: np.random.Generator, weights: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per row, pick ``k[i]`` distinct items without replacement, weighted (Gumbel top-k); bool (n, m)."""
    n, m = k.shape[0], weights.shape[0]
    mask = np.zeros((n, m), dtype=bool)
    rows = np.flatnonzero(k > 0)
    keys = np.log(weights)[None, :] + rng.gumbel(size=(rows.shape[0], m))
    kth = np.sort(keys, axis=1)[np.arange(rows.shape[0]), m - k[rows]]  # the k-th largest key of each row
    mask[rows] = keys >= kth[:, None]
    return mask


def _small_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` in O(n) for whole numbers spanning a small range."""
    values = np.asarray(values, dtype=np.int64)
    if values.size == 0:
        return values, values
    lo = int(values.min())
    shifted = values - lo
    unique = np.flatnonzero(np.bincount(shifted))
    position = np.zeros(unique[-1] + 1, dtype=np.int64)
    position[unique] = np.arange(unique.shape[0])
    return unique + lo, position[shifted]


def _join_flags(flags: np.ndarray, vocabulary: tuple[str, ...]) -> pa.Array:
    """``;``-join the vocabulary items flagged in each row (formatting only the distinct bit patterns)."""
    codes = flags.astype(np.int64) @ (1 << np.arange(flags.shape[1], dtype=np.int64))
    unique, inverse = _small_unique(codes)
    texts = [";".join(v for b, v in enumerate(vocabulary) if code >> b & 1) for code in unique.tolist()]
    return _vocab(texts, inverse)


def _decimal(values: np.ndarray, places: int) -> pa.Array:
    """Fixed-point text of floats without float-repr surprises, e.g. ``-104.82140``."""
    scaled = np.rint(np.abs(values) * 10**places).astype(np.int64)
    sign = _vocab(("", "-"), values < 0)
    return _cat(sign, _num(scaled // 10**places), ".", _zfill(_num(scaled % 10**places), places))


def _format(values: np.ndarray, fmt: Callable[[int], str]) -> pa.Array:
    """``fmt`` of each whole number, formatting only the distinct values (there are few)."""
    unique, inverse = _small_unique(values)
    return _vocab([fmt(v) for v in unique.tolist()], inverse)


def _money(rng: np.random.Generator, values: np.ndarray, known: np.ndarray) -> pa.Array:
    """Whole dollars as text (``550``), about 2% spelled ``$1,200``-style; empty unless ``known``."""
    dollars = np.asarray(values, dtype=np.int64)
    styled = rng.random(dollars.shape[0]) < 0.02
    return _where(known, _format(dollars * 2 + styled, lambda v: f"${v // 2:,}" if v % 2 else str(v // 2)))


def generate(n: int, seed: int = 7, today: dt.date | None = None) -> pd.DataFrame:
    """``n`` fictional clinics as a frame of strings, exactly as they appear in the clinics CSV.

    Empty strings stand for empty cells. Deterministic for a given ``(n, seed, today)``; ``today``
    defaults to :data:`DEFAULT_TODAY`, and no ``last_verified`` date is after it.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return pd.DataFrame({col: pd.array([], dtype="str") for col in COLUMNS})
    today = today or DEFAULT_TODAY
    rng = np.random.default_rng(seed)
    zips, zlat, zlon, offsets, counts = _zip_table()
    n_metros = len(METROS)
    cities = [m[0] for m in METROS]

    # ---------------------------------------------------------------- where
    pop = np.array([m[2] for m in METROS])
    if n >= n_metros:  # every metro at least once, the rest by population
        extra = rng.choice(n_metros, size=n - n_metros, p=pop / pop.sum())
        metro = rng.permutation(np.concatenate([np.arange(n_metros), extra]))
    else:
        metro = rng.choice(n_metros, size=n, p=pop / pop.sum())
    z = offsets[metro] + np.floor(rng.random(n) * counts[metro]).astype(np.int64)
    radius_km = 3.0 * np.sqrt(rng.random(n)) * 0.999
    angle = rng.random(n) * 2 * np.pi
    lat = zlat[z] + radius_km * np.cos(angle) / 111.32
    lon = zlon[z] + radius_km * np.sin(angle) / (111.32 * np.cos(np.radians(zlat[z])))
    has_coords = rng.random(n) >= 0.02

    # ---------------------------------------------------------------- who
    width = max(6, len(str(n)))
    clinic_id = _cat("kc-", _zfill(_num(np.arange(1, n + 1)), width))
    first = rng.integers(len(_NAME_FIRST), size=n)
    middle = rng.integers(len(_NAME_MIDDLE), size=n)
    last = rng.integers(len(_NAME_LAST), size=n)
    city_named = rng.random(n) < 0.25
    lead = _where(city_named, _vocab(cities, metro), _vocab(_NAME_FIRST, first))
    lead_slug = _where(city_named, _vocab(_slug(cities), metro), _vocab(_slug(_NAME_FIRST), first))
    name = _cat(lead, " ", _vocab(_NAME_MIDDLE, middle), " ", _vocab(_NAME_LAST, last))
    slug = _cat(lead_slug, "-", _vocab(_slug(_NAME_MIDDLE), middle), "-", _vocab(_slug(_NAME_LAST), last))
    # a name already used earlier in the frame gets the ZIP in its web address, so sites stay distinct
    repeated = pd.Series(name, dtype="str").duplicated(keep="first").to_numpy()
    slug = _where(repeated, _cat(slug, "-", _vocab(zips, z)), slug)
    scheme = _vocab(("https://", "http://"), rng.random(n) < 0.05)
    website = _where(rng.random(n) >= 0.10, _cat(scheme, slug, ".example"))

    street = _cat(
        _num(rng.integers(100, 9900, size=n)), " ",
        _vocab(_STREETS, rng.integers(len(_STREETS), size=n)), " ",
        _vocab(_STREET_TYPES, rng.integers(len(_STREET_TYPES), size=n)),
    )
    suite = _cat(street, ", Suite ", _num(rng.integers(1, 5, size=n) * 100 + rng.integers(0, 50, size=n)))
    street = _where(rng.random(n) < 0.4, suite, street)
    street = _where(rng.random(n) >= 0.03, street)

    n_codes = np.array([len(m[3]) for m in METROS])
    code_offsets = np.concatenate([[0], np.cumsum(n_codes)[:-1]])
    area = code_offsets[metro] + np.floor(rng.random(n) * n_codes[metro]).astype(np.int64)
    phone = _cat(
        "(", _vocab([c for m in METROS for c in m[3]], area), ") 555-01",
        _zfill(_num(rng.integers(0, 100, size=n)), 2),
    )
    phone = _where(rng.random(n) >= 0.03, phone)

    # ---------------------------------------------------------------- latent quality
    quality = rng.normal(size=n)
    disclosure = 0.5 * quality + np.sqrt(0.75) * rng.normal(size=n)  # low disclosure -> more unknowns
    unknown_scale = np.exp(-0.7 * disclosure - 0.245)  # mean about 1

    # routes
    intranasal = rng.random(n) < 0.22
    iv = rng.random(n) < np.where(intranasal, 0.6, 0.95)
    im = rng.random(n) < 0.2
    oral = rng.random(n) < 0.06
    iv |= ~(intranasal | im | oral)
    routes = _join_flags(np.column_stack([iv, im, intranasal, oral]), ROUTES)

    # conditions: 2-6 each, depression and TRD most common
    k = rng.choice(np.arange(2, 7), size=n, p=[0.15, 0.3, 0.28, 0.17, 0.10])
    conditions = _join_flags(_top_k_mask(rng, _CONDITION_WEIGHTS, k), CONDITIONS)

    codes: dict[str, np.ndarray] = {}

    # critical criteria: an exact share of red flags, chosen mostly among the low-quality clinics
    n_red = int(round(_RED_FLAG_SHARE * n))
    red = np.zeros(n, dtype=bool)
    if n_red:
        red[np.argpartition(-quality + rng.normal(scale=0.8, size=n), n - n_red)[n - n_red:]] = True
    n_no = np.where(red, rng.choice([1, 2, 3], size=n, p=[0.7, 0.22, 0.08]), 0)
    crit_no = _top_k_mask(rng, np.array([spec[2] for spec in _CRITICAL_SPEC]), n_no)
    for j, (col, base_unknown, _) in enumerate(_CRITICAL_SPEC):
        code = np.where(rng.random(n) < np.minimum(0.5, base_unknown * unknown_scale), -1, 1)
        codes[col] = np.where(crit_no[:, j], 0, code).astype(np.int8)

    for col, base_unknown, a, b in _TRISTATE_CRITERIA:
        p_yes = _sigmoid(a + b * quality - 0.8 * red)
        codes[col] = _tristate(rng, p_yes, np.minimum(0.6, base_unknown * unknown_scale))

    # medical director: 0-2 the criterion's specialties, 3 other, 4 none, 5 unknown
    good = rng.random(n) < _sigmoid(1.3 + 1.4 * quality - 1.5 * (codes["physician_supervised"] == 0))
    specialty = np.where(good, rng.choice(3, size=n, p=[0.42, 0.42, 0.16]),
                         rng.choice([3, 4], size=n, p=[0.7, 0.3]))
    specialty = np.where(rng.random(n) < np.minimum(0.5, 0.07 * unknown_scale), 5, specialty)
    codes["board_certified"] = np.where((specialty == 4) & (codes["board_certified"] == 1), 0,
                                        codes["board_certified"]).astype(np.int8)

    # REMS: applies only where intranasal is offered; elsewhere mostly left empty
    rems_in = _tristate(rng, _sigmoid(2.6 + 1.0 * quality), np.full(n, 0.07))
    rems_out = np.where(rng.random(n) < 0.12, 0, -1)
    codes["rems_certified"] = np.where(intranasal, rems_in, rems_out).astype(np.int8)

    # observation after dosing, longer where esketamine is offered
    long_enough = rng.random(n) < _sigmoid(np.where(intranasal, 2.4, 1.6) + 1.3 * quality)
    observe = np.where(
        intranasal,
        np.where(long_enough, _choice(rng, (120, 150, 180), n, p=[0.7, 0.2, 0.1]), _choice(rng, (60, 90), n)),
        np.where(long_enough, _choice(rng, (60, 90, 120), n, p=[0.5, 0.35, 0.15]),
                 _choice(rng, (15, 30, 45), n, p=[0.2, 0.5, 0.3])),
    )
    observe_known = rng.random(n) >= np.minimum(0.5, 0.09 * unknown_scale)

    # ---------------------------------------------------------------- reputation
    reviews = np.clip(np.rint(rng.lognormal(np.log(60), 1.0, size=n)), 0, 800).astype(np.int64)
    reviews = np.where(rng.random(n) < 0.05, 0, reviews)
    reviews_known = rng.random(n) >= 0.05
    rating = np.clip(4.35 + 0.3 * quality + rng.normal(scale=0.22, size=n), 1.0, 5.0)
    rating = np.where(rng.random(n) < 0.04, rng.uniform(1.0, 3.7, size=n), rating)
    rating_known = (reviews > 0) & (rng.random(n) >= 0.06)
    lo_year = min(2012, today.year)
    year = np.floor(rng.triangular(lo_year, min(2020, today.year), today.year + 1, size=n)).astype(np.int64)
    year = np.clip(year, lo_year, today.year)
    year_known = rng.random(n) >= 0.08

    # ---------------------------------------------------------------- cost and access
    session_median = np.where(iv | im, 525.0, 650.0)
    session = rng.lognormal(np.log(session_median), 0.2, size=n) * np.where(rng.random(n) < 0.03, 1.6, 1.0)
    session = np.clip(np.rint(session / 25) * 25, 250, 2000)
    session_known = rng.random(n) >= np.where(codes["pricing_published"] == 1, 0.04, 0.2)
    series = np.rint(6 * session * rng.uniform(0.8, 0.95, size=n) / 50) * 50
    series_known = session_known & (rng.random(n) >= 0.2)
    consult = _choice(rng, (0, 50, 100, 150, 200, 250, 300), n, p=[0.3, 0.07, 0.15, 0.15, 0.15, 0.1, 0.08])
    consult_known = rng.random(n) >= 0.12
    codes["accepts_insurance"] = np.where(
        intranasal,
        _tristate(rng, np.full(n, 0.88), np.full(n, 0.08)),
        _tristate(rng, np.full(n, 0.08), np.full(n, 0.14)),
    ).astype(np.int8)
    codes["financing_available"] = _tristate(rng, np.full(n, 0.65), np.full(n, 0.12))
    codes["telehealth_consult"] = _tristate(rng, np.full(n, 0.55), np.full(n, 0.1))
    codes["accepting_new_patients"] = _tristate(rng, np.full(n, 0.9), np.full(n, 0.06))

    # ---------------------------------------------------------------- provenance
    stale = rng.random(n) < 0.15
    days_ago = np.where(stale, rng.integers(366, 1096, size=n), rng.integers(0, 365, size=n))
    verified = np.datetime64(today.isoformat(), "D") - days_ago.astype("timedelta64[D]")
    year = np.minimum(year, verified.astype("datetime64[Y]").astype(np.int64) + 1970)  # open when verified

    text: dict[str, pa.Array] = {
        "clinic_id": clinic_id,
        "name": name,
        "street_address": street,
        "city": _vocab(cities, metro),
        "state": _vocab([m[1] for m in METROS], metro),
        "zip": _vocab(zips, z),
        "latitude": _where(has_coords, _decimal(lat, 5)),
        "longitude": _where(has_coords, _decimal(lon, 5)),
        "phone": phone,
        "website": website,
        "medical_director_specialty": _vocab(_SPECIALTIES + ("",), specialty),
        "post_session_observation_min": _where(observe_known, _format(observe, str)),
        "rating": _where(rating_known, _format(np.rint(rating * 10), lambda t: f"{t // 10}.{t % 10}")),
        "review_count": _where(reviews_known, _format(reviews, str)),
        "year_opened": _where(year_known, _format(year, str)),
        "price_per_session_usd": _money(rng, session, session_known),
        "price_series_usd": _money(rng, series, series_known),
        "consultation_fee_usd": _money(rng, consult, consult_known),
        "routes": routes,
        "conditions": conditions,
        "last_verified": pc.cast(pa.array(verified, pa.date32()), pa.large_string()),
        "source": _vocab([SOURCE_NOTE], np.zeros(n, dtype=np.int64)),
    }
    for col, code in codes.items():
        text[col] = _vocab(("", "no", "yes"), code.astype(np.int64) + 1)
    return pd.DataFrame({col: pd.array(text[col], dtype="str") for col in COLUMNS})


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as the clinics CSV: UTF-8, header first, no index, quoting only where needed."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    """Command line: write ``--rows`` fictional clinics to ``--out``."""
    parser = argparse.ArgumentParser(
        description="Generate fictional ketamine-therapy clinics in the clinics-CSV format.")
    parser.add_argument("--rows", type=int, default=1000, help="number of clinics (default 1000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=DEFAULT_TODAY,
                        help=f"reference date, no last_verified after it (default {DEFAULT_TODAY})")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    frame = generate(args.rows, seed=args.seed, today=args.today)
    write_csv(frame, args.out)
    print(f"wrote {len(frame):,} fictional clinics to {args.out}")


if __name__ == "__main__":
    main()
