"""Plotly figures of clinics (no Streamlit here): maps coloured by grade and subscore charts."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .checklist import Checklist
from .geo import Place, circle

# Okabe-Ito colours: distinguishable with the common forms of colour blindness; symbols differ too.
# By rank, best grade first (the checklist's grading.letters: A to F).
GRADE_COLOURS = ("#009E73", "#0072B2", "#F0E442", "#E69F00", "#D55E00")
GRADE_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x")
OFFLINE_TOPOJSON_CONFIG = {"topojsonURL": "/app/static/", "displaylogo": False}
CLINIC_ID = 5  # position of clinic_id in each point's customdata, for click-through


def plain_text(values: pd.Series) -> np.ndarray:
    """User-supplied text made inert for plotly's HTML-like labels (tags shown as text, never run)."""
    return values.astype("string").fillna("").map(html.escape, na_action="ignore").to_numpy(dtype=object)


def _money(values: pd.Series) -> np.ndarray:
    x = pd.to_numeric(values, errors="coerce")
    return np.where(x.notna(), "$" + x.round(0).astype("Int64").astype("string").fillna(""), "not listed")


def _custom(part: pd.DataFrame) -> np.ndarray:
    """Hover fields per clinic: name, place, score, price, distance, clinic_id (escaped text)."""
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
    ])


def _traces(located: pd.DataFrame, street: bool) -> list:
    has_distance = "distance_km" in located
    custom = _custom(located)  # one pass over all clinics, then sliced per grade (no per-grade frames)
    grades = located["grade"].to_numpy(dtype=object)
    best_first = list(reversed(located["grade"].cat.categories))  # the checklist's grades: an ordered category
    lats, lons = located["latitude"].to_numpy(dtype=float), located["longitude"].to_numpy(dtype=float)
    traces = []
    for rank, grade in reversed(list(enumerate(best_first))):  # F drawn first, so A sits on top
        mask = grades == grade
        if not mask.any():
            continue
        hover = ("<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
                 f"Grade {grade} · score %{{customdata[2]}}/100<br>Session price: %{{customdata[3]}}"
                 + ("<br>Distance: %{customdata[4]}" if has_distance else "") + "<extra></extra>")
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
    and, with `radius_km`, to the searched circle, drawn dashed for scale.
    """
    located = frame[frame["latitude"].notna() & frame["longitude"].notna()]
    traces = _traces(located, street)
    if searched is not None:
        lat, lon, label = searched.latitude, searched.longitude, searched.label
        star = dict(lat=[lat], lon=[lon], mode="markers", name="Your search",
                    hovertemplate=f"Searched: {html.escape(label)}<extra></extra>")
        traces.append(go.Scattermap(**star, marker=dict(size=16, color="#000")) if street else
                      go.Scattergeo(**star, marker=dict(size=15, color="#000", symbol="star",
                                                        line=dict(width=1, color="#fff"))))
    ring_lat, ring_lon = [], []
    if searched is not None and radius_km:
        ring_lat, ring_lon = circle(searched.latitude, searched.longitude, radius_km)
        ring = dict(lat=ring_lat, lon=ring_lon, mode="lines", name=f"{radius_km:g} km", hoverinfo="skip")
        traces.append(go.Scattermap(**ring, line=dict(color="#555", width=1)) if street else
                      go.Scattergeo(**ring, line=dict(color="#555", width=1, dash="dash")))
    lats = np.concatenate([located["latitude"].to_numpy(dtype=float), [searched.latitude] if searched else [],
                           np.asarray(ring_lat, dtype=float)])
    lons = np.concatenate([located["longitude"].to_numpy(dtype=float), [searched.longitude] if searched else [],
                           np.asarray(ring_lon, dtype=float)])
    layout = dict(height=height, margin=dict(l=0, r=0, t=0, b=0),
                  legend=dict(title=dict(text="Grade"), orientation="h", yanchor="bottom", y=0.0, xanchor="left",
                              x=0.0, bgcolor="rgba(255,255,255,0.8)"),
                  uirevision=str(searched), clickmode="event+select")
    if street:
        span = max(float(lats.max() - lats.min()), float(lons.max() - lons.min()), 0.05) if len(lats) else 40
        zoom = float(np.clip(np.log2(360 / span) - 1, 2.5, 12)) if searched else 3.0
        center = dict(lat=float(lats.mean()), lon=float(lons.mean())) if len(lats) else dict(lat=39, lon=-98)
        layout["map"] = dict(style="open-street-map", center=center, zoom=zoom)
    else:
        geo = dict(scope="usa", projection=dict(type="albers usa"), resolution=50, showland=True,
                   landcolor="#f2f2ee", subunitcolor="#b8b8b8", countrycolor="#888", showlakes=False,
                   bgcolor="rgba(0,0,0,0)")
        if searched is not None and len(lats):  # zoom to the results: albers usa zooms by scale and centre
            lat_span = float(lats.max() - lats.min()) * 1.15 + 0.3
            lon_span = float(lons.max() - lons.min()) * 1.15 + 0.4
            geo["projection"]["scale"] = float(np.clip(0.75 * min(58 / lon_span, 26 / lat_span), 1, 40))
            geo["center"] = dict(lat=float(lats.mean()), lon=float(lons.mean()))
        layout["geo"] = geo
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
