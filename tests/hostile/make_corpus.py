"""Write the hostile corpus: malformed or hostile clinics files, one per case (see tests/test_hostile.py).

    python tests/hostile/make_corpus.py

Every file is a small valid directory (three clinics from tests/factory.py) with one thing done to it.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]

from factory import csv_bytes, row  # noqa: E402


def base(**first) -> list[dict[str, str]]:
    """Three clinics; keywords change the first one."""
    return [row(**{"clinic_id": "kc-1", **first}), row(clinic_id="kc-2", name="Second Clinic"),
            row(clinic_id="kc-3", name="Third Clinic")]


def file(**first) -> bytes:
    return csv_bytes(base(**first))


GOOD = file()
MANY = csv_bytes([row(clinic_id=f"kc-{i}", name=f"Clinic {i}") for i in range(400)])  # > 64 KB

CASES: dict[str, bytes] = {
    # invisible characters
    "bidi_override_in_name.csv": file(name="Clinic \u202egnp.exe"),
    "bidi_isolate_in_city.csv": file(city="Colorado \u2066Springs"),
    "terminal_escape_in_name.csv": file(name="\x1b[31mRED\x1b[0m Clinic"),
    "bell_in_phone.csv": file(phone="(719) 555-0100\x07"),
    "c1_control_in_source.csv": file(source="note\x85hidden"),
    "nul_byte_after_64k.csv": MANY.replace(b"kc-350,Clinic 350", b"kc-350,Clinic\x00350"),
    # links
    "lookalike_scheme_url.csv": file(website="http\u017f://clinic.example"),
    "unencoded_idn_url.csv": file(website="https://\u043a\u043b\u0438\u043d\u0438\u043a\u0430.example"),
    "javascript_url.csv": file(website="javascript:alert(document.cookie)"),
    "data_url.csv": file(website="data:text/html,<script>alert(1)</script>"),
    "url_without_host_dot.csv": file(website="https://localhost/admin"),
    # ids
    "kelvin_sign_id.csv": file(clinic_id="\u212ac-9"),
    "cyrillic_id.csv": file(clinic_id="\u043a\u0441-9"),
    "ids_differing_by_case.csv": csv_bytes([row(clinic_id="kc-1"), row(clinic_id="KC-1", name="Copy")]),
    "overlong_id.csv": file(clinic_id="k" * 41),
    # numbers
    "price_of_a_sextillion.csv": file(price_per_session_usd="1,000,000,000,000,000,000,000"),
    "price_of_400_nines.csv": file(price_per_session_usd="9" * 400),
    "review_count_1e19.csv": file(review_count="10000000000000000000"),
    "observation_minutes_1e25.csv": file(post_session_observation_min="1" + "0" * 25),
    "year_of_400_digits.csv": file(year_opened="2" * 400),
    "infinite_rating.csv": file(rating="inf"),
    "nan_latitude.csv": file(latitude="nan", longitude="nan"),
    "comma_decimal_latitude.csv": file(latitude="38,8339"),
    "fullwidth_zip.csv": file(zip="\uff18\uff10\uff19\uff10\uff13"),
    "fullwidth_state.csv": file(state="\uff23\uff2f"),
    "lookalike_tristate.csv": file(acls_on_site="ye\u017f"),
    "overlong_source.csv": file(source="s" * 5000),
    "line_break_in_name.csv": file(name="Clinic\nSecond line"),
    # file shapes
    "stray_quote_joins_rows.csv": GOOD.replace(b"kc-2,Second Clinic", b'kc-2,"Second Clinic', 1)
                                      .replace(b"kc-3,Third Clinic", b'kc-3,Third" Clinic', 1),
    "quote_never_closed.csv": GOOD.replace(b"kc-3,Third Clinic", b'kc-3,"Third Clinic', 1),
    "semicolon_separated.csv": GOOD.replace(b",", b";"),
    "tab_separated.csv": GOOD.replace(b",", b"\t"),
    "utf16_le_with_bom.csv": GOOD.decode().encode("utf-16"),
    "utf16_be_without_bom.csv": GOOD.decode().encode("utf-16-be"),
    "ragged_long_row.csv": GOOD.replace(b"kc-2,", b"kc-2,extra,", 1),
    "ragged_short_row.csv": GOOD + b"kc-4,Short Clinic\n",
    "duplicate_header.csv": GOOD.replace(b",phone,", b",city,", 1),
    "values_under_blank_header.csv": GOOD.replace(b",source\n", b",\n", 1),
    "empty.csv": b"",
    "only_blank_lines.csv": b"\n\n  \n",
    "zip_archive.csv": b"PK\x03\x04" + b"\x00" * 64,
    "png_image.csv": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    # accepted, and shown inert
    "markdown_link_in_name.csv": file(name="[Verify your insurance here](https://evil.example/phish)"),
    "markdown_image_in_source.csv": file(source="![p](https://evil.example/pixel.png)"),
    "html_script_in_name.csv": file(name="<script>alert(1)</script><img src=x onerror=alert(2)>"),
    "bare_links_in_street.csv": file(street_address="www.evil.example or https://evil.example/x"),
    "formula_in_name.csv": file(name='=HYPERLINK("https://evil.example","Click")'),
    "markdown_link_column_name.csv": csv_bytes([{**r, "[Click me](https://evil.example/x)": "x"} for r in base()],
                                               [*row(), "[Click me](https://evil.example/x)"]),
    "unicode_name.csv": file(name="Cl\u00ednica Ni\u00f1o \U0001f33f"),
    "old_mac_line_ends.csv": GOOD.replace(b"\n", b"\r"),
    "windows_line_ends.csv": GOOD.replace(b"\n", b"\r\n"),
    "header_only.csv": csv_bytes([]),
}


def main() -> None:
    for old in HERE.glob("*.csv"):
        old.unlink()
    for name, data in CASES.items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(CASES)} files to {HERE}")


if __name__ == "__main__":
    main()
