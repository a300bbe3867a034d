"""The hostile corpus (tests/hostile/, written by tests/hostile/make_corpus.py): each malformed or hostile file
is refused with its row and column, or in one sentence when it cannot be read at all, or accepted with its
hostile text kept inert. Run through the library, the command line and the Upload page."""

from __future__ import annotations

import io
import re
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from factory import TODAY
from streamlit.testing.v1 import AppTest

from vetting.auth import hash_password
from vetting.cli import main
from vetting.contract import CONTRACT, MAX_PRICE_USD
from vetting.export import clinics_csv, to_csv
from vetting.load import load_clinics

HOSTILE = Path(__file__).parent / "hostile"
REPO = Path(__file__).resolve().parent.parent
WIDTH = len(CONTRACT.columns)
SAVE_AS = "save it from your spreadsheet as 'CSV UTF-8' and upload that."


def invisible(code: int, name: str) -> str:
    return f"contains an invisible character (U+{code:04X}, {name}) that could hide or reorder text: remove it"


NOT_A_LINK = "is not a web link: it must start with http:// or https://"
ID_CHARS = "may contain only letters (A-Z, a-z), digits, '-' and '_'"
CONTROL = "a control character"
REFUSED = {  # file -> every message, in order
    "bidi_override_in_name.csv": [f"row 2, column name: {invisible(0x202E, 'RIGHT-TO-LEFT OVERRIDE')}"],
    "bidi_isolate_in_city.csv": [f"row 2, column city: {invisible(0x2066, 'LEFT-TO-RIGHT ISOLATE')}"],
    "terminal_escape_in_name.csv": [f"row 2, column name: {invisible(0x1B, CONTROL)}"],
    "bell_in_phone.csv": [f"row 2, column phone: {invisible(0x07, CONTROL)}"],
    "c1_control_in_source.csv": [f"row 2, column source: {invisible(0x85, CONTROL)}"],
    "nul_byte_after_64k.csv": [f"row 352, column name: {invisible(0x00, CONTROL)}"],
    "lookalike_scheme_url.csv": [f"row 2, column website: 'http\u017f://clinic.example' {NOT_A_LINK}"],
    "unencoded_idn_url.csv": ["row 2, column website: 'https://\u043a\u043b\u0438\u043d\u0438\u043a\u0430.example' "
                              "has letters outside plain ASCII in its scheme or host name: write an international "
                              "name as punycode (xn--...), as a browser's address bar shows it"],
    "javascript_url.csv": [f"row 2, column website: 'javascript:alert(document.cookie)' {NOT_A_LINK}"],
    "data_url.csv": [f"row 2, column website: 'data:text/html,<script>alert(1)</script>' {NOT_A_LINK}"],
    "url_without_host_dot.csv": [f"row 2, column website: 'https://localhost/admin' {NOT_A_LINK}"],
    "kelvin_sign_id.csv": [f"row 2, column clinic_id: '\u212ac-9' {ID_CHARS}"],
    "cyrillic_id.csv": [f"row 2, column clinic_id: '\u043a\u0441-9' {ID_CHARS}"],
    "ids_differing_by_case.csv": ["row 3, column clinic_id: duplicate clinic_id 'KC-1' (first used on row 2, as "
                                  "'kc-1': ids that differ only in case are the same id)"],
    "overlong_id.csv": ["row 2, column clinic_id: is 41 characters long; at most 40 are allowed"],
    "price_of_a_sextillion.csv": [f"row 2, column price_per_session_usd: '1,000,000,000,000,000,000,000' is more "
                                  f"than ${MAX_PRICE_USD:,}, the most this column allows"],
    "price_of_400_nines.csv": [f"row 2, column price_per_session_usd: '{'9' * 57}...' is more than "
                               f"${MAX_PRICE_USD:,}, the most this column allows"],
    "review_count_1e19.csv": ["row 2, column review_count: '10000000000000000000' is more than 1,000,000, the most "
                              "this column allows"],
    "observation_minutes_1e25.csv": [f"row 2, column post_session_observation_min: '1{'0' * 25}' is more than "
                                     "1,440, the most this column allows"],
    "year_of_400_digits.csv": [f"row 2, column year_opened: {'2' * 57}... is out of range (1990 to {TODAY.year})"],
    "infinite_rating.csv": ["row 2, column rating: 'inf' is not a number"],
    "nan_latitude.csv": ["row 2, column latitude: 'nan' is not a number of decimal degrees",
                         "row 2, column longitude: 'nan' is not a number of decimal degrees"],
    "comma_decimal_latitude.csv": ["row 2, column latitude: '38,8339' is not a number of decimal degrees (write "
                                   "decimals with a dot: 38.8339)"],
    "fullwidth_zip.csv": ["row 2, column zip: '\uff18\uff10\uff19\uff10\uff13' is not a 5-digit ZIP code"],
    "fullwidth_state.csv": ["row 2, column state: '\uff23\uff2f' is not a USPS state code (a state, DC or PR, e.g. "
                            "CO)"],
    "lookalike_tristate.csv": ["row 2, column acls_on_site: 'ye\u017f' is not yes, no or empty (unknown); also "
                               "accepted: true/false, y/n, 1/0"],
    "overlong_source.csv": ["row 2, column source: is 5000 characters long; at most 1000 are allowed"],
    "line_break_in_name.csv": ["row 2, column name: has a line break in it: a quote earlier on this row may open a "
                               "value that is closed only on a later line (check the quotes)"],
    "stray_quote_joins_rows.csv": ["row 3, column name: has a line break in it: a quote earlier on this row may "
                                   "open a value that is closed only on a later line (check the quotes)"],
    "quote_never_closed.csv": ['row 4, column (whole row): a quote (") opens a value that is never closed: the '
                               'rest of the file was read as that one value (close the quote, or double a quote '
                               'inside a value: "")'],
    "ragged_long_row.csv": [f"row 3, column (whole row): has {WIDTH + 1} values but the header has {WIDTH} columns"],
    "ragged_short_row.csv": [f"row 5, column (whole row): has 2 values but the header has {WIDTH} columns"],
    "duplicate_header.csv": ["row 1, column city: appears more than once in the header"],
    "values_under_blank_header.csv": [f"row 1, column #{WIDTH}: has values but no column name"],
}
UNREADABLE = {  # file -> its one sentence
    "semicolon_separated.csv": "The file separates its values with semicolons (;), not commas: save it from your "
                               "spreadsheet as 'CSV UTF-8 (Comma delimited)' and upload that.",
    "tab_separated.csv": "The file separates its values with tabs, not commas: save it from your spreadsheet as "
                         "'CSV UTF-8 (Comma delimited)' and upload that.",
    "utf16_le_with_bom.csv": f"The file is UTF-16 text (what Excel calls 'Unicode Text'), not UTF-8: {SAVE_AS}",
    "utf16_be_without_bom.csv": f"The file is UTF-16 text (what Excel calls 'Unicode Text'), not UTF-8: {SAVE_AS}",
    "empty.csv": "The file is empty: a clinics CSV needs a header row and one row per clinic.",
    "only_blank_lines.csv": "The file is empty: a clinics CSV needs a header row and one row per clinic.",
    "zip_archive.csv": f"The file is a spreadsheet or archive, not a CSV: {SAVE_AS}",
    "png_image.csv": f"The file is binary, not CSV text: {SAVE_AS}",
}
ACCEPTED = {  # file -> (column, the hostile text kept exactly as written)
    "markdown_link_in_name.csv": ("name", "[Verify your insurance here](https://evil.example/phish)"),
    "markdown_image_in_source.csv": ("source", "![p](https://evil.example/pixel.png)"),
    "html_script_in_name.csv": ("name", "<script>alert(1)</script><img src=x onerror=alert(2)>"),
    "bare_links_in_street.csv": ("street_address", "www.evil.example or https://evil.example/x"),
    "formula_in_name.csv": ("name", '=HYPERLINK("https://evil.example","Click")'),
    "markdown_link_column_name.csv": ("[Click me](https://evil.example/x)", "x"),
    "unicode_name.csv": ("name", "Cl\u00ednica Ni\u00f1o \U0001f33f"),
    "old_mac_line_ends.csv": ("name", "Second Clinic"),
    "windows_line_ends.csv": ("name", "Second Clinic"),
    "header_only.csv": (None, None),
}
ALL = {**REFUSED, **UNREADABLE, **ACCEPTED}
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_the_corpus_is_what_the_generator_writes_and_each_file_has_an_outcome():
    sys.path.insert(0, str(HOSTILE))
    import make_corpus  # tests/hostile/make_corpus.py

    files = {p.name: p.read_bytes() for p in HOSTILE.glob("*.csv")}
    assert files == make_corpus.CASES, "run: python tests/hostile/make_corpus.py"
    assert set(files) == set(ALL) and len(files) >= 40


