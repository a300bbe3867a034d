"""Regenerate ``vetting/data/us_county_lines.npz``: the county lines the offline map draws at city zoom.

Source: the npm package us-atlas 3.0.1 (ISC licence, by Mike Bostock), file counties-10m.json: TopoJSON of the
US Census Bureau's 2017 cartographic boundary files (public domain), quantized and simplified. Nothing else
from the package is kept. Usage::

    npm pack us-atlas@3.0.1                     # or download registry.npmjs.org/us-atlas/-/us-atlas-3.0.1.tgz
    python scripts/make_county_lines.py us-atlas-3.0.1.tgz

Each TopoJSON arc is a stretch of boundary between two counties (or a county and the sea or a border) and is
kept once, classified by what it separates: two counties of one state (COUNTY), two states (STATE), or a county
and no county (OUTER: coast and national border). Points stay as the TopoJSON stores them, quantized and
delta-encoded per arc, so the file is small and decodes exactly (vetting.maps reads it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tarfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "vetting" / "data" / "us_county_lines.npz"
MEMBER = "package/counties-10m.json"
SHA256 = "145aaf5d1433352a6a1d8e86b5f149c7c653f9171baf14aaf75ee66575def1b0"  # counties-10m.json in us-atlas 3.0.1
COUNTY, STATE, OUTER = 0, 1, 2


def arc_kinds(topology: dict) -> np.ndarray:
    """COUNTY, STATE or OUTER for each arc, from the counties that use it (state = first two FIPS digits)."""
    users: list[list[str]] = [[] for _ in topology["arcs"]]

    def rings(geometry: dict):
        if geometry["type"] == "Polygon":
            yield from geometry["arcs"]
        elif geometry["type"] == "MultiPolygon":
            for polygon in geometry["arcs"]:
                yield from polygon

    for county in topology["objects"]["counties"]["geometries"]:
        for ring in rings(county):
            for arc in ring:
                users[arc if arc >= 0 else ~arc].append(str(county["id"])[:2])
    return np.array([OUTER if len(u) < 2 else COUNTY if len(set(u)) == 1 else STATE for u in users], dtype=np.uint8)


def convert(topology: dict) -> dict[str, np.ndarray]:
    """The arrays written to the .npz: per-arc start offsets and kinds, delta-encoded quantized points."""
    arcs = topology["arcs"]
    lengths = np.array([len(a) for a in arcs], dtype=np.int64)
    points = np.array([p for a in arcs for p in a], dtype=np.int32)
    return {
        "starts": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32),  # arc i: points[starts[i]:starts[i+1]]
        "kind": arc_kinds(topology),
        "dx": points[:, 0],  # first point of each arc absolute, the rest deltas (TopoJSON's encoding)
        "dy": points[:, 1],
        "scale": np.array(topology["transform"]["scale"], dtype=np.float64),
        "translate": np.array(topology["transform"]["translate"], dtype=np.float64),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", type=Path, help="us-atlas-3.0.1.tgz (from `npm pack us-atlas@3.0.1`)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tarfile.open(args.tarball) as tar:
        raw = tar.extractfile(MEMBER).read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        print(f"note: {MEMBER} has sha256 {digest}, not the one this script was written against")
    arrays = convert(json.loads(raw))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    kinds = np.bincount(arrays["kind"], minlength=3)
    print(f"{args.out}: {len(arrays['kind'])} arcs ({kinds[COUNTY]} county, {kinds[STATE]} state, "
          f"{kinds[OUTER]} outer), {len(arrays['dx'])} points, {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
