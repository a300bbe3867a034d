"""The clinic map (vetting.maps.clinic_map) as a patient sees it, built from the bundled sample: zoomed in on a
search the offline map shows county lines and town names; clinics at one spot, or under the search star, are
drawn apart and each stays pickable; nothing in the offline figure points off the machine; text from the data
stays text."""

from __future__ import annotations

import html
import json
import math
import re

import numpy as np
import plotly.io as pio
import pytest

from testkit import sample
from vetting.geo import distance_km, zip_table
from vetting.maps import CLINIC_ID, NOTE, clinic_map

RADIUS_KM = 80
# Plotly's Albers USA frame at projection scale s is about 26 / s degrees of latitude tall, and the find page's
# frame is at least 190 px tall (a phone): how a test turns degrees into the fewest pixels a visitor may see.
LAT_SPAN_AT_SCALE_1, FRAME_PX = 26.0, 190


def _search(radius_km: float = RADIUS_KM, wanted=lambda near: len(near) >= 2):
    """A ZIP of the sample with what the test needs within `radius_km`: (place, clinics near it)."""
    query = sample.first(sample.zip_searches(), lambda q: wanted(sample.near(q, radius_km)),
                         f"ZIP with the clinics the test needs within {radius_km} km")
    return sample.place(query), sample.near(query, radius_km)