@pytest.mark.parametrize("name", sorted(ALL))
def test_library(name):
    result = load_clinics(HOSTILE / name, today=TODAY)
    if name in ACCEPTED:
        assert result.ok, result.errors
        column, value = ACCEPTED[name]
        if column is not None:
            assert value in set(result.frame[column])
            written = clinics_csv(result.frame)
            assert load_clinics(written.encode(), today=TODAY).frame[column].tolist() == result.frame[column].tolist()
            assert not re.search(r"(^|,)=HYPERLINK", to_csv(result.frame), re.MULTILINE)  # formulas neutralised
    else:
        assert result.frame is None
        assert [str(e) for e in result.errors] == REFUSED.get(name, [UNREADABLE.get(name)])


@pytest.mark.parametrize("name", sorted(ALL))
def test_command_line(name):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--today", TODAY.isoformat(), "validate", str(HOSTILE / name)])
    printed = out.getvalue() + err.getvalue()
    assert not RAW_CONTROL.search(printed), "the terminal was sent a raw control character"
    assert "Traceback" not in printed
    if name in ACCEPTED:
        assert code == 0 and "valid:" in out.getvalue()
    else:
        assert code == 1
        lines = err.getvalue().splitlines()
        expected = REFUSED.get(name, [UNREADABLE.get(name)])
        assert [RAW_CONTROL.sub("", m) for m in expected] == [RAW_CONTROL.sub("", m) for m in lines[:len(expected)]]


