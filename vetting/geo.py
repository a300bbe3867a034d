"""Places and distances, offline by default.

- :class:`OfflineGazetteer`: a geopy geocoder over the `zipcodes` package (ZIP, "City, ST", "lat,lon"), whose ZIP
  centroids ship precomputed (ZIP_TABLE_FILE); :func:`locate` answers the same without importing geopy.
- :func:`distance_km`: vectorised ellipsoidal distance (Lambert's formula on WGS-84), metres off
  geopy's geodesic over the distances this app deals with.
- :func:`fill_coordinates`, :func:`far_from_zip`: locate clinics from their ZIP; catch swapped coordinates.
- :class:`OnlineGeocoder`: opt-in Nominatim through vetting.online's client, 1 request/s, cached on disk; one
  per process.
- :class:`Place`: a place found, with named fields.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .kinds import strip_invisible
from .online import USER_AGENT as USER_AGENT  # re-exported: it lived here before vetting.online
from .online import DiskCache as DiskCache
from .online import OnlineClient, OnlineError

WGS84_A_KM = 6378.137
WGS84_F = 1 / 298.257223563
FAR_FROM_ZIP_KM = 50.0

MAX_PLACE_CHARS = 200  # a place query longer than this is not a place (the search box allows no more)
_ZIP = re.compile(r"(\d{5})(?:-\d{4})?", re.ASCII)
_DEGREES = re.compile(r"[+-]?\d{1,3}(?:\.\d{1,12})?", re.ASCII)



@dataclass(frozen=True)
class Place:
    """A place someone searched for: where it is and what to call it."""

    latitude: float
    longitude: float
    label: str


LOCATION_LISTED = "listed"
LOCATION_ZIP = "ZIP centroid"
LOCATION_UNKNOWN = "unknown"


#: zip_table() as a file, so a cold start reads it in milliseconds instead of building it from the 42,789 dicts of
#: zipcodes.list_all() (1.3 s quiet, 4-8 s on a loaded server). scripts/make_zip_table.py writes it from
#: zip_table_from_zipcodes(); tests/test_geo.py fails if it no longer matches the installed zipcodes.
ZIP_TABLE_FILE = Path(__file__).with_name("data") / "zip_centroids.arrow"


def zip_table_from_zipcodes() -> pd.DataFrame:
    """Every ZIP the `zipcodes` gazetteer knows with a centroid: index zip, columns city, state, lat, lon and
    kind (zipcodes' zip_code_type: STANDARD, PO BOX, UNIQUE for a single firm, MILITARY).

    The one place that says how ZIP centroids come from `zipcodes` (slow: the app reads ZIP_TABLE_FILE)."""
    import zipcodes

    rows = zipcodes.list_all()
    table = pd.DataFrame({
        "zip": [r["zip_code"] for r in rows],
        "city": [r["city"] for r in rows],
        "state": [r["state"] for r in rows],
        "lat": pd.to_numeric([r["lat"] for r in rows], errors="coerce"),
        "lon": pd.to_numeric([r["long"] for r in rows], errors="coerce"),
        "kind": [r["zip_code_type"] for r in rows],
    })
    table = table.dropna(subset=["lat", "lon"])
    table = table[(table["lat"] != 0) | (table["lon"] != 0)]
    return table.drop_duplicates("zip").set_index("zip").sort_index()


def write_zip_table(path: str | Path = ZIP_TABLE_FILE) -> pd.DataFrame:
    """Write zip_table_from_zipcodes() to `path` (Arrow IPC, zstd) and return it."""
    from pyarrow import Table, feather

    table = zip_table_from_zipcodes()
    feather.write_feather(Table.from_pandas(table.reset_index(), preserve_index=False), str(path),
                          compression="zstd")
    return table


def read_zip_table(path: str | Path = ZIP_TABLE_FILE) -> pd.DataFrame:
    """The table write_zip_table wrote: the same frame (index, columns, dtypes, order)."""
    from pyarrow import feather

    return feather.read_table(str(path)).to_pandas().set_index("zip")


@lru_cache(maxsize=1)
def zip_table() -> pd.DataFrame:
    """Every ZIP the gazetteer knows with a centroid: index zip, columns city, state, lat, lon, kind (from
    ZIP_TABLE_FILE: zip_table_from_zipcodes() as it was when scripts/make_zip_table.py last ran)."""
    return read_zip_table()


@lru_cache(maxsize=1)
def city_table() -> pd.DataFrame:
    """Centroid of each (CITY, STATE) in the gazetteer, keyed by upper-case city and state."""
    t = zip_table()
    key = t["city"].str.upper()
    centroids = t.groupby([key, t["state"]])[["lat", "lon"]].mean()
    names = t.groupby([key, t["state"]])["city"].first()
    return centroids.assign(city=names)


def parse_latlon(query: str) -> tuple[float, float] | None:
    """'39.7, -104.9' -> (39.7, -104.9); None unless both numbers are in range.

    Split at the comma, then each side is matched whole by a bounded pattern: linear in the query."""
    first, comma, second = query.partition(",")
    first, second = first.strip(), second.strip()
    if not comma or not _DEGREES.fullmatch(first) or not _DEGREES.fullmatch(second):
        return None
    lat, lon = float(first), float(second)
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def parse_city_state(query: str) -> tuple[str, str] | None:
    """'Colorado Springs, CO' -> ('COLORADO SPRINGS', 'CO'): the text after the last comma must be two ASCII
    letters; split with str.rpartition, so no pattern can backtrack over a long query."""
    city, comma, state = query.rpartition(",")
    city, state = " ".join(city.split()), state.strip()
    if not comma or not city or "," in city or len(state) != 2 or not (state.isascii() and state.isalpha()):
        return None
    return city.upper(), state.upper()


def _gazetteer_lookup(query: str) -> tuple[str, tuple[float, float], dict] | None:
    """(address, (lat, lon), raw) of a ZIP, "City, ST" or "lat,lon" the gazetteer knows, else None."""
    query = query.strip()
    if len(query) > MAX_PLACE_CHARS:
        return None
    point = parse_latlon(query)
    if point is not None:
        return f"{point[0]:.5f}, {point[1]:.5f}", point, {"kind": "coordinates"}
    m = _ZIP.fullmatch(query)
    if m:
        table = zip_table()
        z = m.group(1)
        if z not in table.index:
            return None
        r = table.loc[z]
        return (f"{r['city']}, {r['state']} {z}", (float(r["lat"]), float(r["lon"])),
                {"kind": "zip", "zip": z, "city": r["city"], "state": r["state"]})
    key = parse_city_state(query)
    if key is not None:
        cities = city_table()
        if key not in cities.index:
            return None
        r = cities.loc[key]
        return (f"{r['city']}, {key[1]}", (float(r["lat"]), float(r["lon"])),
                {"kind": "city", "city": r["city"], "state": key[1]})
    return None


def _offline_gazetteer_class() -> type:
    """OfflineGazetteer, defined on first use (module __getattr__ below), so geopy, and the requests library
    it imports, load only when someone asks for a geopy geocoder; locate() does without."""
    from geopy.geocoders.base import Geocoder
    from geopy.location import Location

    class OfflineGazetteer(Geocoder):
        """A geopy geocoder that never touches the network: US ZIPs, "City, ST" and "lat,lon"."""

        def __init__(self) -> None:
            super().__init__(user_agent="ketamine-clinic-vetting (offline gazetteer)")

        def geocode(self, query: str, *, exactly_one: bool = True, timeout: float | None = None):
            """Resolve `query` to a geopy Location, or None when the gazetteer does not know it."""
            found = self._lookup(str(query))
            if found is None:
                return None if exactly_one else []
            return found if exactly_one else [found]

        def _lookup(self, query: str) -> Location | None:
            found = _gazetteer_lookup(query)
            return None if found is None else Location(*found)

    OfflineGazetteer.__module__, OfflineGazetteer.__qualname__ = __name__, "OfflineGazetteer"
    return OfflineGazetteer


_DEFINE_LOCK = threading.Lock()


def __getattr__(name: str) -> Any:
    """`OfflineGazetteer`: built once, on first access (see _offline_gazetteer_class)."""
    if name == "OfflineGazetteer":
        with _DEFINE_LOCK:  # one class, however many threads ask at once (isinstance must hold across them)
            if name not in globals():
                globals()[name] = _offline_gazetteer_class()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def distance_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance on the WGS-84 ellipsoid in km, vectorised (Lambert's formula).

    Arguments broadcast like numpy arrays; NaN in, NaN out.
    """
    p1, p2 = np.radians(np.asarray(lat1, dtype=float)), np.radians(np.asarray(lat2, dtype=float))
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    b1 = np.arctan((1 - WGS84_F) * np.tan(p1))
    b2 = np.arctan((1 - WGS84_F) * np.tan(p2))
    h = np.sin((b2 - b1) / 2) ** 2 + np.cos(b1) * np.cos(b2) * np.sin(dl / 2) ** 2
    sigma = 2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    big_p, q = (b1 + b2) / 2, (b2 - b1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (sigma - np.sin(sigma)) * np.sin(big_p) ** 2 * np.cos(q) ** 2 / np.cos(sigma / 2) ** 2
        y = (sigma + np.sin(sigma)) * np.cos(big_p) ** 2 * np.sin(q) ** 2 / np.sin(sigma / 2) ** 2
        d = WGS84_A_KM * (sigma - WGS84_F / 2 * (x + y))
    return np.where(sigma > 1e-12, d, np.where(np.isnan(sigma), np.nan, 0.0))


def zip_centroids(zips: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of each ZIP's centroid, NaN where the gazetteer has none (one lookup per distinct ZIP)."""
    table = zip_table()
    codes, uniques = pd.factorize(zips)
    pos = table.index.get_indexer(uniques)
    lat = np.append(np.where(pos >= 0, table["lat"].to_numpy()[pos], np.nan), np.nan)
    lon = np.append(np.where(pos >= 0, table["lon"].to_numpy()[pos], np.nan), np.nan)
    return lat[codes], lon[codes]  # code -1 (no ZIP) takes the trailing NaN


def fill_coordinates(frame: pd.DataFrame) -> pd.DataFrame:
    """Give clinics without coordinates their ZIP's centroid; `location_source` says where each came from."""
    listed_lat = frame["latitude"].to_numpy(dtype=float, na_value=np.nan)
    listed_lon = frame["longitude"].to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(listed_lat) | np.isnan(listed_lon)
    lat, lon = zip_centroids(frame["zip"])
    source = np.where(~missing, 0, np.where(~np.isnan(lat), 1, 2)).astype(np.int8)
    return frame.assign(  # no copy of the other columns (pandas' copy-on-write)
        latitude=np.where(missing, lat, listed_lat),
        longitude=np.where(missing, lon, listed_lon),
        location_source=pd.Categorical.from_codes(source, categories=[LOCATION_LISTED, LOCATION_ZIP,
                                                                      LOCATION_UNKNOWN]))


def far_from_zip(frame: pd.DataFrame, km: float = FAR_FROM_ZIP_KM) -> pd.DataFrame:
    """Clinics whose listed coordinates lie more than `km` from their ZIP's centroid, with the distance."""
    zlat, zlon = zip_centroids(frame["zip"])
    d = distance_km(frame["latitude"], frame["longitude"], zlat, zlon)
    out = frame.assign(km_from_zip=d)
    listed = out["location_source"] == LOCATION_LISTED if "location_source" in out else True
    return out[listed & (out["km_from_zip"] > km)]


# ------------------------------------------------------------------ online (opt-in)
NOMINATIM_URL_ENV = "VETTING_NOMINATIM_URL"  # e.g. a loopback fake in tests; default: OpenStreetMap's service
NOMINATIM_URL = "https://nominatim.openstreetmap.org"
CACHE_ENV = "VETTING_GEOCODE_CACHE"
DEFAULT_CACHE = "~/.cache/vetting/geocode.json"
MIN_DELAY_SECONDS = 1.0  # Nominatim's usage policy: at most one request a second
TIMEOUT_SECONDS = 10.0
ONLINE_TERMS = f"at most one request every {MIN_DELAY_SECONDS:g} s, answers cached in ${CACHE_ENV} or {DEFAULT_CACHE}"


def default_cache_path() -> Path:
    """Where online answers are kept: $VETTING_GEOCODE_CACHE, or ~/.cache/vetting/geocode.json."""
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def nominatim_place(body: Any) -> Place | None:
    """The first place of a Nominatim /search answer (None: no place), or OnlineError for another shape.

    Also reads what the cache held before it kept whole answers: [lat, lon, label], or null for no place."""
    if body is None or body == []:
        return None
    if isinstance(body, list) and len(body) == 3 and not isinstance(body[0], dict):
        lat, lon, label = body
    elif isinstance(body, list) and isinstance(body[0], dict):
        lat, lon, label = body[0].get("lat"), body[0].get("lon"), body[0].get("display_name")
    else:
        raise OnlineError("Nominatim answered in a shape it does not use.")
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise OnlineError("Nominatim answered a place without coordinates.") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise OnlineError("Nominatim answered a place with coordinates out of range.")
    return Place(lat, lon, strip_invisible(str(label or ""))[:MAX_PLACE_CHARS])


class OnlineGeocoder:
    """Opt-in online geocoding: OpenStreetMap's Nominatim through the shared online client (vetting.online),
    at most one request a second, answers cached on disk. Nothing is sent until it is called.

    The client's rate limit remembers its last request, so this must live as long as the traffic it limits:
    make one per process (the app keeps one with st.cache_resource, the CLI one per run), never one per query."""

    def __init__(self, cache_path: str | Path | None = None, *, min_delay_seconds: float = MIN_DELAY_SECONDS,
                 url: str | None = None, timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        url = url or os.environ.get(NOMINATIM_URL_ENV) or NOMINATIM_URL
        self.client = OnlineClient("Nominatim", url, DiskCache(cache_path or default_cache_path()),
                                   min_delay_seconds, timeout_seconds)
        self.cache = self.client.cache
        self.last_error: str | None = None  # why the last call found nothing, when asking failed

    def __call__(self, query: str) -> Place | None:
        """The place `query` names, from the cache or (at most one request a second) Nominatim; None when it
        names none or asking failed (a failure is not cached: `last_error` says what went wrong)."""
        key = " ".join(query.lower().split())
        params = {"q": query, "format": "json", "limit": "1", "countrycodes": "us"}
        answer = self.client.answer(key, nominatim_place, "search", params)
        self.last_error = answer.error
        return answer.value


def locate(query: str, online: Callable[[str], Place | None] | None = None) -> Place | None:
    """Resolve a user's place: the offline gazetteer first, then `online` if given. A query longer than
    MAX_PLACE_CHARS, or holding invisible characters, is no place."""
    query = query.strip()
    if len(query) > MAX_PLACE_CHARS or strip_invisible(query) != query:
        return None
    found = _gazetteer_lookup(query)  # what OfflineGazetteer().geocode(query) answers, without geopy
    if found is not None:
        address, (lat, lon), _ = found
        return Place(lat, lon, address)
    return online(query) if online is not None and query else None


def circle(lat: float, lon: float, radius_km: float, points: int = 73) -> tuple[list[float], list[float]]:
    """Latitudes and longitudes of a closed circle of `radius_km` around a place (geodesic, for drawing).

    Vincenty's direct formula on WGS-84, vectorised over the bearings (0 to 360 degrees, `points` of them):
    within a millimetre of geopy's geodesic(...).destination, at a fraction of its cost."""
    a = WGS84_A_KM * 1000.0
    b = a * (1 - WGS84_F)
    s = radius_km * 1000.0
    bearing = np.radians(np.linspace(0, 360, points))
    sin_b, cos_b = np.sin(bearing), np.cos(bearing)
    tan_u1 = (1 - WGS84_F) * np.tan(np.radians(lat))
    cos_u1 = 1 / np.sqrt(1 + tan_u1**2)
    sin_u1 = tan_u1 * cos_u1
    sigma1 = np.arctan2(tan_u1, cos_b)
    sin_alpha = cos_u1 * sin_b
    cos2_alpha = 1 - sin_alpha**2
    u2 = cos2_alpha * (a**2 - b**2) / b**2
    big_a = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    big_b = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    sigma = s / (b * big_a)
    for _ in range(50):  # converges in a handful of steps for any distance short of the antipode
        cos_2sm = np.cos(2 * sigma1 + sigma)
        sin_s, cos_s = np.sin(sigma), np.cos(sigma)
        d_sigma = big_b * sin_s * (cos_2sm + big_b / 4 * (cos_s * (2 * cos_2sm**2 - 1) - big_b / 6 * cos_2sm
                                                          * (4 * sin_s**2 - 3) * (4 * cos_2sm**2 - 3)))
        previous, sigma = sigma, s / (b * big_a) + d_sigma
        if np.max(np.abs(sigma - previous)) < 1e-13:
            break
    cos_2sm = np.cos(2 * sigma1 + sigma)
    sin_s, cos_s = np.sin(sigma), np.cos(sigma)
    x = sin_u1 * sin_s - cos_u1 * cos_s * cos_b
    lat2 = np.arctan2(sin_u1 * cos_s + cos_u1 * sin_s * cos_b, (1 - WGS84_F) * np.sqrt(sin_alpha**2 + x**2))
    lam = np.arctan2(sin_s * sin_b, cos_u1 * cos_s - sin_u1 * sin_s * cos_b)
    c = WGS84_F / 16 * cos2_alpha * (4 + WGS84_F * (4 - 3 * cos2_alpha))
    big_l = lam - (1 - c) * WGS84_F * sin_alpha * (sigma + c * sin_s * (cos_2sm + c * cos_s * (2 * cos_2sm**2 - 1)))
    lon2 = lon + np.degrees(big_l)
    lon2 = np.where(np.abs(lon2) > 180, (lon2 + 180) % 360 - 180, lon2)  # as geopy's Point keeps longitudes
    return np.degrees(lat2).tolist(), lon2.tolist()


LOCATION_ONLINE = "online"


def geocode_missing(frame: pd.DataFrame, online: Callable[[str], Place | None] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Fill missing coordinates: ZIP centroid offline; then, if `online` is given, the street address for
    clinics whose ZIP the gazetteer does not know (one call each, the geocoder's rate limit applies)."""
    out = fill_coordinates(frame)
    if online is None:
        return out
    out["location_source"] = out["location_source"].cat.add_categories([LOCATION_ONLINE])
    todo = out.index[out["location_source"] == LOCATION_UNKNOWN]
    addresses = (out.loc[todo, "street_address"].fillna("") + ", " + out.loc[todo, "city"] + ", "
                 + out.loc[todo, "state"] + " " + out.loc[todo, "zip"]).str.lstrip(", ")
    for done, (i, address) in enumerate(zip(todo, addresses, strict=True), 1):
        found = online(address)
        if found is not None:
            out.loc[i, ["latitude", "longitude"]] = found.latitude, found.longitude
            out.loc[i, "location_source"] = LOCATION_ONLINE
        if progress is not None:
            progress(done, len(todo))
    return out


# ------------------------------------------------------------------ directions (an ordinary link)
DIRECTIONS_URL = "https://www.google.com/maps/dir/?api=1&destination="  # Google's documented cross-platform Maps URL
DIRECTIONS_HELP = "Opens Google Maps with the clinic as destination (only when you click it)."


def directions_urls(clinics: pd.DataFrame) -> pd.Series:
    """A directions link per clinic: to its street address when listed, else its listed coordinates, else its
    city and ZIP. The destination is percent-encoded, so nothing from the data can change the link's host."""
    from urllib.parse import quote_plus

    if clinics.empty:  # no rows: the number formats below would meet float dtype, not text
        return pd.Series([], index=clinics.index, dtype=object)

    def part(column: str) -> pd.Series:
        return clinics[column].astype("string").fillna("") if column in clinics else pd.Series("", clinics.index)

    town = part("city") + ", " + part("state") + " " + part("zip")
    street = part("street_address").str.replace(r"\s+", " ", regex=True).str.strip()
    address = (street + ", " + town).where(street != "", town)
    if {"latitude", "longitude"} <= set(clinics):
        listed = (clinics["location_source"] == LOCATION_LISTED) if "location_source" in clinics else True
        coords = (clinics["latitude"].map("{:.6f}".format) + "," + clinics["longitude"].map("{:.6f}".format))
        address = address.where(~((street == "") & listed & clinics["latitude"].notna()), coords)
    return DIRECTIONS_URL + address.map(lambda a: quote_plus(strip_invisible(a).strip(" ,")))