def _clinic_points(fig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, customdata) of every clinic marker (the traces whose points carry a clinic id)."""
    lats, lons, custom = [], [], []
    for trace in fig.data:
        if trace.customdata is not None:
            lats.append(np.asarray(trace.lat, dtype=float))
            lons.append(np.asarray(trace.lon, dtype=float))
            custom.append(np.asarray(trace.customdata, dtype=object))
    return np.concatenate(lats), np.concatenate(lons), np.concatenate(custom)


def _px_per_degree(fig) -> float:
    return FRAME_PX / (LAT_SPAN_AT_SCALE_1 / fig.layout.geo.projection.scale)


def _trace(fig, name: str):
    found = [t for t in fig.data if t.name == name]
    assert found, f"the map has no {name!r} trace: {[t.name for t in fig.data]}"
    return found[0]


def test_zoomed_in_the_offline_map_shows_county_lines_and_towns_in_view():
    place, near = _search()
    fig = clinic_map(near, searched=place, radius_km=RADIUS_KM)

    lines = _trace(fig, "county lines")
    lat, lon = np.asarray(lines.lat, dtype=float), np.asarray(lines.lon, dtype=float)
    drawn = ~np.isnan(lat)
    assert drawn.sum() >= 50, "hardly any county line is drawn"
    assert np.isnan(lat).sum() >= 5, "county lines come as separate strokes (NaN between them)"
    # cut to the view: nothing far beyond the searched circle, and some lines cross it
    d = distance_km(place.latitude, place.longitude, lat[drawn], lon[drawn])
    assert d.max() < RADIUS_KM * 8, "county lines far outside the view are sent"
    assert (d < RADIUS_KM).any(), "no county line inside the searched circle"
    assert drawn.sum() < 5_000, "county lines are not simplified for the zoom (the figure is resent every rerun)"

    towns = _trace(fig, "towns")
    names = [html.unescape(t) for t in towns.text]
    assert 3 <= len(names) <= 12, f"{len(names)} town names: none, or clutter"
    assert towns.mode == "text"
    known = set(zip_table()["city"].str.upper())
    assert all(n.upper() in known for n in names), f"names not from the gazetteer: {names}"
    d = distance_km(place.latitude, place.longitude, np.asarray(towns.lat), np.asarray(towns.lon))
    assert d.max() < RADIUS_KM * 4, f"a town named far outside the view: {dict(zip(names, d.round(), strict=True))}"


def test_the_national_view_stays_plain():
    fig = clinic_map(sample.clinics())
    assert {t.name for t in fig.data}.isdisjoint({"county lines", "towns"})


@pytest.mark.parametrize("searched", [True, False], ids=["search", "no search"])
def test_clinics_at_one_spot_are_drawn_apart_and_each_keeps_its_id(searched):
    place, near = _search(wanted=lambda near: len(near) >= 3)
    three = near.head(3)
    spot = three.iloc[0]
    together = three.assign(latitude=spot["latitude"], longitude=spot["longitude"])
    fig = clinic_map(together, searched=place if searched else None, radius_km=RADIUS_KM if searched else None)

    lat, lon, custom = _clinic_points(fig)
    assert sorted(custom[:, CLINIC_ID]) == sorted(html.escape(c) for c in three["clinic_id"])
    positions = {(round(a, 7), round(b, 7)) for a, b in zip(lat, lon, strict=True)}
    assert len(positions) == 3, "clinics at one spot are drawn on top of each other"
    if searched:  # apart on screen, not only in the numbers: at least a marker's width on a phone
        px = _px_per_degree(fig)
        k = math.cos(math.radians(spot["latitude"]))
        for i in range(3):
            for j in range(i):
                gap = math.hypot((lat[i] - lat[j]) * px, (lon[i] - lon[j]) * k * px)
                assert gap >= 8, f"two markers of one spot are {gap:.1f} px apart"
    assert all("Same spot as 2 other clinics" in note for note in custom[:, NOTE]), custom[:, NOTE]
    # each drawn-apart marker has a line back to the true spot
    line = _trace(fig, "true location")
    ends = np.column_stack([np.asarray(line.lat, dtype=float), np.asarray(line.lon, dtype=float)])
    off = np.hypot(ends[:, 0] - spot["latitude"], ends[:, 1] - spot["longitude"])
    assert np.nanmin(off) < 1e-4, "no line leads back to the clinics' spot"


def test_the_search_star_hides_no_clinic():
    place, near = _search(wanted=lambda near: (near["distance_km"] < 5).any())
    fig = clinic_map(near, searched=place, radius_km=RADIUS_KM)
    names = [t.name for t in fig.data]
    star = names.index("Your search")
    clinic_traces = [i for i, t in enumerate(fig.data) if t.customdata is not None]
    assert star < min(clinic_traces), "the star is drawn over the clinics"
    lat, lon, custom = _clinic_points(fig)
    px = _px_per_degree(fig)
    k = math.cos(math.radians(place.latitude))
    gaps = np.hypot((lat - place.latitude) * px, (lon - place.longitude) * k * px)
    assert gaps.min() >= 8, f"a clinic marker sits {gaps.min():.1f} px from the star's centre"
    close = near["distance_km"] < 5
    moved = custom[:, NOTE] != ""
    assert moved.sum() >= close.sum()
    assert all("drawn apart" in n for n in custom[moved, NOTE])


def _lone(near, km: float = 25) -> list[int]:
    """Rows of `near` more than `km` from every other clinic and from the searched place."""
    lat, lon = near["latitude"].to_numpy(), near["longitude"].to_numpy()
    d = distance_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.fill_diagonal(d, np.inf)
    return [i for i in range(len(near)) if d[i].min() > km and near["distance_km"].iloc[i] > km]


def test_a_lone_clinic_is_drawn_where_it_is():
    place, near = _search(wanted=lambda near: bool(_lone(near)))
    fig = clinic_map(near, searched=place, radius_km=RADIUS_KM)
    lat, lon, custom = _clinic_points(fig)
    ids = list(custom[:, CLINIC_ID])
    for i in _lone(near):
        r = near.iloc[i]
        at = ids.index(html.escape(r["clinic_id"]))
        assert custom[at, NOTE] == ""
        assert (lat[at], lon[at]) == pytest.approx((r["latitude"], r["longitude"]))


def test_the_offline_map_points_at_nothing_remote_and_text_stays_text():
    place, near = _search()
    hostile = '<img src="https://evil.example/x.png" onerror="alert(1)"> <a href="https://evil.example">x</a>'
    frame = near.assign(name=hostile)
    spec = pio.to_json(clinic_map(frame, searched=place, radius_km=RADIUS_KM), validate=False)
    assert "evil.example" in spec  # the name is there, as text
    assert "<img" not in spec and "<a " not in spec, "a tag from the data reaches plotly's labels"
    figure = json.loads(spec)
    for trace in figure["data"]:
        for key in ("hovertemplate", "text", "name"):
            value = trace.get(key)
            texts = value if isinstance(value, list) else [value]
            assert not any(isinstance(t, str) and "<img" in t for t in texts)
    without_text = json.dumps({"data": [{k: v for k, v in t.items() if k != "customdata"} for t in figure["data"]],
                               "layout": figure["layout"]})  # (the hostile name sits in customdata, escaped)
    assert not re.search(r"[a-z][a-z0-9+.-]*://|www\.", without_text), "the offline figure references a URL"


def test_the_map_is_the_same_whatever_the_row_order():
    place, near = _search(wanted=lambda near: len(near) >= 3)
    a = clinic_map(near, searched=place, radius_km=RADIUS_KM)
    b = clinic_map(near.iloc[::-1], searched=place, radius_km=RADIUS_KM)

    def where(fig):
        lat, lon, custom = _clinic_points(fig)
        return {c: (round(x, 9), round(y, 9)) for c, x, y in zip(custom[:, CLINIC_ID], lat, lon, strict=True)}

    assert where(a) == where(b)
