"""Command line: `python -m vetting validate|score|nearby|registry-check ...`.

Exit codes: 0 success; 1 the data is invalid, the place cannot be found or an NPI could not be checked; 2 a
usage error. No user error prints a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import getpass
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .auth import hash_password
from .checklist import load_checklist
from .diff import diff_frames
from .evidence import evidence_path, evidence_store, load_evidence, record
from .export import clinics_csv, to_csv
from .filters import nearby
from .geo import FAR_FROM_ZIP_KM, ONLINE_TERMS, OnlineGeocoder, far_from_zip, geocode_missing, locate
from .kinds import strip_invisible
from .load import load_clinics
from .registry import (
    DEFAULT_REGISTRY_URL,
    NPI_REGISTRY_URL_ENV,
    RECORD_COLUMNS,
    REGISTRY_TERMS,
    NpiRegistry,
    check,
    to_evidence,
)
from .scoring import ranked, score, scored
from .search import is_stale
from .store import Store, StoreError
from .weights import read_weights

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
SCORE_FIELDS = ["clinic_id", "name", "city", "state", "score", "grade", "red_flags", "unverified",
                "completeness"]
NEARBY_FIELDS = ["clinic_id", "name", "city", "state", "zip", "distance_km", "score", "grade", "red_flags",
                 "unverified", "price_per_session_usd", "phone", "website"]


class UsageError(Exception):
    """A mistake in how the command was called (exit 2)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vetting",
        description="Validate, score and search a ketamine-clinic CSV (see docs/DATA_CONTRACT.md). "
                    "Scores describe what the data records; they are not medical advice.",
    )
    p.add_argument("--today", metavar="YYYY-MM-DD", type=_date,
                   help="evaluate as of this date (default: today); used for future-date checks and "
                        "years open")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check a clinics CSV against the data contract",
                       description="Check PATH against the data contract, and the evidence file beside it "
                                   "(evidence.csv) when there is one. Exit 0 with a one-line summary per file "
                                   "when valid; exit 1 listing every problem as 'row R, column C: ...'.")
    v.add_argument("path", metavar="PATH", help="the clinics CSV file")

    fmt = dict(choices=["csv", "json"], default="csv", help="output format (default: csv)")
    s = sub.add_parser("score", help="score every clinic against the checklist",
                       description="Print one record per clinic: clinic_id, name, city, state, "
                                   "score (0-100), grade (A-F), red_flags and unverified (critical "
                                   "criterion ids joined with ';'), completeness (0-1), and one subscore "
                                   "per category; best first.")
    s.add_argument("path", metavar="PATH", help="the clinics CSV file")
    s.add_argument("--format", **fmt)
    s.add_argument("--weights", metavar="FILE",
                   help="TOML or JSON weights file: optional preset = NAME (from checklist.toml), "
                        "[categories] multipliers and [weights] per criterion id; a flat file of "
                        "criterion_id = weight also works")

    n = sub.add_parser("nearby", help="clinics near a place, nearest first",
                       description="Print clinics within a radius of a place, nearest first, with "
                                   "clinic_id, name, distance_km, score and grade. Exit 1 if the place "
                                   "cannot be found.")
    n.add_argument("path", metavar="PATH", help="the clinics CSV file")
    n.add_argument("--near", metavar="QUERY", required=True,
                   help="a 5-digit ZIP ('80903'), 'City, ST' ('Colorado Springs, CO') or 'lat,lon' "
                        "('38.83,-104.82'); resolved offline")
    n.add_argument("--radius-km", metavar="KM", type=_positive_float, default=100.0,
                   help="only clinics within KM kilometres (default: 100)")
    n.add_argument("--limit", metavar="N", type=_positive_int, default=20,
                   help="at most N clinics (default: 20)")
    n.add_argument("--format", **fmt)
    n.add_argument("--weights", metavar="FILE", help="custom weights file, as for 'score'")
    n.add_argument("--online", action="store_true",
                   help="if the offline gazetteer does not know QUERY, ask OpenStreetMap Nominatim "
                        f"({ONLINE_TERMS}); "
                        "this sends QUERY over the internet")
    d = sub.add_parser("diff", help="what a new version of the file changes",
                       description="Compare OLD and NEW clinics files: clinics added and removed, every changed "
                                   "field (old -> new) and every grade that moves. Exit 1 if either file is "
                                   "invalid.")
    d.add_argument("old", metavar="OLD", help="the current clinics CSV")
    d.add_argument("new", metavar="NEW", help="the proposed clinics CSV")
    d.add_argument("--format", choices=["text", "csv", "json"], default="text",
                   help="text (default), or every change as CSV/JSON records")

    g = sub.add_parser("geocode", help="fill missing coordinates from the ZIP code",
                       description="Fill missing latitude/longitude from each clinic's ZIP centroid (offline) and "
                                   f"list coordinates more than {FAR_FROM_ZIP_KM:g} km from their ZIP. Writes --out, "
                                   "or PATH itself "
                                   "with --in-place (locked, atomic, the old version kept in history/ and the "
                                   "change audited).")
    g.add_argument("path", metavar="PATH", help="the clinics CSV file")
    where = g.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", metavar="FILE", help="write the geocoded file here")
    where.add_argument("--in-place", action="store_true", help="replace PATH (with history and audit)")
    g.add_argument("--online", action="store_true",
                   help="for ZIPs the offline gazetteer does not know, ask Nominatim with the street address "
                        f"({ONLINE_TERMS})")

    r = sub.add_parser("registry-check", help="check each clinic's NPIs against the CMS NPI Registry",
                       description="Check each clinic's npi and medical_director_npi against the CMS NPPES NPI "
                                   "Registry: one record per NPI saying whether the registry knows it, lists it "
                                   "as active and of the right type (organisation, individual), in the clinic's "
                                   "state, under the claimed director specialty and by the same name (yes, no or "
                                   "unknown), with findings in sentences; a summary line on standard error. "
                                   "Without --online nothing is sent: only answers an earlier online run cached "
                                   "are used. Exit 1 "
                                   "if the file is invalid or an NPI could not be checked.")
    r.add_argument("path", metavar="PATH", help="the clinics CSV file")
    r.add_argument("--online", action="store_true",
                   help=f"ask the registry about NPIs not in the cache ({REGISTRY_TERMS}); this sends the "
                        "NPIs over the internet")
    r.add_argument("--registry-url", metavar="URL",
                   help=f"the registry's API address (default: ${NPI_REGISTRY_URL_ENV} or {DEFAULT_REGISTRY_URL})")
    r.add_argument("--format", **fmt)
    r.add_argument("--save-evidence", action="store_true",
                   help="append the registry's answers as evidence rows (method registry) to the evidence file "
                        "beside PATH, like the app does (lock, conflict check, history, audit); a mismatch stays a "
                        "finding, the clinics file is never changed")

    h = sub.add_parser("hash-password", help="make a password hash for .streamlit/secrets.toml",
                       description="Read a password (prompted, or one line on standard input) and print the "
                                   "line to put under [analysts] in .streamlit/secrets.toml, the name quoted as a "
                                   "TOML key when it needs to be (a dot, a space or a quote stays part of the "
                                   "name). The password itself is never stored.")
    h.add_argument("name", metavar="NAME",
                   help="the analyst's sign-in name: any letters, digits, spaces and punctuation; no control "
                        "characters or line breaks, no space at either end (refused with exit 2)")
    p.commands = sub.choices  # name -> its parser, for synopsis()
    return p


