"""Explaining scores: one clinic's checklist, the questions to ask it, and side-by-side comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .checklist import Checklist, label_lists
from .export import iso_days, whole_km
from .geo import directions_urls
from .scoring import NOT_MET, UNKNOWN, join_ids, state_labels

if TYPE_CHECKING:
    from .evidence import Backing

STATE_ICONS = {"met": "✓ met", "not met": "✗ not met", "not verified": "? not verified",
               "not applicable": "– not applicable"}


def criteria_report(states: pd.Series, checklist: Checklist) -> pd.DataFrame:
    """Every criterion for one clinic (a row of Scores.states): its state, meaning and sources."""
    labels = state_labels(states.to_frame().T).iloc[0]
    return pd.DataFrame([{
        "category": checklist.categories[c.category],
        "criterion": c.label,
        "critical": c.critical,
        "weight": c.weight,
        "state": labels[c.id],
        "what it means": c.explanation,
        "sources": "; ".join(checklist.cite(r) for r in c.sources),
    } for c in checklist.criteria], index=pd.Index(checklist.ids, name="id"))


def questions_to_ask(states: pd.Series, checklist: Checklist) -> list[str]:
    """Questions for the criteria this clinic's record leaves unknown, critical ones first."""
    unknown = [c for c in checklist.criteria if states[c.id] == UNKNOWN]
    unknown.sort(key=lambda c: (not c.critical, -c.weight))
    return [c.question for c in unknown]


def red_flag_sentences(states: pd.Series, checklist: Checklist) -> list[str]:
    """Plain sentences for the critical criteria this clinic answers no."""
    return [f"The clinic's record says no to: {c.label.lower()}." for c in checklist.criteria
            if c.critical and states[c.id] == NOT_MET]


def checks_to_make(states: pd.Series, checklist: Checklist) -> list[str]:
    """What to ask about the criteria this clinic's record answers no (the record may be out of date, or the
    clinic may explain), critical ones first: the criterion, then its checklist question."""
    not_met = [c for c in checklist.criteria if states[c.id] == NOT_MET]
    not_met.sort(key=lambda c: (not c.critical, -c.weight))
    return [f"The record says no to “{c.label}”. Ask: {c.question}" for c in not_met]


# The record's own price columns (data contract): what "the record lists prices" means.
PRICE_COLUMNS = ("price_per_session_usd", "price_series_usd", "consultation_fee_usd")
PRICES_PUBLISHED_COLUMN = "pricing_published"  # the column behind the checklist's "prices are published"


def lists_prices(clinic: pd.Series) -> bool:
    """Whether the record lists any price (session, series or consultation)."""
    return any(pd.notna(clinic.get(c)) for c in PRICE_COLUMNS)


def criterion_notes(clinic: pd.Series, states: pd.Series, checklist: Checklist) -> dict[str, str]:
    """Notes that reconcile a criterion with the rest of the record, by criterion id.

    A record can list prices while the clinic's publishing them is not verified (or answered no): the note
    says so plainly, so "prices are published: not verified" never reads as "there are no prices". Scores do
    not change: the criterion keeps its state.
    """
    notes: dict[str, str] = {}
    if not lists_prices(clinic):
        return notes
    for c in checklist.criteria:
        if c.evaluate.get("column") != PRICES_PUBLISHED_COLUMN:
            continue
        if states[c.id] == UNKNOWN:
            notes[c.id] = ("The record lists prices (see Cost and access), but whether the clinic publishes "
                           "them was not verified.")
        elif states[c.id] == NOT_MET:
            notes[c.id] = ("The record lists prices (see Cost and access), but says the clinic does not "
                           "publish them: ask for the full cost in writing.")
    return notes


def _state_counts(words: list[str]) -> str:
    """'4 met, 4 not met, 1 not verified' (in the states' own order, the ones present)."""
    return ", ".join(f"{words.count(w)} {w}" for w in STATE_ICONS if w in words)


# What backs a criterion's answer (vetting.evidence.criterion_evidence): verified answers carry a
# marker in words, disagreements a warning sign before their own words; the colour of the line (the page's
# style, by kind) only repeats what the words say.
VERIFIED_MARK = "✓ verified"
DISAGREES_MARK = "⚠"


