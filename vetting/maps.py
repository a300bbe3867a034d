"""Plotly figures of clinics (no Streamlit here): maps coloured by grade and subscore charts.

The offline map (`clinic_map`, street=False) draws over plotly's bundled US outline and, zoomed in on a search,
adds county lines (vetting/data/us_county_lines.npz, from the Census Bureau's cartographic boundaries via the
us-atlas npm package; scripts/make_county_lines.py) and the larger towns' names (the `zipcodes` gazetteer), both
cut to the view so the figure stays small. Clinics within a few pixels of each other, or of the searched place,
are drawn apart on a small ring with a thin line to where they are, so each can be seen and picked.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .checklist import Checklist
from .geo import Place, circle, zip_table

# Okabe-Ito colours: distinguishable with the common forms of colour blindness; symbols differ too.
# By rank, best grade first (the checklist's grading.letters: A to F).
GRADE_COLOURS = ("#009E73", "#0072B2", "#F0E442", "#E69F00", "#D55E00")
GRADE_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x")
OFFLINE_TOPOJSON_CONFIG = {"topojsonURL": "/app/static/", "displaylogo": False}
CLINIC_ID = 5  # position of clinic_id in each point's customdata, for click-through
NOTE = 6  # position of the "drawn apart" note in each point's customdata (empty for a clinic drawn where it is)
COUNTY_LINES = Path(__file__).with_name("data") / "us_county_lines.npz"
_COUNTY = 0  # arcs between two counties of one state in COUNTY_LINES (1: state lines, 2: coast and national
# border; the outline draws those)


def plain_text(values: pd.Series) -> np.ndarray:
    """User-supplied text made inert for plotly's HTML-like labels (tags shown as text, never run)."""
    return values.astype("string").fillna("").map(html.escape, na_action="ignore").to_numpy(dtype=object)


def _money(values: pd.Series) -> np.ndarray:
    x = pd.to_numeric(values, errors="coerce")
    return np.where(x.notna(), "$" + x.round(0).astype("Int64").astype("string").fillna(""), "not listed")


def _custom(part: pd.DataFrame, notes: np.ndarray) -> np.ndarray:
    """Hover fields per clinic: name, place, score, price, distance, clinic_id (escaped text), and the note
    (NOTE) this module writes for a clinic drawn apart from its spot."""
    if "distance_km" in part:
        distance = np.char.add(part["distance_km"].round(0).astype(int).astype(str).to_numpy(dtype=str), " km")
    else:
        distance = np.full(len(part), "", dtype=object)
    return np.column_stack([
        plain_text(part["name"]),
        plain_text(part["city"] + ", " + part["state"]),
        part["score"].round(0).astype("Int64").astype("string").fillna("–").to_numpy(dtype=object),
        _money(part.get("price_per_session_usd", pd.Series(np.nan, index=part.index))),
        distance,
        plain_text(part["clinic_id"]),
        notes,
    ])


