"""The fast paths give the same answers as the plain way: bounding-box search, bit-packed id lists,
array sorting, Arrow number parsing, the Arrow CSV reader and the careful reader."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factory import TODAY, csv_bytes, row
from hypothesis import given
from hypothesis import strategies as st

from vetting.contract import BY_NAME
from vetting.filters import GeoIndex, nearby, with_distance, within
from vetting.kinds import MONEY, Cells
from vetting.load import decode, load_clinics, read_raw
from vetting.readers import read_text_frame
from vetting.scoring import join_ids
from vetting.search import SORTS, sort_order

lat = st.floats(-89.9, 89.9, allow_nan=False)
lon = st.floats(-180, 180, allow_nan=False)


@st.composite
def points(draw) -> pd.DataFrame:
    """Clinics scattered around a centre (so some fall in any radius), some without coordinates."""
    n = draw(st.integers(0, 40))
    c_lat, c_lon = draw(lat), draw(lon)
    spread = draw(st.sampled_from([0.1, 2.0, 20.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lats = np.clip(c_lat + rng.normal(0, spread, n), -90, 90)
    lons = (c_lon + rng.normal(0, spread, n) + 180) % 360 - 180
    lats[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"clinic_id": [f"c{i}" for i in range(n)], "latitude": lats, "longitude": lons,
                         "score": rng.integers(0, 4, n) * 25.0})


@given(frame=points(), origin_lat=lat, origin_lon=lon, radius=st.sampled_from([1.0, 50.0, 500.0, 3000.0]))
def test_bounding_box_search_finds_exactly_the_clinics_in_the_circle(frame, origin_lat, origin_lon, radius):
    # compare against the plain way: the distance to every clinic, then the filter
    if len(frame):  # search around a clinic too, not only far away
        origin_lat, origin_lon = frame["latitude"].fillna(origin_lat).iloc[0], frame["longitude"].iloc[0]
    every = with_distance(frame, origin_lat, origin_lon)
    expected = every[every["distance_km"] <= radius]
    plain = expected.sort_values(["distance_km", "score"], ascending=[True, False], kind="stable").head(5)
    for index in (None, GeoIndex.of(frame)):  # the bounding box, and the latitude-sorted index
        found = within(frame, origin_lat, origin_lon, radius, index)
        assert list(found["clinic_id"]) == list(expected["clinic_id"])  # same clinics, in file order
        near = nearby(frame, origin_lat, origin_lon, radius, limit=5, index=index)
        assert list(near["clinic_id"]) == list(plain["clinic_id"])


def test_search_across_the_antimeridian_and_near_a_pole():
    frame = pd.DataFrame({"clinic_id": ["east", "west", "pole"], "latitude": [0.0, 0.0, 89.5],
                          "longitude": [179.9, -179.9, 10.0]})
    for index in (None, GeoIndex.of(frame)):
        assert set(within(frame, 0.0, 179.95, 50, index)["clinic_id"]) == {"east", "west"}
        assert list(within(frame, 89.9, -170.0, 100, index)["clinic_id"]) == ["pole"]


@given(st.lists(st.lists(st.booleans(), min_size=70, max_size=70), max_size=30), st.sampled_from([0, 5, 21, 64, 70]))
def test_bit_packed_id_lists_match_joining_by_hand(rows, k):
    mask = np.array(rows, dtype=bool).reshape(len(rows), 70)[:, :k]
    ids = [f"c{j}" for j in range(k)]
    expected = [";".join(i for i, on in zip(ids, r, strict=True) if on) for r in mask]
    assert list(join_ids(mask, ids)) == expected


@given(st.lists(st.tuples(st.sampled_from(["B", "a", "A", "b"]), st.one_of(st.none(), st.floats(0, 100)),
                          st.one_of(st.none(), st.floats(0, 500)), st.one_of(st.none(), st.floats(0, 900))),
                max_size=30),
       st.sampled_from(list(SORTS)))
def test_array_sort_matches_pandas_sort_values(rows, how):
    frame = pd.DataFrame(rows, columns=["name", "score", "distance_km", "price_per_session_usd"]).astype(
        {"name": str, "score": float, "distance_km": float, "price_per_session_usd": float})
    frame["value"] = (100 * frame["score"] / frame["price_per_session_usd"]).round(1)
    keys = {"score": ["score"], "distance": ["distance_km", "score"], "price": ["price_per_session_usd", "score"],
            "value": ["value", "score"]}[how]
    ascending = {"score": [False], "distance": [True, False], "price": [True, False], "value": [False, False]}[how]
    plain = frame.sort_values(keys + ["name"], ascending=ascending + [True], na_position="last", kind="stable")
    assert list(sort_order(frame, how)) == list(plain.index)


@given(st.lists(st.one_of(st.decimals(-1e6, 1e6, places=3, allow_nan=False).map(str),
                          st.integers(0, 10**6).map(lambda x: f"${x:,}"),
                          st.sampled_from(["", "abc", "1.2.3", "--1", "$", "1e3", ".5", "7."])), max_size=20))
def test_arrow_money_parsing_matches_python(cells):
    def python(text: str) -> float:
        try:
            return float(text.replace("$", "").replace(",", "").replace(" ", "")) if text else np.nan
        except ValueError:
            return np.nan

    got = MONEY.parse(Cells(pd.Series(cells, dtype=str)), BY_NAME["price_per_session_usd"]).to_numpy()
    expected = np.array([python(c) for c in cells], dtype=float)
    assert np.allclose(got, expected, equal_nan=True)


@pytest.mark.parametrize("rows", [
    [row(clinic_id="a"), row(clinic_id="b", name='"Quoted, with comma"', street_address="  padded  ")],
    [row(clinic_id="a", street_address="Suite 2\nSecond line")],  # a newline inside a quoted value
    [row(clinic_id="a", acls_on_site=" Yes "), row(clinic_id="b", acls_on_site="UNKNOWN")],
])
def test_arrow_reader_and_careful_reader_agree(rows):
    data = csv_bytes(rows)
    fast, _, _ = read_raw(data)
    careful, _, _ = read_text_frame(decode(data))
    # the fast reader keeps yes/no and choice columns as categoricals: compare the text
    pd.testing.assert_frame_equal(fast.reset_index(drop=True).astype(str), careful.reset_index(drop=True).astype(str))
    assert load_clinics(data, TODAY).ok


def test_a_file_with_blank_and_short_lines_keeps_true_row_numbers():
    # row 3 is blank (skipped), row 4 is bare commas (skipped), row 6 is short: the careful reader takes over
    data = csv_bytes([row(clinic_id="a"), row(clinic_id="b")]).replace(b"\nb,", b"\n\n,,\nb,", 1)
    data += b"c,Too Short\n"
    result = load_clinics(data, TODAY)
    assert [str(e) for e in result.errors] == [
        f"row 6, column (whole row): has 2 values but the header has {len(row())} columns"]


def test_streamed_big_file_reads_like_a_small_one(tmp_path, monkeypatch):
    # files over STREAM_OVER are read block by block; force that path on a small file
    rows = [row(clinic_id=f"c{i}", acls_on_site=["yes", " no", ""][i % 3], street_address=f" {i} Main St ")
            for i in range(300)]
    path = tmp_path / "clinics.csv"
    path.write_bytes(csv_bytes(rows))
    whole = load_clinics(path, TODAY).frame
    monkeypatch.setattr("vetting.readers.STREAM_OVER", 0)
    streamed = load_clinics(path, TODAY).frame
    pd.testing.assert_frame_equal(whole, streamed)
    assert streamed["acls_on_site"].isna().sum() == 100 and streamed["street_address"].iloc[7] == "7 Main St"