def synopsis() -> str:
    """The usage line of the program and of each command, as --help prints them (without -h, unwrapped).

    The README's command-line block is this text (tests/test_docs.py; scripts/update_docs.py writes it)."""
    p = _parser()
    lines = []
    for parser in (p, *p.commands.values()):
        parser.formatter_class = functools.partial(argparse.HelpFormatter, width=10_000)
        lines.append(parser.format_usage().removeprefix("usage: ").replace(" [-h]", "").strip())
    return "\n".join(lines)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _emit(frame: pd.DataFrame, fields: list[str], fmt: str) -> None:
    cols = [c for c in fields if c in frame] + [c for c in frame if c.startswith("subscore_")]
    out = frame[cols]
    if fmt == "json":
        sys.stdout.write(out.to_json(orient="records", indent=1, double_precision=3) + "\n")
    else:
        sys.stdout.write(to_csv(out))


def _load(path: str, today: dt.date, locate: bool = True):
    if not Path(path).exists():
        raise UsageError(f"no such file: {path}")
    result = load_clinics(path, today=today, locate=locate)
    if not result.ok:
        for err in result.errors:
            print(err, file=sys.stderr)
        print(f"{path}: {result.summary()}", file=sys.stderr)
    return result


def _validate_evidence(path: str, clinic_ids: pd.Series, today: dt.date) -> int:
    """The evidence file beside a valid clinics file, checked like it (nothing to do when there is none)."""
    evidence = evidence_path(path)
    if not evidence.exists():
        return EXIT_OK
    result = load_evidence(evidence, clinic_ids, today)
    if not result.ok:
        for err in result.errors:
            print(f"{evidence.name}: {err}", file=sys.stderr)
        print(f"{evidence}: invalid: {len(result.errors)} problem(s) found in {result.rows} row(s)", file=sys.stderr)
        return EXIT_INVALID
    for w in result.warnings:
        print(f"warning: {evidence.name}: {w}", file=sys.stderr)
    print(f"{evidence}: valid: {len(result.frame)} evidence row(s)")
    return EXIT_OK