def _evidence_line(backing: Backing) -> str:
    """One criterion's evidence (vetting.evidence.Backing) as an escaped paragraph: 'Evidence: ✓ verified
    2026-10-03 by phone (analyst-a).', '⚠ Evidence disagrees: ...', or the sentence with its first words in
    bold."""
    from html import escape

    from .kinds import strip_invisible

    kind = backing.kind
    head, colon, rest = strip_invisible(backing.text).partition(": ")
    if not colon:
        return f'<p class="kc-ev kc-ev-{kind}">{escape(head)}</p>'
    if kind == "verified":
        rest = f'<span class="kc-ev-mark">{escape(VERIFIED_MARK)}</span> {escape(rest.removeprefix("verified "))}'
    else:
        rest = escape(rest)
    if kind == "disagrees":
        head = f'<span class="kc-ev-mark">{escape(DISAGREES_MARK)}</span> {escape(head)}'
    else:
        head = escape(head)
    return f'<p class="kc-ev kc-ev-{kind}"><span class="kc-label">{head}:</span> {rest}</p>'


def criteria_html(states: pd.Series, checklist: Checklist, subscores: dict[str, float] | None = None,
                  notes: dict[str, str] | None = None, evidence: dict[str, Backing] | None = None) -> str:
    """Every criterion for one clinic as HTML that fits any width: per category an <h3>, a summary line and
    a list; per criterion its state (icon and words), label, critical or not, weight, meaning, any note, what
    backs the answer (`evidence`: vetting.evidence.criterion_evidence, by criterion id, with a marker
    in words) and sources. Every text is HTML-escaped. Classes (kc-...) are for the page's style; state classes
    are kc-met, kc-not-met, kc-not-verified, kc-not-applicable; evidence lines are kc-ev with kc-ev-verified,
    kc-ev-stated, kc-ev-disagrees or kc-ev-none."""
    from html import escape

    labels = state_labels(states[checklist.ids].to_frame().T).iloc[0]
    notes, evidence = notes or {}, evidence or {}
    parts: list[str] = []
    for cat, name in checklist.categories.items():
        criteria = [c for c in checklist.criteria if c.category == cat]
        if not criteria:
            continue
        words = [labels[c.id] for c in criteria]
        sub = (subscores or {}).get(cat)
        summary = _state_counts(words)
        if subscores is not None:
            summary = ("Subscore: not applicable" if sub is None or pd.isna(sub) else f"Subscore {sub:.0f} / 100") \
                + " · " + summary
        items = []
        for c, word in zip(criteria, words, strict=True):
            meta = ["Critical" if c.critical else "Not critical", f"weight {c.weight:g}"]
            note = f'<p class="kc-note">{escape(notes[c.id])}</p>' if c.id in notes else ""
            sources = "; ".join(checklist.cite(r) for r in c.sources)
            items.append(
                f'<li class="kc-item kc-{word.replace(" ", "-")}">'
                f'<p class="kc-head"><span class="kc-state">{escape(STATE_ICONS[word])}</span> '
                f'<span class="kc-name">{escape(c.label)}</span></p>'
                f'<p class="kc-meta">{escape(" · ".join(meta))}</p>'
                f'<p class="kc-means">{escape(c.explanation)}</p>{note}'
                f'{_evidence_line(evidence[c.id]) if c.id in evidence else ""}'
                f'<p class="kc-src"><span class="kc-label">Sources:</span> {escape(sources)}</p></li>')
        parts.append(f'<section class="kc-cat"><h3>{escape(name)}</h3><p class="kc-sum">{escape(summary)}</p>'
                     f'<ul class="kc-list">{"".join(items)}</ul></section>')
    return "".join(parts)


def compare_table(states: pd.DataFrame, names: list[str], checklist: Checklist) -> pd.DataFrame:
    """Criteria x clinics, each cell a state word; `differs` marks criteria where the clinics disagree.

    `states` holds the chosen clinics' rows of Scores.states, in the order of `names`.
    """
    labels = state_labels(states)
    table = pd.DataFrame(labels.to_numpy().T, index=pd.Index(states.columns, name="id"), columns=names)
    table.insert(0, "criterion", [checklist[c].label for c in states.columns])
    table.insert(1, "critical", [checklist[c].critical for c in states.columns])
    table["differs"] = labels.nunique(axis=0).to_numpy() > 1
    return table


def _yes_no(value) -> str:
    return "not verified" if pd.isna(value) else ("yes" if value else "no")


