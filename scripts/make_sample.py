"""Regenerate the FICTIONAL sample data/clinics.csv and its evidence data/evidence.csv; print a summary.

Deterministic (fictional.SAMPLE_ROWS clinics, SAMPLE_SEED, DEFAULT_TODAY), so the committed files are reproducible::

    python scripts/make_sample.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fictional import (  # noqa: E402
    DEFAULT_TODAY,
    SAMPLE_ROWS,
    SAMPLE_SEED,
    critical_columns,
    generate,
    generate_evidence,
    write_csv,
)
from vetting import load_checklist, load_clinics, score  # noqa: E402
from vetting.contract import ROUTES  # noqa: E402
from vetting.evidence import EVIDENCE_FILE  # noqa: E402

ROWS, SEED, TODAY = SAMPLE_ROWS, SAMPLE_SEED, DEFAULT_TODAY
OUT = ROOT / "data" / "clinics.csv"


def _money(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.replace(r"[$,]", "", regex=True).replace("", None), errors="coerce")


def summarize(frame: pd.DataFrame, today: dt.date = TODAY) -> dict[str, object]:
    """The sample's distributions, computed from the CSV-shaped frame of strings."""
    n = len(frame)
    routes = frame["routes"].str.split(";")
    offers = {r: routes.map(lambda xs, r=r: r in xs) for r in ROUTES}
    crit = frame[list(critical_columns())]
    red = (crit == "no").any(axis=1)
    unverified = (crit == "").any(axis=1) & ~red
    price = _money(frame["price_per_session_usd"])
    iv_price = price[offers["iv"]]
    verified = pd.to_datetime(frame["last_verified"])
    age = (pd.Timestamp(today) - verified).dt.days
    stale_days = load_checklist().grading.stale_after_days
    tri = [c for c in frame.columns if set(frame[c].unique()) <= {"yes", "no", ""} and c != "rems_certified"]
    unknown_share = (frame[tri] == "").mean()
    intranasal = offers["intranasal"]
    money_cols = ("price_per_session_usd", "price_series_usd", "consultation_fee_usd")

    def share(mask: pd.Series) -> float:
        return round(float(mask.mean()), 3)

    out: dict[str, object] = {
        "rows": n,
        "metros (city, state)": frame.groupby(["city", "state"]).ngroups,
        "states (incl. DC)": frame["state"].nunique(),
        "ZIPs starting with 0": int(frame["zip"].str.startswith("0").sum()),
        "rows without coordinates": int((frame["latitude"] == "").sum()),
        "rows without website": int((frame["website"] == "").sum()),
        **{f"share offering {r}": share(offers[r]) for r in ROUTES},
        "intranasal: share rems_certified yes": share(frame.loc[intranasal, "rems_certified"] == "yes"),
        "intranasal: share observing >= 120 min": share(
            pd.to_numeric(frame.loc[intranasal, "post_session_observation_min"], errors="coerce") >= 120),
        "intranasal: share accepts_insurance yes": share(frame.loc[intranasal, "accepts_insurance"] == "yes"),
        "others: share accepts_insurance yes": share(frame.loc[~intranasal, "accepts_insurance"] == "yes"),
        "median IV session price (USD)": float(iv_price.median()),
        "IV session price 10th-90th percentile (USD)": (float(iv_price.quantile(0.1)),
                                                        float(iv_price.quantile(0.9))),
        "rows with session price unknown": int(price.isna().sum()),
        "money cells in $1,200 style": int(sum(int(frame[c].str.startswith("$").sum()) for c in money_cols)),
        "share with a red flag (a critical criterion = no)": share(red),
        "share with a critical criterion unknown (and no red flag)": share(unverified),
        "tri-state unknown share, min-max over columns": (round(float(unknown_share.min()), 3),
                                                          round(float(unknown_share.max()), 3)),
        f"share verified more than {stale_days} days before today": share(age > stale_days),
        "last_verified range": (frame["last_verified"].min(), frame["last_verified"].max()),
        "rating median": float(pd.to_numeric(frame["rating"].replace("", None)).median()),
        "rows without rating": int((frame["rating"] == "").sum()),
        "rows with npi / director name / director npi": (int((frame["npi"] != "").sum()),
                                                         int((frame["medical_director_name"] != "").sum()),
                                                         int((frame["medical_director_npi"] != "").sum())),
    }
    grades = _grades(frame, today)
    if grades is not None:
        out["grades (vetting.scoring)"] = grades
    return out


def summarize_evidence(evidence: pd.DataFrame, frame: pd.DataFrame) -> dict[str, object]:
    """The evidence file's shape: rows, clinics, methods, fields, and rows that disagree with the clinics file."""
    said = frame.set_index("clinic_id")
    file_value = [said.at[c, f] for c, f in zip(evidence["clinic_id"], evidence["field"], strict=True)]
    disagree = (evidence["value"] != pd.Series(file_value, index=evidence.index, dtype="str"))
    critical = evidence["field"].isin(critical_columns())
    return {
        "evidence rows / clinics with evidence": (len(evidence), int(evidence["clinic_id"].nunique())),
        "evidence rows on critical criteria": int(critical.sum()),
        "evidence methods": evidence["method"].value_counts().to_dict(),
        "evidence rows with an empty value (none found)": int((evidence["value"] == "").sum()),
        "evidence rows disagreeing with clinics.csv": int(disagree.sum()),
        "evidence checked_on range": (evidence["checked_on"].min(), evidence["checked_on"].max()),
    }


def _grades(frame: pd.DataFrame, today: dt.date) -> dict[str, int] | None:
    """Grade counts from the project's loader and scorer."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clinics.csv"
        write_csv(frame, path)
        result = load_clinics(path, today=today, locate=False)
    if not result.ok:
        print(f"warning: the loader rejects the sample: {result.summary()}", file=sys.stderr)
        return None
    counts = score(result.frame, today=today).summary["grade"].value_counts()
    return {g: int(counts.get(g, 0)) for g in load_checklist().grading.letters}


def main(argv: list[str] | None = None) -> None:
    """Write the sample and print its summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT,
                        help=f"where to write the clinics (default {OUT.relative_to(ROOT)})")
    parser.add_argument("--evidence-out", type=Path, metavar="PATH",
                        help=f"where to write the evidence (default: {EVIDENCE_FILE} beside --out)")
    args = parser.parse_args(argv)
    evidence_out = args.evidence_out or args.out.parent / EVIDENCE_FILE
    frame = generate(ROWS, seed=SEED, today=TODAY)
    evidence = generate_evidence(frame, seed=SEED, today=TODAY)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    evidence_out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(frame, args.out)
    write_csv(evidence, evidence_out)
    print(f"wrote {len(frame)} FICTIONAL clinics to {args.out} and {len(evidence)} FICTIONAL evidence rows "
          f"to {evidence_out} (seed {SEED}, today {TODAY})")
    for key, value in {**summarize(frame), **summarize_evidence(evidence, frame)}.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