def _weights(path: str | None) -> dict[str, float] | None:
    if path is None:
        return None
    try:
        return read_weights(path).resolve(load_checklist())
    except ValueError as err:
        raise UsageError(str(err)) from None


def run(args: argparse.Namespace) -> int:
    today = args.today or dt.date.today()
    if args.command in ("diff", "geocode", "hash-password", "registry-check"):
        return {"diff": _diff, "geocode": _geocode, "hash-password": _hash_password,
                "registry-check": _registry_check}[args.command](args, today)
    if args.command == "validate":
        result = _load(args.path, today)
        if not result.ok:
            return EXIT_INVALID
        for w in result.warnings:
            print(f"warning: {w}", file=sys.stderr)
        grading = load_checklist().grading
        stale = int(is_stale(result.frame["last_verified"], today, grading.stale_after_days).sum())
        if stale:
            print(f"note: {stale} clinic(s) not verified in the last {grading.stale_period} "
                  "(grading.stale_after_days in checklist.toml)", file=sys.stderr)
        print(f"{args.path}: {result.summary()}")
        return _validate_evidence(args.path, result.frame["clinic_id"], today)
    weights = _weights(args.weights)
    result = _load(args.path, today)
    if not result.ok:
        return EXIT_INVALID
    try:
        frame = scored(result.frame, weights=weights, today=today)
    except ValueError as err:  # weights naming unknown criteria, all zero, negative
        raise UsageError(str(err)) from None
    if args.command == "score":
        _emit(ranked(frame), SCORE_FIELDS, args.format)
        return EXIT_OK
    online = OnlineGeocoder() if args.online else None  # one per run: its rate limit holds for the run
    place = locate(args.near, online)
    if place is None:
        hint = "" if args.online else " (add --online to ask an online geocoder)"
        print(f"Cannot find the place {args.near!r}: give a 5-digit US ZIP, 'City, ST' or 'lat,lon'{hint}.",
              file=sys.stderr)
        return EXIT_INVALID
    found = nearby(frame, place.latitude, place.longitude, radius_km=args.radius_km, limit=args.limit)
    found = found.assign(distance_km=found["distance_km"].round(1))
    print(f"{len(found)} clinic(s) within {args.radius_km:g} km of {place.label}", file=sys.stderr)
    _emit(found, NEARBY_FIELDS, args.format)
    return EXIT_OK


def _diff(args: argparse.Namespace, today: dt.date) -> int:
    old, new = _load(args.old, today, locate=False), _load(args.new, today, locate=False)
    if not (old.ok and new.ok):
        return EXIT_INVALID
    d = diff_frames(old.frame, new.frame, score(old.frame, today=today).summary, score(new.frame, today=today).summary)
    if args.format != "text":
        records = pd.concat([
            d.added.assign(change="added", column="", old="", new="")[["change", "clinic_id", "name", "column",
                                                                       "old", "new"]],
            d.removed.assign(change="removed", column="", old="", new="")[["change", "clinic_id", "name",
                                                                           "column", "old", "new"]],
            d.changed.assign(change="changed")[["change", "clinic_id", "name", "column", "old", "new"]],
            d.grades.assign(change="grade", column="grade", old=d.grades["old_grade"],
                            new=d.grades["new_grade"])[["change", "clinic_id", "name", "column", "old", "new"]],
        ], ignore_index=True)
        _emit(records, list(records.columns), args.format)
        return EXIT_OK
    lines = [d.summary()]
    lines += [f"+ {cid}: {name}" for cid, name in zip(d.added["clinic_id"], d.added["name"], strict=True)]
    lines += [f"- {cid}: {name}" for cid, name in zip(d.removed["clinic_id"], d.removed["name"], strict=True)]
    lines += [f"~ {cid} {col}: {old or '(empty)'} -> {new or '(empty)'}" for cid, col, old, new in
              zip(d.changed["clinic_id"], d.changed["column"], d.changed["old"], d.changed["new"], strict=True)]
    lines += [f"  {cid} grade {og} -> {ng} (score {os_:g} -> {ns:g})" for cid, og, ng, os_, ns in
              zip(*(d.grades[c] for c in ("clinic_id", "old_grade", "new_grade", "old_score", "new_score")),
                  strict=True)]
    print("\n".join(lines))
    return EXIT_OK