# --- the view: where the map looks and how big a pixel is -------------------------------------------------
# Plotly keeps the Albers USA frame at about this width:height whatever the figure's size, and at projection
# scale s shows about GEO_LAT_SPAN / s degrees of latitude from its top to its bottom (measured in Chromium).
GEO_ASPECT = 1.9
GEO_LAT_SPAN = 26.0
FILL, MAX_SCALE = 0.8, 60  # zoomed to a search, the points fill this much of the frame; no closer than this
# Markers are spaced in "nominal" pixels of a frame NOMINAL_FRAME_PX tall. The find page's frame is about 340 px
# tall on a desktop and 190 px on a phone: spacing reckoned for 240 keeps markers apart on a phone without
# flinging them far on a desktop.
NOMINAL_FRAME_PX = 240
GROUP_PX = 10  # clinics closer than this to each other (or to the search star) are drawn apart
SPACING_PX = 13  # between neighbours drawn apart
RING_PX, STAR_RING_PX = 9, 11  # the smallest ring's radius; around the search star
RING_MAX = 10  # more clinics than this in one spot go on a sunflower spiral, not one ring
SPREAD_MAX = 24  # more than this in one spot (a dense downtown zoomed out) stay where they are: zoom in or use the
# table; a spiral of hundreds would carry markers far from their places and cover the map
SAME_SPOT_KM = 0.05  # "the same spot": within 50 m (e.g. two clinics placed on one ZIP's centroid)
KM_PER_DEGREE = 111.2
DETAIL_MIN_SCALE = 3.0  # county lines and town names from this zoom in (about 9 degrees of latitude in view)
# Plotly's US outline in static/: usa_110m.json (49 kB) for the whole country, usa_50m.json (471 kB) zoomed in. At
# scale 1 the two look alike; zoomed to a search, 110m loses coasts and bays (San Francisco Bay, Puget Sound, Lake
# Pontchartrain vanish), so any zoom uses 50m. A first visit to Find, unzoomed, loads the small file.
OUTLINE_COARSE, OUTLINE_FINE = 110, 50
COUNTY_MARGIN = 1.5  # county lines are sent for this many times the visible span (room to pan a little)
SNAP_PX = 0.5  # county line points closer than this to the one before are dropped
MAX_LABELS = 12
LABEL_FONT_PX, LABEL_PX_PER_CHAR = 11, 6.5  # real pixels
PHONE_PX = NOMINAL_FRAME_PX / 190  # nominal pixels in a real one on a phone: labels are kept apart there


