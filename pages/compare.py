"""Compare clinics: two to four side by side, criterion by criterion, with the differences marked."""

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from ui.boot import through_dashboard
from ui.data import checklist, find_place, online_geocoding_enabled, usable_directory
from vetting.export import printable_html, to_csv
from vetting.filters import with_distance
from vetting.maps import subscore_chart
from vetting.report import STATE_ICONS, compare_facts, compare_table

through_dashboard()

st.title("Compare clinics")
data = usable_directory()
rules = checklist()

ids = data.clinics.sort_values("name").index.tolist()
# The URL carries clinic ids (?compare=kc-1&compare=kc-2); a bound multiselect would carry labels.
asked = [i for i in st.query_params.get_all("compare") if i in data.clinics.index][:4]
chosen = st.multiselect("Clinics to compare (2 to 4)", ids, default=asked, format_func=data.label, max_selections=4,
                        filter_mode="contains", select_all=False, wrap=True,
                        placeholder="Type a clinic's name")
st.query_params["compare"] = chosen
if len(chosen) < 2:
    st.info("Choose at least two clinics. Tip: open a clinic from Find clinics and press "
            "“Compare with other clinics”.")
    st.stop()

picked = data.clinics.loc[chosen]
names = [f"{i + 1}. {n}" for i, n in enumerate(picked["name"])]

near = st.query_params.get("place")
place = find_place(near, online_geocoding_enabled()) if near else None
if place is not None:
    picked = with_distance(picked, place.latitude, place.longitude)
facts = compare_facts(picked, names, f"km from {place.label}" if place else None)
st.dataframe(facts, hide_index=True, width="stretch", placeholder="—", column_config={
    "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f"),
    "Session": st.column_config.NumberColumn(format="$%d"), "Series": st.column_config.NumberColumn(format="$%d"),
    "Consultation": st.column_config.NumberColumn(format="$%d"),
})

st.subheader("Category subscores", anchor=False)
st.plotly_chart(subscore_chart(picked, names, rules), config={"displaylogo": False}, key="subscores")

st.subheader("Checklist, side by side", anchor=False)
only_diff = st.toggle("Show only the criteria where they differ", key="only_diff", bind="query-params")
table = compare_table(data.states.loc[chosen], names, rules)
if only_diff:
    table = table[table["differs"]]
shown = table.assign(**{n: table[n].map(STATE_ICONS) for n in names})


def mark_differences(table: pd.DataFrame) -> pd.DataFrame:
    """Highlight the rows where the clinics differ (one style grid for the whole table)."""
    colour = np.where(table["differs"].to_numpy()[:, None], "background-color: #fff3cd", "")
    return pd.DataFrame(np.broadcast_to(colour, table.shape), index=table.index, columns=table.columns)


st.dataframe(
    shown.style.apply(mark_differences, axis=None), hide_index=True, width="stretch",
    column_order=["criterion", "critical", *names],
    column_config={"criterion": st.column_config.TextColumn("Criterion", width="medium"),
                   "critical": st.column_config.CheckboxColumn("Critical", width="small")},
)
st.caption("Highlighted rows: the clinics differ. “? not verified” means the data does not say (not “no”).")

export = table.drop(columns=["differs"]).reset_index(drop=True)
left, right = st.columns(2)
left.download_button("Download comparison (CSV)", to_csv(export), "clinic-comparison.csv", "text/csv",
                     width="stretch")
right.download_button(
    "Printable comparison (HTML)",
    printable_html(export, "Ketamine clinic comparison",
                   [f"{n}: {data.label(i)}" for n, i in zip(names, chosen, strict=True)]
                   + [f"Printed {dt.date.today():%Y-%m-%d}"],
                   "Not medical advice. 'not verified' means the data does not say, not 'no'. Ask each clinic, "
                   "and talk to your doctor."),
    "clinic-comparison.html", "text/html", width="stretch")