def _geocode(args: argparse.Namespace, today: dt.date) -> int:
    if not Path(args.path).exists():
        raise UsageError(f"no such file: {args.path}")
    store = Store(Path(args.path))
    try:  # in place, the file is read once: the save is refused if it changed after this read
        source, read_hash = store.read() if args.in_place else (args.path, "")
    except StoreError as err:
        print(err, file=sys.stderr)
        return EXIT_INVALID
    result = load_clinics(source, today=today, locate=False)
    if not result.ok:
        for err in result.errors:
            print(err, file=sys.stderr)
        return EXIT_INVALID
    online = OnlineGeocoder() if args.online else None  # one per run: its rate limit holds for the run
    filled = geocode_missing(result.frame, online)
    counts = filled["location_source"].value_counts()
    far = far_from_zip(filled)
    for cid, km, z in zip(far["clinic_id"], far["km_from_zip"], far["zip"], strict=True):
        print(f"warning: {cid}: coordinates are {km:,.0f} km from ZIP {z}", file=sys.stderr)
    text = clinics_csv(filled).encode("utf-8")
    if args.in_place:
        try:
            store.save(text, read_hash, who=os.environ.get("USER", "cli"), action="geocode",
                       note=f"{counts.get('ZIP centroid', 0)} located from ZIP")
        except StoreError as err:  # changed since the read, lock held too long, disk refused: one sentence
            print(err, file=sys.stderr)
            return EXIT_INVALID
    else:
        Path(args.out).write_bytes(text)
    print(f"{counts.get('listed', 0)} already located, {counts.get('ZIP centroid', 0)} filled from their ZIP, "
          f"{counts.get('online', 0)} found online, {counts.get('unknown', 0)} not found")
    return EXIT_OK


def _registry_check(args: argparse.Namespace, today: dt.date) -> int:
    try:  # one registry for the run: its rate limit holds across every NPI
        registry = NpiRegistry(args.registry_url)
    except ValueError as err:
        raise UsageError(f"--registry-url: {err}") from None
    evidence = evidence_store(args.path)
    try:  # read before the check: a save of the evidence file in between refuses this one
        _, evidence_hash = evidence.read() if args.save_evidence else (b"", "")
    except StoreError as err:
        print(err, file=sys.stderr)
        return EXIT_INVALID
    result = _load(args.path, today, locate=False)
    if not result.ok:
        return EXIT_INVALID
    report = check(result.frame, registry, online=args.online)
    _emit(report.records, RECORD_COLUMNS, args.format)
    failures = report.failures()
    for cid, role, npi, error in zip(failures["clinic_id"], failures["role"], failures["npi"], failures["error"],
                                     strict=True):
        print(f"{cid} ({role}) NPI {npi}: {error}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    if args.save_evidence and not _save_registry_evidence(report, result.frame, registry.url, evidence,
                                                          evidence_hash, today):
        return EXIT_INVALID
    return EXIT_INVALID if report.failed else EXIT_OK


def _save_registry_evidence(report, clinics: pd.DataFrame, url: str, evidence: Store, base_hash: str,
                            today: dt.date) -> bool:
    """Append the check's evidence rows to the evidence file; says what happened on standard error."""
    rows = to_evidence(report, clinics, os.environ.get("USER", "cli"), url)
    if rows.empty:
        print("No evidence to save: nothing was answered by the registry.", file=sys.stderr)
        return True
    done = record(evidence, rows, base_hash, clinics["clinic_id"], rows["checked_by"].iloc[0],
                  note=f"NPI registry check: {len(rows)} evidence row(s)", action="registry", today=today)
    for problem in done.problems:
        print(problem, file=sys.stderr)
    if done.refused:
        print(done.refused, file=sys.stderr)
    if done.entry is None:
        return False
    print(f"Saved {len(rows)} evidence row(s) to {evidence.path.name}.", file=sys.stderr)
    return True


def _hash_password(args: argparse.Namespace, today: dt.date) -> int:
    from .auth import account_name, analyst_line

    try:  # refused before asking for the password: a name the sign-in form could never match
        account_name(args.name)
    except ValueError as err:
        print(f"That name cannot be an analyst's: {err}.", file=sys.stderr)
        return EXIT_USAGE
    password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    try:
        print(analyst_line(args.name, hash_password(password)))  # the name quoted as a TOML key when needed
    except ValueError as err:
        raise UsageError(str(err)) from None
    return EXIT_OK


class _Visible(io.TextIOBase):
    """A text stream that passes on everything but invisible characters: no terminal escape sequence or
    bidirectional override in a file, a place's name or an argument reaches the terminal."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(strip_invisible(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors, as argparse does
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Visible(stdout), _Visible(stderr)
    try:
        return run(args)
    except UsageError as err:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    finally:
        sys.stdout, sys.stderr = stdout, stderr