@dataclass(frozen=True)
class _View:
    """The map's centre, the size of a (nominal) pixel in degrees of latitude, and the visible half-spans."""

    lat: float
    lon: float
    deg_per_px: float
    scale: float = 1.0  # the geo projection's scale (street maps: 1)

    @property
    def half_px(self) -> tuple[float, float]:
        """Half the frame's width and height in nominal pixels."""
        return NOMINAL_FRAME_PX * GEO_ASPECT / 2, NOMINAL_FRAME_PX / 2

    def px(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        """Positions in pixels east and north of the centre (locally flat: fine at city zoom)."""
        k = math.cos(math.radians(self.lat))
        return ((np.asarray(lon, dtype=float) - self.lon) * k / self.deg_per_px,
                (np.asarray(lat, dtype=float) - self.lat) / self.deg_per_px)

    def degrees(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """(lat, lon) of pixel positions: the inverse of `px`."""
        k = math.cos(math.radians(self.lat))
        return self.lat + np.asarray(y) * self.deg_per_px, self.lon + np.asarray(x) * self.deg_per_px / k

    def box(self, factor: float = 1.0) -> tuple[float, float, float, float]:
        """(south, north, west, east) of the visible frame, grown by `factor`."""
        hx, hy = self.half_px
        lat_half, lon_half = hy * self.deg_per_px * factor, hx * self.deg_per_px * factor
        lon_half /= math.cos(math.radians(self.lat))
        return self.lat - lat_half, self.lat + lat_half, self.lon - lon_half, self.lon + lon_half


def _geo_view(lats: np.ndarray, lons: np.ndarray, zoomed: bool) -> tuple[_View, dict]:
    """The view and the geo layout's projection settings: the whole country, or zoomed to the points."""
    if not zoomed or not len(lats):
        return _View(39.0, -96.0, GEO_LAT_SPAN / NOMINAL_FRAME_PX), {}
    lat, lon = float(lats.max() + lats.min()) / 2, float(lons.max() + lons.min()) / 2
    lat_span = float(lats.max() - lats.min()) + 0.02  # albers usa zooms by scale and centre: fit the points
    lon_span = (float(lons.max() - lons.min()) + 0.02) * math.cos(math.radians(lat))
    scale = float(np.clip(FILL * GEO_LAT_SPAN / max(lat_span, lon_span / GEO_ASPECT), 1, MAX_SCALE))
    return (_View(lat, lon, GEO_LAT_SPAN / scale / NOMINAL_FRAME_PX, scale),
            {"projection": {"scale": scale}, "center": {"lat": lat, "lon": lon}})


def _street_view(lats: np.ndarray, lons: np.ndarray, zoomed: bool) -> tuple[_View, dict]:
    """The view and the tile map's centre and zoom (tiles of 512 px: 360 / 512 / 2**zoom degrees a pixel)."""
    span = max(float(lats.max() - lats.min()), float(lons.max() - lons.min()), 0.05) if len(lats) else 40
    zoom = float(np.clip(np.log2(360 / span) - 1, 2.5, 12)) if zoomed else 3.0
    lat, lon = (float(lats.mean()), float(lons.mean())) if len(lats) else (39.0, -98.0)
    deg_per_px = 360 / 512 / 2**zoom * math.cos(math.radians(lat))
    return _View(lat, lon, deg_per_px), {"center": {"lat": lat, "lon": lon}, "zoom": zoom}


# --- clinics close together: drawn apart --------------------------------------------------------------------


def _groups(x: np.ndarray, y: np.ndarray, ids: np.ndarray, star: tuple[float, float] | None,
            within_px: float) -> list[tuple[bool, list[int]]]:
    """Clinics within `within_px` of a group's first member (or of the star), as (around the star?, members).

    Leader clustering in clinic_id order (the same groups whatever order the rows come in), on a grid of
    `within_px` cells; only clinics with company in their own or a neighbouring cell are looked at."""
    cell_x, cell_y = np.floor(x / within_px).astype(np.int64), np.floor(y / within_px).astype(np.int64)
    keys = cell_x * (1 << 32) + cell_y
    occupied = keys
    if star is not None:
        sx, sy = np.floor(star[0] / within_px), np.floor(star[1] / within_px)
        occupied = np.append(keys, np.int64(sx) * (1 << 32) + np.int64(sy))
    uniq, counts = np.unique(occupied, return_counts=True)
    company = counts[np.searchsorted(uniq, keys)] > 1
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if dx or dy:
                company |= np.isin(keys + dx * (1 << 32) + dy, uniq)
    todo = np.flatnonzero(company)
    leaders: dict[tuple[int, int], list[int]] = {}
    groups: list[tuple[bool, list[int]]] = []
    lead_xy: list[tuple[float, float]] = []
    if star is not None:
        groups.append((True, []))
        lead_xy.append(star)
        leaders[(int(sx), int(sy))] = [0]
    for i in todo[np.argsort(ids[todo], kind="stable")]:
        cx, cy = int(cell_x[i]), int(cell_y[i])
        best, best_d = -1, within_px
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for g in leaders.get((cx + dx, cy + dy), ()):
                    d = math.hypot(x[i] - lead_xy[g][0], y[i] - lead_xy[g][1])
                    if d < best_d:
                        best, best_d = g, d
        if best < 0:
            best = len(groups)
            groups.append((False, []))
            lead_xy.append((float(x[i]), float(y[i])))
            leaders.setdefault((cx, cy), []).append(best)
        groups[best][1].append(int(i))
    return [(s, m) for s, m in groups if len(m) > 1 or (s and m)]


def _places(cx: float, cy: float, x: np.ndarray, y: np.ndarray, around_star: bool) -> tuple[np.ndarray, np.ndarray]:
    """Where to draw clinics at (x, y) around (cx, cy): on a ring at least `inner` out, each near its own bearing
    from the centre and SPACING_PX from its neighbours (clinics at the very spot spread evenly, in clinic_id
    order); a sunflower spiral for more than RING_MAX."""
    k = len(x)
    inner = STAR_RING_PX if around_star else RING_PX
    if k > RING_MAX:  # Vogel's spiral: even spacing of about SPACING_PX, a hole of radius `inner` in the middle
        c = SPACING_PX / math.sqrt(math.pi)
        j = np.arange(k) + (inner / c) ** 2
        angle = np.arange(k) * math.pi * (3 - math.sqrt(5))
        return cx + c * np.sqrt(j) * np.cos(angle), cy + c * np.sqrt(j) * np.sin(angle)
    r = max(inner, SPACING_PX * k / (2 * math.pi))
    dist = np.hypot(x - cx, y - cy)
    even = math.pi / 2 + 2 * math.pi * np.arange(k) / k
    bearing = np.where(dist < 0.5, even, np.arctan2(y - cy, x - cx))  # at the spot: evenly, in the given order
    order = np.argsort(bearing, kind="stable")
    a = bearing[order].copy()
    gap = min(2 * math.pi / k, 2 * math.asin(min(1.0, SPACING_PX / (2 * r))))
    for _ in range(60 if k > 1 else 0):  # push neighbours (around the circle) apart until `gap` separates them
        d = np.diff(np.append(a, a[0] + 2 * math.pi))
        short = np.maximum(gap - d, 0) / 2
        if not short.any():
            break
        a += np.roll(short, 1) - short  # the clinic after a short gap moves on, the one before it back
    angle = np.empty(k)
    angle[order] = a
    radius = np.maximum(r, dist)
    return cx + radius * np.cos(angle), cy + radius * np.sin(angle)


def _spread(lat: np.ndarray, lon: np.ndarray, ids: np.ndarray, view: _View, star: tuple[float, float] | None,
            within_km: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon) to draw each clinic at, its hover note, and whether it was moved.

    Clinics within GROUP_PX of each other or of the star (or, with `within_km`, within that many km) are moved
    onto a small ring; the others stay put."""
    notes = np.full(len(lat), "", dtype=object)
    moved = np.zeros(len(lat), dtype=bool)
    if not len(lat):
        return lat, lon, notes, moved
    x, y = view.px(lat, lon)
    within_px = GROUP_PX if within_km is None else within_km / KM_PER_DEGREE / view.deg_per_px
    star_xy = None if star is None else tuple(float(v) for v in view.px(*star))
    same_px = SAME_SPOT_KM / KM_PER_DEGREE / view.deg_per_px
    new_x, new_y = x.copy(), y.copy()
    for around_star, members in _groups(x, y, ids, star_xy, within_px):
        m = np.asarray(members)
        if len(m) > SPREAD_MAX:
            notes[m] = f"<br>{len(m)} clinics here"  # short: a crowd's note is sent once per clinic
            continue
        cx, cy = star_xy if around_star else (float(x[m].mean()), float(y[m].mean()))
        new_x[m], new_y[m] = _places(cx, cy, x[m], y[m], around_star)
        moved[m] = True
        others = len(m) - 1
        for i in m:
            same = int((np.hypot(x[m] - x[i], y[m] - y[i]) < same_px).sum()) - 1
            if same:
                note = f"Same spot as {same} other clinic{'s' * (same > 1)}"
            elif others:
                note = f"Close to {others} other clinic{'s' * (others > 1)}" + (" and your search" * around_star)
            else:
                note = "Close to your search"
            notes[i] = f"<br><i>{note}: drawn apart (the line leads to its spot)</i>"
    if star_xy is not None:  # a marker another ring put by the star is pushed out to the star's ring
        dx, dy = new_x - star_xy[0], new_y - star_xy[1]
        near = np.hypot(dx, dy) < STAR_RING_PX
        if near.any() and near.sum() <= SPREAD_MAX:  # (a crowd at the star stays put, like any crowd)
            bearing = np.arctan2(dy[near], dx[near])
            new_x[near] = star_xy[0] + STAR_RING_PX * np.cos(bearing)
            new_y[near] = star_xy[1] + STAR_RING_PX * np.sin(bearing)
            notes[near & ~moved] = "<br><i>Close to your search: drawn apart (the line leads to its spot)</i>"
            moved |= near
    new_lat, new_lon = view.degrees(new_x, new_y)
    return np.where(moved, new_lat, lat), np.where(moved, new_lon, lon), notes, moved


def _connectors(lat, lon, shown_lat, shown_lon, street: bool) -> list:
    """Thin lines from each moved clinic's marker to its true spot, and a dot on the spot (float32: ~1 m)."""
    n = len(lat)
    nan = np.full(n, np.nan)
    line_lat = np.column_stack([lat, shown_lat, nan]).ravel()[:-1].astype(np.float32)
    line_lon = np.column_stack([lon, shown_lon, nan]).ravel()[:-1].astype(np.float32)
    spot_lat, spot_lon = np.asarray(lat, dtype=np.float32), np.asarray(lon, dtype=np.float32)
    common = dict(hoverinfo="skip", showlegend=False)
    line = dict(lat=line_lat, lon=line_lon, mode="lines", name="true location", line=dict(color="#444", width=1))
    dots = dict(lat=spot_lat, lon=spot_lon, mode="markers", name="true spot")
    if street:
        return [go.Scattermap(**common, **line), go.Scattermap(**common, **dots, marker=dict(size=5, color="#444"))]
    return [go.Scattergeo(**common, **line),
            go.Scattergeo(**common, **dots, marker=dict(size=4, color="#444", line=dict(width=0)))]


# --- county lines and town names (offline map, zoomed in) --------------------------------------------------


@lru_cache(maxsize=1)
def _county_arcs() -> dict[str, np.ndarray]:
    """Every arc of COUNTY_LINES decoded to degrees, with its kind and bounding box (read once)."""
    with np.load(COUNTY_LINES) as z:
        starts, kind = z["starts"].astype(np.int64), z["kind"]
        dx, dy = z["dx"].astype(np.int64), z["dy"].astype(np.int64)
        scale, translate = z["scale"], z["translate"]
    first, lengths = starts[:-1], np.diff(starts)
    qx, qy = np.cumsum(dx), np.cumsum(dy)  # TopoJSON deltas; each arc's first point is absolute
    qx -= np.repeat(qx[first] - dx[first], lengths)
    qy -= np.repeat(qy[first] - dy[first], lengths)
    lon, lat = qx * scale[0] + translate[0], qy * scale[1] + translate[1]
    return {"lon": lon, "lat": lat, "starts": starts, "kind": kind,
            "west": np.minimum.reduceat(lon, first), "east": np.maximum.reduceat(lon, first),
            "south": np.minimum.reduceat(lat, first), "north": np.maximum.reduceat(lat, first)}


def _county_lines(view: _View, kind: int) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of the county (or state) lines near the view, as float32 with NaN between lines; points
    closer than SNAP_PX to the previous one are dropped."""
    arcs = _county_arcs()
    south, north, west, east = view.box(COUNTY_MARGIN)
    sel = np.flatnonzero((arcs["kind"] == kind) & (arcs["east"] >= west) & (arcs["west"] <= east)
                         & (arcs["north"] >= south) & (arcs["south"] <= north))
    if not len(sel):
        return np.empty(0, np.float32), np.empty(0, np.float32)
    starts = arcs["starts"]
    lengths = starts[sel + 1] - starts[sel]
    arc_of = np.repeat(np.arange(len(sel)), lengths)
    idx = np.arange(lengths.sum()) + np.repeat(starts[sel] - (np.cumsum(lengths) - lengths), lengths)
    lat, lon = arcs["lat"][idx], arcs["lon"][idx]
    x, y = view.px(lat, lon)
    qx, qy = np.round(x / SNAP_PX), np.round(y / SNAP_PX)
    new_arc = np.r_[True, arc_of[1:] != arc_of[:-1]]
    last = np.r_[new_arc[1:], True]
    keep = new_arc | last | (qx != np.r_[np.nan, qx[:-1]]) | (qy != np.r_[np.nan, qy[:-1]])
    slot = np.arange(len(idx)) + arc_of  # one empty (NaN) slot after each arc: the gap between lines
    out_lat = np.full(len(idx) + len(sel), np.nan, dtype=np.float32)
    out_lon = out_lat.copy()
    out_lat[slot], out_lon[slot] = lat, lon
    used = np.ones(len(out_lat), dtype=bool)
    used[slot[~keep]] = False
    used[-1] = False
    return out_lat[used], out_lon[used]


@lru_cache(maxsize=1)
def _towns() -> pd.DataFrame:
    """Towns of the `zipcodes` gazetteer worth a label: name, lat, lon (median of its street-delivery ZIPs) and
    how many ZIPs it has, a proxy for size: street-delivery ZIPs, then all (PO boxes too). Single-firm ZIPs
    (the IRS's Holtsville) do not count; a town with one ZIP and nothing else gets no label. Biggest first."""
    zips = zip_table()  # the bundled gazetteer (vetting.geo): centroids known, not at 0,0
    zips = zips[zips["kind"].isin(("STANDARD", "PO BOX"))]
    t = pd.DataFrame({"city": zips["city"], "state": zips["state"], "standard": zips["kind"] == "STANDARD",
                      "lat": zips["lat"], "lon": zips["lon"]})
    t = t[t["lat"].notna() & t["lon"].notna() & ((t["lat"] != 0) | (t["lon"] != 0))]
    key = [t["city"].str.upper(), t["state"]]
    by = t.groupby(key, sort=False)
    street = t[t["standard"]].groupby([k[t["standard"]] for k in key], sort=False)
    towns = street[["lat", "lon"]].median().assign(zips=street.size(), name=street["city"].first())
    towns = towns.join(by.size().rename("all_zips"), how="left")
    towns = towns[towns["all_zips"] > 1].reset_index(drop=True)
    return towns.sort_values(["zips", "all_zips", "name"], ascending=[False, False, True], kind="stable")


def _town_labels(view: _View, busy_x: np.ndarray, busy_y: np.ndarray) -> tuple[list, list, list]:
    """(lat, lon, name) of up to MAX_LABELS towns in view, biggest first, whose label overlaps no other label
    and no marker (at `busy_x`, `busy_y`, in pixels)."""
    towns = _towns()
    south, north, west, east = view.box()
    inside = towns[towns["lat"].between(south, north) & towns["lon"].between(west, east)]
    x, y = view.px(inside["lat"], inside["lon"])
    nearest = np.lexsort((np.hypot(x, y), -inside["all_zips"].to_numpy(), -inside["zips"].to_numpy()))
    nearest = nearest[:MAX_LABELS * 10]  # the biggest towns, the nearer first among equals
    inside, x, y = inside.iloc[nearest], x[nearest], y[nearest]
    names = inside["name"].tolist()
    hx, hy = view.half_px
    half_h = LABEL_FONT_PX * 0.75 * PHONE_PX
    taken: list[tuple[float, float, float]] = []
    chosen: list[int] = []
    for i, name in enumerate(names):
        half_w = (len(name) * LABEL_PX_PER_CHAR / 2 + 3) * PHONE_PX
        if abs(x[i]) + half_w > hx or abs(y[i]) + half_h > hy:
            continue
        if any(abs(x[i] - tx) < half_w + tw and abs(y[i] - ty) < 2 * half_h for tx, ty, tw in taken):
            continue
        if np.any((np.abs(busy_x - x[i]) < half_w + 7 * PHONE_PX) & (np.abs(busy_y - y[i]) < half_h + 7 * PHONE_PX)):
            continue
        taken.append((float(x[i]), float(y[i]), half_w))
        chosen.append(i)
        if len(chosen) == MAX_LABELS:
            break
    pick = inside.iloc[chosen]
    return pick["lat"].tolist(), pick["lon"].tolist(), [html.escape(n) for n in pick["name"]]


def _detail_traces(view: _View, busy_x: np.ndarray, busy_y: np.ndarray) -> list:
    """County lines and town names in view (state lines are the outline's own)."""
    traces = []
    lat, lon = _county_lines(view, _COUNTY)
    if len(lat):
        traces.append(go.Scattergeo(lat=lat, lon=lon, mode="lines", hoverinfo="skip", showlegend=False,
                                    name="county lines", line=dict(color="#c4c4bc", width=0.8)))
    lat, lon, text = _town_labels(view, busy_x, busy_y)
    if text:
        traces.append(go.Scattergeo(lat=lat, lon=lon, text=text, mode="text", hoverinfo="skip", showlegend=False,
                                    name="towns", textfont=dict(size=LABEL_FONT_PX, color="#6b6b66")))
    return traces


# --- the map --------------------------------------------------------------------------------------------------


def _traces(located: pd.DataFrame, lats: np.ndarray, lons: np.ndarray, notes: np.ndarray, street: bool) -> list:
    has_distance = "distance_km" in located
    custom = _custom(located, notes)  # one pass over all clinics, then sliced per grade (no per-grade frames)
    grades = located["grade"].to_numpy(dtype=object)
    best_first = list(reversed(located["grade"].cat.categories))  # the checklist's grades: an ordered category
    traces = []
    for rank, grade in reversed(list(enumerate(best_first))):  # F drawn first, so A sits on top
        mask = grades == grade
        if not mask.any():
            continue
        hover = ("<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
                 f"Grade {grade} · score %{{customdata[2]}}/100<br>Session price: %{{customdata[3]}}"
                 + ("<br>Distance: %{customdata[4]}" if has_distance else "")
                 + f"%{{customdata[{NOTE}]}}<extra></extra>")
        common = dict(lat=lats[mask], lon=lons[mask], mode="markers", name=f"Grade {grade}",
                      legendrank=rank, customdata=custom[mask], hovertemplate=hover)
        if street:
            traces.append(go.Scattermap(**common, marker=dict(size=12, color=GRADE_COLOURS[rank])))
        else:
            traces.append(go.Scattergeo(**common, marker=dict(
                size=10, color=GRADE_COLOURS[rank], symbol=GRADE_SYMBOLS[rank], opacity=0.9,
                line=dict(width=0.8, color="#222"))))
    return traces


def clinic_map(frame: pd.DataFrame, searched: Place | None = None, street: bool = False,
               height: int = 440, radius_km: float | None = None) -> go.Figure:
    """A map of clinics (needs clinic_id, latitude, longitude, name, city, state, grade, score).

    Default: `scatter_geo` over the bundled US outline (pass OFFLINE_TOPOJSON_CONFIG as the chart's
    config), so nothing is fetched from a third party. `street=True` draws OpenStreetMap tiles instead,
    which the browser loads from the internet. `searched` marks the searched place and zooms to the results
    and, with `radius_km`, to the searched circle, drawn dashed for scale; zoomed in, the offline map adds
    county lines and town names.

    Clinics within a few pixels of each other or of the searched place are drawn apart, each with a thin line
    to its true spot (without a search: only clinics at the same spot). Every marker keeps its own customdata
    (CLINIC_ID), so a click picks that clinic; its hover says it was drawn apart and why.
    """
    located = frame[frame["latitude"].notna() & frame["longitude"].notna()]
    lat = located["latitude"].to_numpy(dtype=float)
    lon = located["longitude"].to_numpy(dtype=float)
    ring_lat, ring_lon = [], []
    if searched is not None and radius_km:
        ring_lat, ring_lon = circle(searched.latitude, searched.longitude, radius_km)
    star = None if searched is None else (searched.latitude, searched.longitude)
    all_lat = np.concatenate([lat, [star[0]] if star else [], np.asarray(ring_lat, dtype=float)])
    all_lon = np.concatenate([lon, [star[1]] if star else [], np.asarray(ring_lon, dtype=float)])
    view, placement = (_street_view if street else _geo_view)(all_lat, all_lon, searched is not None)
    ids = located["clinic_id"].astype(str).to_numpy(dtype=object)
    shown_lat, shown_lon, notes, moved = _spread(lat, lon, ids, view, star,
                                                 None if searched is not None else SAME_SPOT_KM)

    traces = []
    if not street and searched is not None and view.scale >= DETAIL_MIN_SCALE:
        busy_x, busy_y = view.px(np.append(shown_lat, star[0]), np.append(shown_lon, star[1]))
        traces += _detail_traces(view, busy_x, busy_y)
    if ring_lat:
        ring = dict(lat=ring_lat, lon=ring_lon, mode="lines", name=f"{radius_km:g} km", hoverinfo="skip",
                    legendrank=11)
        traces.append(go.Scattermap(**ring, line=dict(color="#555", width=1)) if street else
                      go.Scattergeo(**ring, line=dict(color="#555", width=1, dash="dash")))
    if searched is not None:  # below the clinics, an outline: it never hides a clinic's marker
        star_trace = dict(lat=[star[0]], lon=[star[1]], mode="markers", name="Your search", legendrank=10,
                          text=[html.escape(searched.label)], hovertemplate="Searched: %{text}<extra></extra>")
        traces.append(go.Scattermap(**star_trace, marker=dict(size=14, color="#000")) if street else
                      go.Scattergeo(**star_trace, marker=dict(size=14, color="rgba(255,255,255,0.85)",
                                                              symbol="star", line=dict(width=1.6, color="#000"))))
    if moved.any():
        traces += _connectors(lat[moved], lon[moved], shown_lat[moved], shown_lon[moved], street)
    traces += _traces(located, shown_lat, shown_lon, notes, street)

    layout = dict(height=height, margin=dict(l=0, r=0, t=0, b=0),
                  legend=dict(title=dict(text="Grade"), orientation="h", yanchor="bottom", y=0.0, xanchor="left",
                              x=0.0, bgcolor="rgba(255,255,255,0.8)"),
                  uirevision=str(searched), clickmode="event+select")
    if street:
        layout["map"] = dict(style="open-street-map", **placement)
    else:
        layout["geo"] = dict(scope="usa", projection=dict(type="albers usa", **placement.pop("projection", {})),
                             resolution=OUTLINE_COARSE if view.scale <= 1 else OUTLINE_FINE,
                             showland=True, landcolor="#f2f2ee", subunitcolor="#b8b8b8",
                             countrycolor="#888", showlakes=view.scale >= DETAIL_MIN_SCALE, lakecolor="#dde8f0",
                             bgcolor="rgba(0,0,0,0)", **placement)
    return go.Figure(data=traces, layout=layout)  # one validation pass, not one per update_* call


def subscore_chart(frame: pd.DataFrame, names: list[str], checklist: Checklist) -> go.Figure:
    """Grouped bars of category subscores (0-100), one colour per clinic; `frame` rows in `names` order."""
    cats = list(checklist.categories)
    palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]
    fig = go.Figure()
    subscores = frame[[f"subscore_{c}" for c in cats]].to_numpy()
    for i, name in enumerate(names):
        fig.add_trace(go.Bar(x=[checklist.categories[c] for c in cats], y=subscores[i], name=html.escape(name),
                             marker_color=palette[i % len(palette)], texttemplate="%{y:.0f}",
                             textposition="outside",
                             hovertemplate="%{x}: %{y:.0f}/100<extra>" + html.escape(name) + "</extra>"))
    fig.update_layout(barmode="group", yaxis=dict(range=[0, 100], title="Subscore (0-100)"), height=380,
                      margin=dict(l=0, r=0, t=10, b=0), legend=dict(orientation="h", y=-0.2))
    return fig
