"""Regenerate ``vetting/data/zip_centroids.arrow``: the ZIP centroid table the app reads at start-up.

vetting.geo.zip_table_from_zipcodes() builds the table from the installed `zipcodes` package (the one place that
says how); building it takes over a second (4-8 s on a loaded server), reading this file a few milliseconds. Run
this after upgrading zipcodes (tests/test_geo.py fails until you do)::

    .venv/bin/python scripts/make_zip_table.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import zipcodes  # noqa: E402

from vetting.geo import ZIP_TABLE_FILE, read_zip_table, write_zip_table  # noqa: E402


def main() -> None:
    table = write_zip_table(ZIP_TABLE_FILE)
    assert read_zip_table(ZIP_TABLE_FILE).equals(table)
    print(f"wrote {ZIP_TABLE_FILE} ({ZIP_TABLE_FILE.stat().st_size // 1024} kB): {len(table)} ZIPs "
          f"from zipcodes {zipcodes.__version__}")


if __name__ == "__main__":
    main()