def _money(value) -> str:
    return "not listed" if pd.isna(value) else f"${value:,.0f}"


def cost_table(clinic: pd.Series) -> pd.DataFrame:
    """A clinic's prices and access answers in words ('not listed', 'not verified' for unknowns)."""
    items = [("Price per session", _money(clinic["price_per_session_usd"])),
             ("Initial series", _money(clinic["price_series_usd"])),
             ("Consultation", _money(clinic["consultation_fee_usd"])),
             ("Accepts insurance", _yes_no(clinic["accepts_insurance"])),
             ("Financing", _yes_no(clinic["financing_available"])),
             ("Telehealth consultation", _yes_no(clinic["telehealth_consult"])),
             ("Accepting new patients", _yes_no(clinic["accepting_new_patients"]))]
    return pd.DataFrame(items, columns=["Item", "This clinic"])


def compare_facts(clinics: pd.DataFrame, names: list[str], distance_label: str | None = None,
                  evidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """The headline facts of clinics being compared, a row per clinic: prices in dollars, last verified as
    YYYY-MM-DD, website and directions links; `distance_km` (whole km) shown when present and labelled;
    with `evidence` (vetting.evidence.coverage of the same clinics), how many criteria evidence backs."""
    facts = pd.DataFrame({
        "Clinic": names,
        "City": (clinics["city"] + ", " + clinics["state"]).to_numpy(),
        "Grade": clinics["grade"].to_numpy(),
        "Score": clinics["score"].to_numpy(),
        "Red flags": clinics["n_red_flags"].to_numpy(),
        "Critical not verified": clinics["n_unverified"].to_numpy(),
        "Price per session": clinics["price_per_session_usd"].to_numpy(),
        "Initial series": clinics["price_series_usd"].to_numpy(),
        "Consultation": clinics["consultation_fee_usd"].to_numpy(),
        "Last verified": iso_days(clinics["last_verified"]).to_numpy(),
        "Phone": clinics["phone"].to_numpy(),
        "Website": clinics["website"].to_numpy(),
        "Directions": directions_urls(clinics).to_numpy(),
    })
    if evidence is not None:
        backed = evidence.loc[clinics.index]
        facts.insert(facts.columns.get_loc("Critical not verified") + 1, "Evidence",
                     [f"{v} of {a} criteria verified" for v, a in zip(backed["verified"], backed["applicable"],
                                                                       strict=True)])
    if distance_label and "distance_km" in clinics:
        facts.insert(2, distance_label, whole_km(clinics["distance_km"]).to_numpy())
    return facts


def referral_list(clinics: pd.DataFrame, states: pd.DataFrame, must_have: list[str] | tuple[str, ...],
                  checklist: Checklist, site: pd.DataFrame | None = None, compared: pd.DataFrame | None = None,
                  verified: pd.DataFrame | None = None) -> pd.DataFrame:
    """Referral rows: contacts, grade, price, distance (whole km), last verified, directions, and what is not
    verified.

    `clinics` are the chosen results in order (scored; distance_km if searched near a place); `states`
    are their criterion states (same index). What every row shares (that it meets the must-haves) is not
    repeated per row (see :func:`must_have_line`): `must-haves to confirm` holds only the must-haves a clinic
    passed as not verified. `site`: the directory graded with the site's own weights, when `clinics` were
    graded with others; its grade is then given beside (`site_grade`).

    With `verified` (vetting.evidence.verification, same index as `states`) and `compared` (vetting.evidence.
    compare: the latest evidence per clinic and field), two more columns: `must-have evidence`, how each
    must-have is backed ('A licensed physician supervises every treatment: verified 2026-10-03 by phone
    (analyst-a)'; '' without must-haves), and `evidence coverage`, the criteria that apply which evidence
    backs ('7 of 24'). Without `verified`, neither column.
    """
    st = states.loc[clinics.index]
    ids = list(st.columns)
    s = st.to_numpy()
    wanted = np.isin(ids, list(must_have))
    unknown_wanted = join_ids((s == UNKNOWN) & wanted, ids)
    critical = np.array([checklist[c].critical for c in ids])
    unknown_critical = join_ids((s == UNKNOWN) & critical, ids)
    unknown_other = join_ids((s == UNKNOWN) & ~critical, ids)
    out = pd.DataFrame({
        "rank": np.arange(1, len(clinics) + 1),
        "clinic_id": clinics["clinic_id"].to_numpy(),
        "name": clinics["name"].to_numpy(),
        "grade": clinics["grade"].to_numpy(),
        "score": clinics["score"].to_numpy(),
        "must-haves to confirm": label_lists(pd.Series(unknown_wanted), checklist).to_numpy(),
        "critical, not verified": label_lists(pd.Series(unknown_critical), checklist).to_numpy(),
        "other, not verified": label_lists(pd.Series(unknown_other), checklist).to_numpy(),
        "distance_km": (whole_km(clinics["distance_km"]).to_numpy() if "distance_km" in clinics
                        else pd.array([pd.NA] * len(clinics), dtype="Int64")),
        "price_per_session_usd": clinics["price_per_session_usd"].to_numpy(),
        "last_verified": iso_days(clinics["last_verified"]).to_numpy(),
        "phone": clinics["phone"].to_numpy(),
        "website": clinics["website"].to_numpy(),
        "directions": directions_urls(clinics).to_numpy(),
        "address": (clinics["street_address"].fillna("") + ", " + clinics["city"] + ", " + clinics["state"]
                    + " " + clinics["zip"]).str.lstrip(", ").to_numpy(),
    })
    if site is not None:
        out.insert(4, "site_grade", site.loc[clinics.index, "grade"].to_numpy())
    if verified is not None:
        from .evidence import METHOD_WORDS, NOT_VERIFIED, STATED, VERIFIED, coverage, criterion_fields, how_verified

        v = verified.reindex(index=clinics.index, columns=ids).fillna(NOT_VERIFIED).to_numpy()
        counts = coverage(pd.DataFrame(v, columns=ids))
        ev = compared if compared is not None else pd.DataFrame(columns=["clinic_id", "field", "checked_on"])
        ev = ev[ev["clinic_id"].isin(clinics["clinic_id"])].sort_values("checked_on", kind="stable")
        latest = {(str(c), str(f)): r for c, f, r in zip(ev["clinic_id"], ev["field"], ev.to_dict("records"),
                                                        strict=True)}

        def backed(clinic_id: str, row: np.ndarray, m: str) -> str:
            """How one must-have of one clinic is backed, in a few words."""
            rows = [r for f in criterion_fields(checklist[m]) if (r := latest.get((clinic_id, f))) is not None]
            code = row[ids.index(m)]
            against = [r for r in rows if not bool(r["agrees"])]
            if against:
                r = against[-1]
                said = (f"the latest check ({pd.Timestamp(r['checked_on']):%Y-%m-%d} "
                        f"{METHOD_WORDS.get(str(r['method']), str(r['method']))}) disagrees with the record")
            elif code == VERIFIED:
                said = " and ".join(dict.fromkeys(how_verified(r) for r in rows)) or "verified"
            elif code == STATED:
                said = "no evidence yet"
            elif code == NOT_VERIFIED:
                said = "not verified: the record does not say"
            else:
                said = "does not apply"
            return f"{checklist[m].label}: {said}"

        chosen = [m for m in dict.fromkeys(must_have) if m in ids]
        out["must-have evidence"] = ["; ".join(backed(str(cid), row, m) for m in chosen)
                                     for cid, row in zip(clinics["clinic_id"], v, strict=True)]
        out["evidence coverage"] = [f"{d} of {a}" for d, a in zip(counts["verified"], counts["applicable"],
                                                                   strict=True)]
    return out


def must_have_line(must_have: list[str] | tuple[str, ...], checklist: Checklist, unverified_passes: bool,
                   evidence_backed: bool = False) -> str:
    """The must-haves of a referral list, said once for every clinic in it; with `evidence_backed`, that each
    must-have of every clinic listed is backed by evidence (then unverified answers never pass)."""
    if not must_have:
        return "Must-haves: none"
    named = "; ".join(checklist[m].label for m in must_have)
    if evidence_backed:
        return (f"Must-haves: {named}. Every clinic listed meets them all, each backed by evidence (the latest "
                "check agrees with the record): when, how and by whom is under 'Must-have evidence'.")
    if unverified_passes:
        return (f"Must-haves: {named}. Every clinic listed meets them or its record does not say; those it does "
                "not confirm are listed per clinic under 'Must-haves to confirm'.")
    return f"Must-haves: {named}. Every clinic listed meets them all."
