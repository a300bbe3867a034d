"""Offline gazetteer, distances against geopy's geodesic, locating clinics, far-from-ZIP check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factory import TODAY, csv_bytes, row, typed
from fake_nominatim import PLACES, fake_nominatim
from geopy.distance import geodesic
from geopy.geocoders.base import Geocoder
from hypothesis import given
from hypothesis import strategies as st

from vetting.filters import nearby
from vetting.geo import (
    LOCATION_LISTED,
    LOCATION_UNKNOWN,
    LOCATION_ZIP,
    OfflineGazetteer,
    OnlineGeocoder,
    Place,
    distance_km,
    far_from_zip,
    fill_coordinates,
    locate,
)
from vetting.scoring import scored


def test_gazetteer_is_a_geopy_geocoder():
    assert isinstance(OfflineGazetteer(), Geocoder)


@pytest.mark.parametrize(("query", "lat", "lon", "address"), [
    ("80903", 38.83, -104.81, "Colorado Springs, CO 80903"),
    ("02139", 42.36, -71.10, "Cambridge, MA 02139"),
    ("02139-4307", 42.36, -71.10, "Cambridge, MA 02139"),
    ("Colorado Springs, CO", 38.87, -104.76, "Colorado Springs, CO"),
    ("colorado springs,co", 38.87, -104.76, "Colorado Springs, CO"),
    ("38.8339, -104.8214", 38.8339, -104.8214, "38.83390, -104.82140"),
])
def test_gazetteer_resolves_zip_city_and_coordinates(query, lat, lon, address):
    loc = OfflineGazetteer().geocode(query)
    assert loc is not None
    assert loc.latitude == pytest.approx(lat, abs=0.15) and loc.longitude == pytest.approx(lon, abs=0.15)
    assert loc.address == address


@pytest.mark.parametrize("query", ["00000", "Atlantis, ZZ", "", "somewhere nice", "95,200", "1234"])
def test_gazetteer_unknown_places_are_none(query):
    assert OfflineGazetteer().geocode(query) is None
    assert OfflineGazetteer().geocode(query, exactly_one=False) == []


us_lat = st.floats(min_value=17.5, max_value=71.5)
us_lon = st.floats(min_value=-179.0, max_value=-64.0)


@given(lat1=us_lat, lon1=us_lon, lat2=us_lat, lon2=us_lon)
def test_distance_within_half_a_percent_of_geodesic(lat1, lon1, lat2, lon2):
    expected = geodesic((lat1, lon1), (lat2, lon2)).km
    got = float(distance_km(lat1, lon1, lat2, lon2))
    assert got == pytest.approx(expected, rel=0.005, abs=0.01)


def test_distance_is_vectorised_and_nan_safe():
    lat = np.array([38.83, 39.74, np.nan])
    lon = np.array([-104.82, -104.99, -104.0])
    d = distance_km(lat, lon, 38.83, -104.82)
    assert d[0] == 0.0
    assert d[1] == pytest.approx(geodesic((39.74, -104.99), (38.83, -104.82)).km, rel=1e-4)
    assert np.isnan(d[2])


def test_missing_coordinates_are_filled_from_zip_and_flagged():
    f = fill_coordinates(typed([row(), row(latitude="", longitude=""), row(latitude="", longitude="",
                                                                            zip="00000")]))
    assert list(f["location_source"]) == [LOCATION_LISTED, LOCATION_ZIP, LOCATION_UNKNOWN]
    assert f.loc[1, "latitude"] == pytest.approx(38.84, abs=0.1)
    assert np.isnan(f.loc[2, "latitude"])


def test_swapped_or_mistyped_coordinates_are_far_from_zip():
    f = fill_coordinates(typed([
        row(clinic_id="ok"),
        row(clinic_id="swapped", latitude="-104.8214", longitude="38.8339"),
        row(clinic_id="typo", latitude="39.8339"),  # one degree north: ~111 km
        row(clinic_id="near", latitude="38.99"),  # ~17 km: fine
    ]))
    far = far_from_zip(f)
    assert list(far["clinic_id"]) == ["swapped", "typo"]
    assert far["km_from_zip"].iloc[1] == pytest.approx(111, abs=5)


def test_far_from_zip_ignores_zip_centroids():
    f = fill_coordinates(typed([row(latitude="", longitude="")]))
    assert far_from_zip(f).empty


def test_nearby_sorts_by_distance_and_applies_radius():
    f = scored(fill_coordinates(typed([
        row(clinic_id="denver", city="Denver", zip="80202", latitude="39.7530", longitude="-104.9990"),
        row(clinic_id="cos", latitude="38.8339", longitude="-104.8214"),
        row(clinic_id="boston", city="Boston", state="MA", zip="02116", latitude="42.3496", longitude="-71.0746"),
    ])), today=TODAY)
    found = nearby(f, 38.8339, -104.8214, radius_km=150)
    assert list(found["clinic_id"]) == ["cos", "denver"]
    assert found["distance_km"].iloc[1] == pytest.approx(103, abs=3)
    assert list(nearby(f, 38.8339, -104.8214, limit=1)["clinic_id"]) == ["cos"]


class FakeService(Geocoder):
    """Stands in for Nominatim: counts calls, answers one place."""

    def __init__(self):
        super().__init__(user_agent="test")
        self.calls = []

    def geocode(self, query, **kwargs):
        from geopy.location import Location

        self.calls.append(query)
        return Location("1 Main St, Springfield", (39.8, -89.6), {}) if "main" in query.lower() else None


def test_online_geocoder_is_cached(tmp_path):
    found = Place(*PLACES["main"])
    with fake_nominatim() as fake:
        lookup = OnlineGeocoder(tmp_path / "cache.json", min_delay_seconds=0.0, url=fake.url)
        assert lookup("1 Main St, Springfield IL") == found
        assert lookup("1  main st, springfield il") == found  # cache hit
        assert lookup("Nowhere") is None and lookup("nowhere") is None  # misses are cached too
        assert fake.asked() == ["1 Main St, Springfield IL", "Nowhere"]
    again = OnlineGeocoder(tmp_path / "cache.json", min_delay_seconds=0.0, url=fake.url)
    assert again("1 Main St, Springfield IL") == found  # from disk (the fake has stopped)


def test_one_online_geocoder_spaces_its_requests_a_second_apart(tmp_path):
    with fake_nominatim() as fake:
        lookup = OnlineGeocoder(tmp_path / "cache.json", url=fake.url)
        first, second = lookup("1 Main St, Springfield IL"), lookup("2 Oak Ave, Peoria IL")
    assert (first.latitude, first.longitude, first.label) == PLACES["main"]
    assert second.label == PLACES["oak"][2]
    assert [q for _, q in fake.requests] == ["1 Main St, Springfield IL", "2 Oak Ave, Peoria IL"]
    assert fake.gaps()[0] >= 0.95  # one request a second (less loopback jitter)


def test_cli_geocode_online_uses_one_geocoder_for_the_run(tmp_path, monkeypatch, capsys):
    from vetting.cli import main

    unknown_zip = dict(latitude="", longitude="", zip="00001")  # a ZIP the offline gazetteer does not know
    path = tmp_path / "clinics.csv"
    path.write_bytes(csv_bytes([row(clinic_id="a", street_address="1 Main St", **unknown_zip),
                                row(clinic_id="b", street_address="2 Oak Ave", **unknown_zip)]))
    with fake_nominatim() as fake:
        monkeypatch.setenv("VETTING_NOMINATIM_URL", fake.url)
        monkeypatch.setenv("VETTING_GEOCODE_CACHE", str(tmp_path / "cache.json"))
        code = main(["--today", TODAY.isoformat(), "geocode", str(path), "--out", str(tmp_path / "out.csv"),
                     "--online"])
    assert code == 0, capsys.readouterr().err
    assert "2 found online" in capsys.readouterr().out
    assert len(fake.requests) == 2 and fake.gaps()[0] >= 0.95


def test_locate_is_offline_first_and_online_only_when_asked():
    service = FakeService()
    assert locate("80903").label == "Colorado Springs, CO 80903"
    assert locate("1 Main St") is None
    place = locate("1 Main St", online=lambda q: Place(service.geocode(q).latitude, 0.0, "x"))
    assert place.latitude == 39.8 and service.calls == ["1 Main St"]


@given(city=st.text(alphabet=st.characters(blacklist_characters=",", blacklist_categories=("Cs", "Cc")), min_size=1,
                    max_size=40).filter(lambda c: c.strip()),
       state=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=2, max_size=2))
def test_city_state_parsing_splits_at_the_last_comma(city, state):
    from vetting.geo import parse_city_state

    assert parse_city_state(f" {city} ,  {state} ") == (" ".join(city.split()).upper(), state.upper())
    assert parse_city_state(f"{city} {state}") is None and parse_city_state(f"{city}, {state}x") is None


@pytest.mark.parametrize("query", ["a" * 30_000 + ", CO", "a," * 15_000, "Denver, CO" + " x" * 200,
                                   "Denver\u202e, CO", "1" * 30_000 + ",2"])
def test_an_overlong_or_invisible_place_is_no_place(query):
    assert locate(query) is None
    assert locate(query, online=lambda q: pytest.fail("asked online for a query that is no place")) is None


def test_directions_link_goes_to_the_clinic_and_data_cannot_change_its_host():
    from urllib.parse import parse_qs, urlsplit

    from vetting.geo import DIRECTIONS_URL, directions_urls

    frame = pd.DataFrame({
        "street_address": ["1 Main St\nSuite 2", None, "x@evil.example/&api=2#"],
        "city": ["Denver", "Boulder", "Aspen"], "state": ["CO", "CO", "CO"], "zip": ["80202", "80301", "81611"],
        "latitude": [39.7, 40.01, None], "longitude": [-104.9, -105.27, None],
        "location_source": ["listed", "listed", "unknown"]})
    links = directions_urls(frame)
    assert all(link.startswith(DIRECTIONS_URL) for link in links)
    assert {urlsplit(link).netloc for link in links} == {urlsplit(DIRECTIONS_URL).netloc}
    destinations = [parse_qs(urlsplit(link).query)["destination"] for link in links]
    assert destinations[0] == ["1 Main St Suite 2, Denver, CO 80202"]
    assert destinations[1] == ["40.010000,-105.270000"]  # no street: the listed coordinates
    assert destinations[2] == ["x@evil.example/&api=2#, Aspen, CO 81611"]  # one parameter, the text as written


# ------------------------------------------------------------------ cold start: the bundled ZIP table, lazy geopy
def test_bundled_zip_table_is_what_zipcodes_gives():
    """vetting/data/zip_centroids.arrow must be zip_table_from_zipcodes() over the installed zipcodes, to the bit:
    same index, columns, dtypes, order and values."""
    from vetting.geo import ZIP_TABLE_FILE, read_zip_table, zip_table, zip_table_from_zipcodes

    built, bundled = zip_table_from_zipcodes(), read_zip_table(ZIP_TABLE_FILE)
    stale = f"{ZIP_TABLE_FILE.name} no longer matches the installed zipcodes: run scripts/make_zip_table.py"
    try:
        pd.testing.assert_frame_equal(bundled, built, check_exact=True)
        pd.testing.assert_index_equal(bundled.index, built.index, exact=True, check_exact=True)
    except AssertionError as e:
        raise AssertionError(f"{stale}\n{e}") from None
    assert zip_table().index.name == "zip" and list(zip_table().columns) == ["city", "state", "lat", "lon", "kind"]
    assert zip_table().index.is_unique and zip_table().index.is_monotonic_increasing


def test_importing_geo_and_locating_offline_loads_neither_geopy_nor_requests():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, vetting.geo as g; p = g.locate('80903'); q = g.locate('Colorado Springs, CO'); "
            "print(p.label, q.label, sorted(m for m in ('geopy', 'requests', 'zipcodes') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.strip() == "Colorado Springs, CO 80903 Colorado Springs, CO []"


def test_the_offline_gazetteer_class_is_one_class_and_picklable():
    import pickle

    import vetting.geo

    assert vetting.geo.OfflineGazetteer is OfflineGazetteer
    assert pickle.loads(pickle.dumps(OfflineGazetteer)) is OfflineGazetteer
    loc = pickle.loads(pickle.dumps(OfflineGazetteer().geocode("80903")))
    assert loc.address == "Colorado Springs, CO 80903"


@given(lat=st.floats(min_value=-80.0, max_value=80.0), lon=st.floats(min_value=-180.0, max_value=180.0),
       radius_km=st.floats(min_value=0.01, max_value=3000.0), points=st.integers(min_value=2, max_value=90))
def test_circle_points_are_geopys_geodesic_destinations_within_a_metre(lat, lon, radius_km, points):
    from vetting.geo import circle

    lats, lons = circle(lat, lon, radius_km, points)
    assert len(lats) == len(lons) == points and all(type(v) is float for v in lats + lons)
    for bearing, got_lat, got_lon in zip(np.linspace(0, 360, points), lats, lons, strict=True):
        want = geodesic(kilometers=radius_km).destination((lat, lon), bearing)
        assert geodesic((got_lat, got_lon), (want.latitude, want.longitude)).m < 1.0
        assert -180 <= got_lon <= 180


@pytest.mark.parametrize(("lat", "lon", "radius_km"), [
    (38.8339, -104.8214, 80), (40.7484, -73.9967, 5), (61.2, -149.9, 500), (19.7, -155.1, 250),
    (51.9, -176.6, 400), (51.9, 179.6, 400), (38.8, -104.8, 0.001)])
def test_circle_matches_geopy_around_us_places(lat, lon, radius_km):
    from vetting.geo import circle

    lats, lons = circle(lat, lon, radius_km)
    assert len(lats) == 73 and (lats[0], lons[0]) == pytest.approx((lats[-1], lons[-1]), abs=1e-9)  # closed
    for bearing, got_lat, got_lon in zip(np.linspace(0, 360, 73), lats, lons, strict=True):
        want = geodesic(kilometers=radius_km).destination((lat, lon), bearing)
        assert geodesic((got_lat, got_lon), (want.latitude, want.longitude)).m < 0.001


def test_directions_for_no_clinics_is_an_empty_list_not_a_crash():
    from factory import row, typed

    from vetting.geo import directions_urls

    assert directions_urls(typed([row()]).iloc[0:0]).empty