def test_upload_page_answers_every_file_without_rendering_it(tmp_path, monkeypatch):
    """One signed-in analyst uploads each file in turn: a refusal lists its problems (nothing saved), an
    accepted file gets a review; no page error, and no hostile text reaches Markdown."""
    data = tmp_path / "clinics.csv"
    data.write_bytes((REPO / "tests" / "corpus" / "valid.csv").read_bytes())
    monkeypatch.setenv("CLINICS_CSV", str(data))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.secrets["analysts"] = {"alice": hash_password("correct horse battery")}
    at.switch_page("pages/upload.py")
    at.run()
    at.text_input[0].input("alice")
    at.text_input[1].input("correct horse battery")
    at.button[0].click()
    at.run()
    original = data.read_bytes()
    counts = {"tried": 0, "refused": 0, "accepted": 0}
    for name in sorted(ALL):
        at.file_uploader[0].upload(name, (HOSTILE / name).read_bytes(), "text/csv").run()
        counts["tried"] += 1
        assert not at.exception, name
        markdown = " ".join(m.value for m in at.markdown) + " ".join(e.value for e in (*at.error, *at.warning))
        assert "evil.example" not in markdown and "<script" not in markdown, name
        if name in ACCEPTED:
            assert any(s.value == "Review the change" for s in at.header) or at.info, name
            counts["accepted"] += 1
        else:
            problems = at.dataframe[0].value
            expected = REFUSED.get(name, [UNREADABLE.get(name)])
            assert len(problems) == len(expected), name
            assert "nothing can be saved" in at.error[0].value, name
            counts["refused"] += 1
        assert data.read_bytes() == original  # nothing was saved
    print(f"\nhostile corpus on the Upload page: {counts}")
    assert counts == {"tried": len(ALL), "refused": len(REFUSED) + len(UNREADABLE), "accepted": len(ACCEPTED)}

