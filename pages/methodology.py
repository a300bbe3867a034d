"""Methodology: the checklist the scores come from, its weights, grading rules, how answers are verified, and
sources."""

from html import escape

import streamlit as st

from ui.boot import through_dashboard
from ui.data import checklist
from ui.notices import NOT_MEDICAL_ADVICE
from ui.text import table as text_table
from vetting.evidence import METHOD_WORDS, METHODS, VERIFICATION_LABELS, VERIFICATION_MEANINGS


def html_list(items: list[tuple[str, str]]) -> str:
    """A list of (term, what it means) as escaped HTML: the term in bold."""
    return "<ul>" + "".join(f"<li><strong>{escape(term)}</strong>: {escape(meaning)}</li>"
                            for term, meaning in items) + "</ul>"


through_dashboard()

rules = checklist()
g = rules.grading
t = g.thresholds

st.title("How clinics are scored")
st.info(NOT_MEDICAL_ADVICE, icon=":material/info:")

st.markdown(f"""
Each clinic is checked against the **{len(rules.criteria)} criteria** below (checklist version {rules.version}).
Every criterion reads one fact from the clinic's record and is **met**, **not met**, **not verified** or
**not applicable**.

- **Score** = 100 × (weights of the criteria met) ÷ (weights of the criteria that apply). A clinic that meets
  every criterion that applies to it scores 100.
- **Grade**: A at {t['A']:g} and above, B at {t['B']:g}, C at {t['C']:g}, D at {t['D']:g}, F below.
- **Red flag**: a *critical* criterion answered **no**. The grade is then {g.red_flag_grade}, whatever the score.
- **Not verified**: the record does not say whether a criterion is met. In the score it counts like “not met”
  (a clinic earns points only for what is confirmed), but it is **never reported as “no”**. If a *critical*
  criterion is not verified, the grade is at most {g.unverified_grade_cap}: ask the clinic.
- **Not applicable**: e.g. REMS certification only matters where esketamine (Spravato) is offered; such
  criteria leave the score unchanged.
- **Data complete** = the share of applicable criteria whose answer is known.
- **Price, insurance, routes, conditions and distance are not quality**: they are shown, filtered and sorted
  on, never folded into the score.
- Records older than {g.stale_after_days} days since they were last verified are marked as such.
""")

st.header("The checklist", anchor=False)
st.caption("Rendered from vetting/checklist.toml, the same file the scorer reads. Weights are relative: a "
           "criterion of weight 5 counts five times one of weight 1.")
for category, rows in rules.table().groupby("category", sort=False):
    st.subheader(category, anchor=False)
    text_table(rows.assign(critical=rows["critical"].map({True: "critical", False: ""}),
                           weight=rows["weight"].map("{:g}".format))
               .set_index("criterion").rename_axis("Criterion")
               [["weight", "critical", "applies", "what it means", "sources"]]
               .rename(columns=str.capitalize), label=f"Criteria: {category}")

st.header("How answers are verified", anchor=False)
st.markdown("""
An answer in a clinic's record says what the clinic stated or published; it is not yet proof. Analysts check
answers and keep what they found in a second file, the **evidence file**: one row per check, saying which answer
was checked, the value found, how and where (the source), when, and by whom. Checks only ever add rows, so the
history of every answer stays readable. Each criterion of each clinic is then in one of four states:
""")
st.html(html_list([(label, VERIFICATION_MEANINGS[label] + ".") for label in VERIFICATION_LABELS.values()]))
st.markdown("An answer can be checked in five ways:")
st.html(html_list([(method, METHOD_WORDS[method]) for method in METHODS]))
st.markdown("""
- **Evidence never changes a score or a grade.** Scores read the record only; the evidence says how much of the
  record has been checked. A clinic's page shows it beside each answer, and as “Evidence: 7 of 24”: the criteria
  that apply to the clinic whose answer is verified.
- **A disagreement is a finding for the analysts**, never an automatic change: when the latest check found
  something else than the record, the clinic's page marks that answer “⚠ Evidence disagrees” and the record keeps
  its answer until an analyst has checked again and corrected it.
- **The NPI registry check** compares each NPI in a record (the clinic's and its medical director's) with the
  public CMS NPPES NPI Registry: whether the number is listed and active, registered to an organisation (a
  clinic) or an individual (a director), with a practice location in the clinic's state, the specialty claimed
  for the director, and a matching name. It is a check of public records only: an NPI identifies a provider
  for billing. It **does not prove a licence** to practise, a board certification or a DEA registration, and a
  match does not mean the clinic is safe; a mismatch is a question for the clinic.
""")

st.header("Sources", anchor=False)
kinds = {"seed": "Articles this directory is built from", "guidance": "Professional guidance",
         "regulation": "Regulation and labelling"}
for kind, heading in kinds.items():
    st.subheader(heading, anchor=False)
    st.markdown("\n".join(f"- {s.title}" + (f" (`{s.file}`)" if s.file else "")
                          for s in rules.sources.values() if s.kind == kind))

st.header("Facts worth knowing", anchor=False)
st.markdown("""
- A common IV protocol is 0.5 mg/kg over 40 minutes (APA consensus statement, 2017); an induction series is
  often about 6 sessions.
- IV sessions commonly cost about $400–$800 in the US. IV, IM and oral ketamine are off-label and usually not
  covered by insurance; esketamine (Spravato) is usually covered with prior authorisation.
- Spravato must be given in a REMS-certified setting with at least 2 hours of observation after each dose.
""")
