"""AppTest: each screen renders, each filter changes the results as a patient would expect, views round-trip."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from testkit import sample
from ui.results import PER_PAGE
from vetting import load_checklist, load_clinics
from vetting.geo import distance_km
from vetting.search import SORTS, value_per_100_dollars

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).parent / "corpus"
SAMPLE = load_clinics(REPO / "data" / "clinics.csv").frame.set_index("clinic_id", drop=False)
CHECKLIST = load_checklist()
FIRST, SECOND = SAMPLE.index[:2]  # two clinics of the sample, by id


def app(monkeypatch=None, data: Path | None = None, page: str | None = None, **params) -> AppTest:
    if data is not None:
        monkeypatch.setenv("CLINICS_CSV", str(data))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    return at.run()


def count_line(at: AppTest) -> str:
    """The bold 'N clinics within ...; M shown.' line, as its text."""
    return next(html.unescape(re.sub(r"<[^>]+>", "", h.value)) for h in at.html
                if " clinic" in h.value and ("within" in h.value or "directory" in h.value))


def numbers(at: AppTest) -> tuple[int, int]:
    """(clinics in the area, clinics shown) from the count line."""
    text = count_line(at)
    return int(re.match(r"(\d+) clinic", text).group(1)), int(re.search(r"(\d+) shown", text).group(1))


SCORED = sample.clinics().set_index("clinic_id", drop=False)


def table(at: AppTest) -> pd.DataFrame:
    """The clinics the results list shows (its first page), in order, from the links to their pages, with
    their distance from the place searched and their value for money (as the search computes them)."""
    ids = [m for h in at.html for m in re.findall(r'href="clinic\?clinic=([^&"]+)', h.value)]
    shown = SCORED.loc[ids]
    near = at.query_params.get("near")
    if near:
        origin = sample.place(near[0] if isinstance(near, list) else near)
        shown = shown.assign(distance_km=distance_km(shown["latitude"], shown["longitude"], origin.latitude,
                                                     origin.longitude))
    return shown.assign(value=value_per_100_dollars(shown["score"], shown["price_per_session_usd"]))


def drawn(at: AppTest) -> pd.DataFrame:
    """Every clinic the search found (up to the map's limit), from the markers' ids on the map."""
    import json

    from vetting.maps import CLINIC_ID

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    ids = [point[CLINIC_ID] for trace in spec["data"] for point in trace.get("customdata") or ()
           if isinstance(point, list)]
    return SCORED.loc[list(dict.fromkeys(ids))]


def test_find_page_defaults_whole_country_ranked_red_flags_hidden():
    at = app()
    assert not at.exception
    assert at.title[0].value == "Find a ketamine therapy clinic"
    area, shown = numbers(at)
    assert area == len(SAMPLE) and shown < area
    assert "with a red flag" in count_line(at)
    t = table(at)
    assert len(t) == min(shown, PER_PAGE) and (t["n_red_flags"] == 0).all()
    assert t["score"].is_monotonic_decreasing
    assert at.get("plotly_chart")
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "Not medical advice" in sidebar and "fictional" in sidebar


def test_red_flag_clinics_shown_when_asked():
    at = app()
    _, hidden_by_default = numbers(at)
    at.toggle(key="hide_red").set_value(False).run()
    area, shown = numbers(at)
    assert shown == area > hidden_by_default
    assert (drawn(at)["n_red_flags"] > 0).sum() == shown - hidden_by_default


def test_search_by_zip_limits_to_radius_and_adds_distance():
    at = app(near="80903")
    assert "within 80 km of Colorado Springs, CO 80903" in count_line(at)
    t = table(at)
    assert len(t) > 0 and (t["distance_km"] <= 80).all()
    at.select_slider(key="radius").set_value(200).run()
    assert numbers(at)[0] >= len(t)
    assert (table(at)["distance_km"] <= 200).all()


def test_unknown_place_says_so():
    at = app(near="Atlantis, ZZ")
    assert not at.exception
    assert "could not find" in at.warning[0].value


@pytest.mark.parametrize(("sort", "column", "ascending"), [
    ("score", "score", False), ("distance", "distance_km", True), ("price", "price_per_session_usd", True),
    ("value", "value", False)])
def test_sorts(sort, column, ascending):
    at = app(near="Denver, CO", radius="400", sort=SORTS[sort])  # bound widgets carry their labels in the URL
    values = table(at)[column].dropna()
    assert len(values) > 3
    assert values.is_monotonic_increasing if ascending else values.is_monotonic_decreasing


def test_route_and_condition_filters():
    at = app()
    at.pills(key="route").set_value(["intranasal"]).run()
    t = drawn(at)
    assert len(t) == numbers(at)[1] and t["routes"].astype(str).str.contains("intranasal").all()
    assert "not offering your treatment route" in count_line(at)
    at.multiselect(key="condition").set_value(["ocd"]).run()
    t2 = drawn(at)
    assert 0 < len(t2) < len(t) and t2["conditions"].astype(str).str.contains("ocd").all()


def test_price_insurance_financing_new_patients_filters():
    at = app()
    base = len(drawn(at))
    at.select_slider(key="max_price").set_value(500).run()
    t = drawn(at)
    assert 0 < len(t) < base and (t["price_per_session_usd"] <= 500).all()
    for key, column in (("insurance", "accepts_insurance"), ("financing", "financing_available"),
                        ("new_patients", "accepting_new_patients")):
        fresh = app()
        fresh.toggle(key=key).set_value(True).run()
        assert fresh.toggle(key=key).value
        t = drawn(fresh)
        assert 0 < len(t) < base and t[column].eq(True).all()


def test_minimum_grade_and_stale_filters():
    at = app(min_grade="B")
    assert set(drawn(at)["grade"]) <= {"A", "B"}
    at = app()
    base = len(drawn(at))
    at.toggle(key="hide_stale").set_value(True).run()
    assert len(drawn(at)) < base
    assert f"not verified in the last {CHECKLIST.grading.stale_period}" in count_line(at)


def test_url_round_trips_the_view():
    params = {"near": "Colorado Springs, CO", "radius": "120", "sort": SORTS["price"], "min_grade": "C"}
    at = app(**params)
    assert at.text_input(key="near").value == "Colorado Springs, CO"
    assert at.select_slider(key="radius").value == 120
    assert at.selectbox(key="sort").value == "price"
    assert at.select_slider(key="min_grade").value == "C"
    # The same URL opened again shows the same clinics in the same order (widget -> URL is a browser test).
    assert list(table(app(**params)).index) == list(table(at).index)
    assert (drawn(at)["grade"].isin(["A", "B", "C"])).all()
    assert table(at)["price_per_session_usd"].dropna().is_monotonic_increasing


def test_clinic_details_page():
    at = app(page="pages/clinic.py", clinic=FIRST, place="80903")
    assert not at.exception
    assert any(h.value.endswith(f">{html.escape(SAMPLE.loc[FIRST, 'name'])}</h1>") for h in at.html)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Grade"] in CHECKLIST.grading.letters and "/ 100" in metrics["Score"]
    assert metrics["Distance"].endswith(" km")
    assert any("from Colorado Springs, CO 80903" in h.value for h in at.html)
    criteria = "".join(h.value for h in at.html if 'class="kc-item' in h.value)
    assert criteria.count('<li class="kc-item') == len(CHECKLIST.criteria)
    assert set(re.findall(r'<span class="kc-state">([^<]*)</span>', criteria)) <= {
        "✓ met", "✗ not met", "? not verified", "– not applicable"}
    assert criteria.count("Sources:</span> ") == len(CHECKLIST.criteria)


def test_clinic_with_red_flag_says_so_first():
    at = app()
    at.toggle(key="hide_red").set_value(False).run()
    flagged = drawn(at).query("n_red_flags > 0").index[0]
    details = app(page="pages/clinic.py", clinic=flagged)
    assert "Red flag" in details.error[0].value


def test_questions_for_unverified_criteria():
    at = app()
    t = table(at)
    with_unknown = t[t["completeness"] < 1].index[0]
    details = app(page="pages/clinic.py", clinic=with_unknown)
    assert any(h.value == "Questions to ask this clinic" for h in details.header)


def test_clinic_page_without_a_clinic_asks_for_one():
    at = app(page="pages/clinic.py")
    assert not at.exception and at.title[0].value == "Clinic details"
    assert "Choose a clinic" in at.info[0].value


def test_compare_page():
    at = app(page="pages/compare.py", compare=[FIRST, SECOND])
    assert not at.exception
    tables = [h.value for h in at.html if "kc-compare" in h.value]
    facts, side = tables[0], tables[-1]
    names = [f"1. {SAMPLE.loc[FIRST, 'name']}", f"2. {SAMPLE.loc[SECOND, 'name']}"]
    assert all(f"<th scope='col'>{html.escape(n)}</th>" in facts for n in names)
    rows = re.findall(r"<tr class='([^']*)'><th scope='row'>([^<]*)", side)
    assert [label for _, label in rows] == [html.escape(c.label) for c in CHECKLIST.criteria]
    states = sample.criterion_states(FIRST) != sample.criterion_states(SECOND)
    differs = [cls == "kc-differs" for cls, _ in rows]
    assert sum(differs) == int(states.sum()) and 0 < sum(differs) < len(rows)  # they agree on some, not all
    at.toggle(key="only_diff").set_value(True).run()
    side = [h.value for h in at.html if "kc-compare" in h.value][-1]
    assert side.count("<tr class='kc-differs'>") == sum(differs) and "<tr class=''>" not in side
    assert at.get("plotly_chart")


def test_compare_needs_two():
    at = app(page="pages/compare.py", compare=[FIRST])
    assert "at least two" in at.info[0].value


def test_methodology_renders_the_checklist_file():
    at = app(page="pages/methodology.py")
    assert not at.exception
    assert at.title[0].value == "How clinics are scored"
    bodies = "".join(h.value for h in at.html)
    assert bodies.count('<tr><th scope="row">') == len(CHECKLIST.criteria)
    assert "Not medical advice" in at.info[0].value


def test_other_data_file_has_no_sample_notice(monkeypatch):
    at = app(monkeypatch, CORPUS / "valid.csv")
    assert not at.exception
    assert numbers(at)[0] == 3
    assert "fictional" not in " ".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("name", ["many_problems.csv", "latin1.csv"])
@pytest.mark.parametrize("page", [None, "pages/clinic.py", "pages/compare.py"])
def test_bad_file_shows_its_problems_not_a_traceback(monkeypatch, name, page):
    at = app(monkeypatch, CORPUS / name, page=page)
    assert not at.exception
    assert "has problems" in at.error[0].value
    assert at.code[0].value.startswith(("row ", "The file"))


def test_street_map_is_opt_in():
    at = app(near="80903")
    assert at.toggle(key="street").value is False
    fig = at.get("plotly_chart")[0].proto.spec
    assert "scattergeo" in fig and "scattermap" not in fig
    at.toggle(key="street").set_value(True).run()
    assert not at.exception
    fig = at.get("plotly_chart")[0].proto.spec
    assert "scattermap" in fig and "open-street-map" in fig


def test_the_app_keeps_one_online_geocoder_so_requests_stay_a_second_apart(monkeypatch, tmp_path):
    from fake_nominatim import PLACES, fake_nominatim

    import ui.data

    with fake_nominatim() as fake:
        monkeypatch.setenv("VETTING_ONLINE_GEOCODER", "1")
        monkeypatch.setenv("VETTING_NOMINATIM_URL", fake.url)
        monkeypatch.setenv("VETTING_GEOCODE_CACHE", str(tmp_path / "geocode.json"))
        ui.data.online_geocoder.clear()
        ui.data.find_place.clear()
        try:
            first = app(near="1 Main St, Springfield IL")  # two visitors, one after the other
            second = app(near="2 Oak Ave, Peoria IL")
        finally:
            ui.data.online_geocoder.clear()
            ui.data.find_place.clear()
    assert not first.exception and not second.exception
    assert PLACES["main"][2] in count_line(first) and PLACES["oak"][2] in count_line(second)
    assert [q for _, q in fake.requests] == ["1 Main St, Springfield IL", "2 Oak Ave, Peoria IL"]
    assert fake.gaps()[0] >= 0.95  # the usage policy's one request a second, across sessions


def test_stale_after_days_is_read_from_the_checklist_by_every_screen(monkeypatch, tmp_path):
    import datetime as dt

    from vetting import load_clinics
    from vetting.checklist import DEFAULT_PATH, load_checklist

    bundled = load_checklist().grading.stale_after_days
    days = 90  # a copy of the checklist that calls records stale after 3 months
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    text = text.replace(f"stale_after_days = {bundled}", f"stale_after_days = {days}")
    copy = tmp_path / "checklist.toml"
    copy.write_text(text, encoding="utf-8")
    monkeypatch.setenv("VETTING_CHECKLIST", str(copy))
    words = load_checklist().grading.stale_period
    assert words == "3 months"
    frame = load_clinics(REPO / "data" / "clinics.csv").frame
    age = (pd.Timestamp(dt.date.today()) - frame["last_verified"]).dt.days
    stale_now = int((age > days).sum())
    assert 0 < stale_now < len(frame) and (age > bundled).sum() < stale_now

    find = app()
    find.toggle(key="hide_stale").set_value(True).run()
    assert find.toggle(key="hide_stale").label == f"Hide records not verified in the last {words}"
    assert f"{stale_now} not verified in the last {words}" in count_line(find)

    quality = app(page="pages/quality.py")
    assert f"Not verified in the last {words} ({stale_now})" in [h.value for h in quality.header]

    recent_but_stale = frame.loc[(age > days) & (age <= bundled), "clinic_id"].iloc[0]
    clinic = app(page="pages/clinic.py", clinic=recent_but_stale)
    assert any(f"more than {words} ago" in w.value for w in clinic.warning)


def test_a_page_error_shows_one_sentence_with_an_id_and_logs_the_traceback(monkeypatch, capfd):
    import vetting.search

    def broken(*args, **kwargs):
        raise RuntimeError(f"internal detail {REPO}/secret")

    monkeypatch.setattr(vetting.search, "search", broken)
    at = app()
    assert not at.exception  # no traceback element
    shown = " ".join(e.value for e in at.error)
    error_id = re.search(r"error id: ([0-9a-f]{10})", shown).group(1)
    everything = " ".join(str(getattr(e, "value", "")) for e in at.main)
    assert "internal detail" not in everything and str(REPO) not in everything
    log = capfd.readouterr().err
    assert f"page error {error_id}" in log and "RuntimeError: internal detail" in log


@pytest.mark.parametrize("near", ["a" * 30_000, "[Verify](https://evil.example/phish)" * 8, "Denver\u202e, CO"])
def test_an_overlong_or_invisible_place_in_the_url_is_no_place(near):
    from vetting.geo import MAX_PLACE_CHARS

    at = app(near=near)
    assert not at.exception and not at.error
    assert len(at.text_input(key="near").value) <= MAX_PLACE_CHARS  # the box holds no more
    assert "link was ignored" in at.warning[0].value
    assert "in the directory" in count_line(at)
    assert "evil.example" not in " ".join(str(getattr(e, "value", "")) for e in at.main if e.type != "text_input")


def test_url_parameters_that_pages_read_directly_are_bounded():
    at = app(page="pages/clinic.py", clinic="x" * 5000, place="Denver, CO" + " " * 5000)
    assert not at.exception and "Choose a clinic" in at.info[0].value
    at = app(page="pages/compare.py", compare=[FIRST, SECOND, "\u202e" + FIRST])
    assert not at.exception and at.session_state["compare_ids"] == [FIRST, SECOND]


def popover_labels(at: AppTest) -> list[str]:
    def walk(node):
        if getattr(node, "type", None) == "popover":
            yield node.proto.popover.label
        for child in getattr(node, "children", {}).values():
            yield from walk(child)
    return list(walk(at.main))


def test_links_carry_values_old_label_links_still_open_and_the_filters_say_how_many_are_set():
    from vetting.contract import ROUTE_LABELS

    route = "intranasal"
    old = app(sort=SORTS["value"], condition="Ptsd", max_price="$1,000", route=ROUTE_LABELS[route])  # labels
    assert old.selectbox(key="sort").value == "value"
    assert old.multiselect(key="condition").value == ["ptsd"]
    assert old.select_slider(key="max_price").value == 1000
    assert old.pills(key="route").value == [route]
    # the URL now holds the values, and opening it shows the same search
    url = {key: old.query_params[key] for key in ("sort", "condition", "max_price", "route")}
    assert url == {"sort": "value", "condition": "ptsd", "max_price": "1000", "route": route}
    new = app(sort="value", condition="ptsd", max_price="1000", route=route)
    assert list(table(new).index) == list(table(old).index) and count_line(new) == count_line(old)
    # a shared link says, on its first run, how many filters it sets (the sort is not a filter)
    assert popover_labels(new) == ["Filters (3 set)"]
    assert popover_labels(app()) == ["Filters"]
    # nothing in the URL for what is left at its default
    assert "hide_red" not in new.query_params and "radius" not in new.query_params


def test_a_file_that_cannot_be_read_is_named_without_the_servers_folders(monkeypatch, tmp_path):
    folder = tmp_path / "private-server-folder"
    (folder / "clinics.csv").mkdir(parents=True)  # a folder where the file should be: it cannot be read
    at = app(monkeypatch, folder / "clinics.csv")
    shown = " ".join(c.value for c in at.code)
    assert "clinics.csv is a folder, not a file." in shown
    assert "private-server-folder" not in shown

    good = tmp_path / "served" / "clinics.csv"
    good.parent.mkdir()
    good.write_bytes((CORPUS / "valid.csv").read_bytes())
    (good.parent / "evidence.csv").mkdir()
    quality = app(monkeypatch, good, page="pages/quality.py")
    assert not quality.exception
    problems = " ".join(str(df.value.to_dict()) for df in quality.dataframe)
    assert "evidence.csv is a folder, not a file." in problems
    assert str(good.parent) not in problems
