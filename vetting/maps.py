"""Plotly figures of clinics (no Streamlit here): an offline US map coloured by grade."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .checklist import GRADES

# Okabe-Ito colours: distinguishable with the common forms of colour blindness.
GRADE_COLOURS = {"A": "#009E73", "B": "#0072B2", "C": "#F0E442", "D": "#E69F00", "F": "#D55E00"}
GRADE_SYMBOLS = {"A": "circle", "B": "square", "C": "diamond", "D": "triangle-up", "F": "x"}
OFFLINE_TOPOJSON_CONFIG = {"topojsonURL": "/app/static/", "displaylogo": False}


def plain_text(values: pd.Series) -> np.ndarray:
    """User-supplied text made inert for plotly's HTML-like labels (tags shown as text, never run)."""
    return values.astype("string").fillna("").map(html.escape, na_action="ignore").to_numpy(dtype=object)


def _money(values: pd.Series) -> np.ndarray:
    x = pd.to_numeric(values, errors="coerce")
    return np.where(x.notna(), "$" + x.round(0).astype("Int64").astype("string").fillna(""), "not listed")


def clinic_map(frame: pd.DataFrame, searched: tuple[float, float, str] | None = None,
               height: int = 520) -> go.Figure:
    """A US map of clinics (needs latitude, longitude, name, city, state, grade, score).

    Drawn with `scatter_geo` over the bundled topojson (pass OFFLINE_TOPOJSON_CONFIG as the chart's
    config), so no map tiles are fetched. `searched` marks the place a patient searched from and zooms
    to the results.
    """
    located = frame[frame["latitude"].notna() & frame["longitude"].notna()]
    fig = go.Figure()
    has_distance = "distance_km" in located
    for rank, grade in reversed(list(enumerate(GRADES))):  # F drawn first, so A sits on top
        part = located[located["grade"] == grade]
        if part.empty:
            continue
        distance = (np.char.add(part["distance_km"].round(0).astype(int).astype(str).to_numpy(dtype=str), " km")
                    if has_distance else np.full(len(part), "", dtype=object))
        custom = np.column_stack([
            plain_text(part["name"]),
            plain_text(part["city"] + ", " + part["state"]),
            part["score"].round(0).astype("Int64").astype("string").fillna("–").to_numpy(dtype=object),
            _money(part.get("price_per_session_usd", pd.Series(np.nan, index=part.index))),
            distance,
        ])
        fig.add_trace(go.Scattergeo(
            lat=part["latitude"], lon=part["longitude"], mode="markers", name=f"Grade {grade}",
            legendrank=rank,
            customdata=custom,
            marker=dict(size=9, color=GRADE_COLOURS[grade], symbol=GRADE_SYMBOLS[grade], opacity=0.9,
                        line=dict(width=0.8, color="#222")),
            hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
                           f"Grade {grade} · score %{{customdata[2]}}/100<br>"
                           "Session price: %{customdata[3]}"
                           + ("<br>Distance: %{customdata[4]}" if has_distance else "")
                           + "<extra></extra>"),
        ))
    if searched is not None:
        lat, lon, label = searched
        fig.add_trace(go.Scattergeo(
            lat=[lat], lon=[lon], mode="markers", name="Your search",
            marker=dict(size=14, color="#000", symbol="star", line=dict(width=1, color="#fff")),
            hovertemplate=f"Searched: {html.escape(label)}<extra></extra>",
        ))
    fig.update_geos(scope="usa", projection_type="albers usa", resolution=50, showland=True,
                    landcolor="#f2f2ee", subunitcolor="#b8b8b8", countrycolor="#888", showlakes=False,
                    bgcolor="rgba(0,0,0,0)")
    if searched is not None and len(located):
        fig.update_geos(fitbounds="locations")
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=0, b=0), legend_title_text="Grade",
                      legend=dict(orientation="h", yanchor="bottom", y=0.0, xanchor="left", x=0.0),
                      uirevision="clinic-map")
    return fig
