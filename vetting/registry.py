"""The registry check: each clinic's NPI and its medical director's, against the CMS NPPES NPI Registry.

An NPI does not prove a licence, but an unknown or deactivated NPI, a practice location in another state, or
a director registered under another specialty than the clinic claims is what a patient and a referring doctor
want to see. Offline by default: without `online`, only answers already in the cache are used.

- :class:`NpiRegistry`: the service (builds the query, parses the answer) on the shared online client.
- :func:`check`: one record per NPI of the clinics file, each comparison yes, no or unknown, with findings.
- :func:`to_evidence`: what the registry confirmed (or did not) as evidence rows; the file is never changed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from . import npi as npi_digits
from .contract import BY_NAME, MAX_CELL_CHARS, SPECIALTIES
from .evidence import EVIDENCE_CONTRACT, METHODS
from .kinds import STATES, strip_invisible
from .online import DiskCache, OnlineClient, OnlineError, utc_now

# ------------------------------------------------------------------ settings (each declared once)
NPI_REGISTRY_URL_ENV = "VETTING_NPI_REGISTRY_URL"  # e.g. a loopback fake in tests
DEFAULT_REGISTRY_URL = "https://npiregistry.cms.hhs.gov/api/"
NPI_CACHE_ENV = "VETTING_NPI_CACHE"
DEFAULT_NPI_CACHE = "~/.cache/vetting/npi.json"
API_VERSION = "2.1"
MIN_DELAY_SECONDS = 0.34  # about three requests a second at most: a free public service
TIMEOUT_SECONDS = 10.0
REFRESH_AFTER_DAYS = 30  # online, a cached answer older than this is fetched again
REGISTRY_TERMS = (f"at most one request every {MIN_DELAY_SECONDS:g} s, answers cached in ${NPI_CACHE_ENV} or "
                  f"{DEFAULT_NPI_CACHE} and asked again after {REFRESH_AFTER_DAYS} days")
REGISTRY_NAME = "the NPI registry"

#: The one home of which NPPES taxonomy codes (prefixes) count as each claimed director specialty.
SPECIALTY_TAXONOMIES: dict[str, tuple[str, ...]] = {
    "anesthesiology": ("207L",),
    "psychiatry": ("2084P0800X",),
    "emergency_medicine": ("207P",),
}
ORGANISATION, INDIVIDUAL = "NPI-2", "NPI-1"
EXPECTED_TYPE = {"clinic": ORGANISATION, "director": INDIVIDUAL}
TYPE_WORDS = {ORGANISATION: "an organisation (NPI-2)", INDIVIDUAL: "an individual (NPI-1)"}

YES, NO, UNKNOWN = "yes", "no", "unknown"
NOT_CHECKED = "Not checked yet: run the check online."
MAX_REGISTRY_TEXT = 200  # a name or specialty from the registry, as shown in findings
NAME_MATCH_RATIO = 0.8

VERDICT_COLUMNS = ["found", "active", "type_ok", "state_ok", "specialty_ok", "name_ok"]  # each yes, no or unknown
RECORD_COLUMNS = ["clinic_id", "role", "npi", *VERDICT_COLUMNS, "findings", "fetched_on", "error", "registry_name",
                  "registry_type", "registry_state", "registry_specialties"]
EVIDENCE_FIELDS = list(EVIDENCE_CONTRACT.names)  # the evidence file's columns (vetting.evidence is their home)
EVIDENCE_METHOD = "registry"
assert EVIDENCE_METHOD in METHODS
ROLE_COLUMNS = {"clinic": ("npi", "name"), "director": ("medical_director_npi", "medical_director_name")}


def default_registry_url() -> str:
    """$VETTING_NPI_REGISTRY_URL, or the CMS registry's API."""
    return os.environ.get(NPI_REGISTRY_URL_ENV) or DEFAULT_REGISTRY_URL


def default_cache_path() -> Path:
    """Where registry answers are kept: $VETTING_NPI_CACHE, or ~/.cache/vetting/npi.json."""
    return Path(os.environ.get(NPI_CACHE_ENV) or DEFAULT_NPI_CACHE).expanduser()


def query_params(npi: str) -> dict[str, str]:
    """The registry query for one NPI."""
    return {"version": API_VERSION, "number": npi}


def lookup_url(registry_url: str, npi: str) -> str:
    """The address that asks `registry_url` about one NPI (what evidence rows cite)."""
    return f"{registry_url}?{urlencode(query_params(npi))}"


def plain(value: object, limit: int = MAX_REGISTRY_TEXT) -> str:
    """Untrusted text as plain text: invisible characters dropped, whitespace collapsed, at most `limit`
    characters (an ellipsis says it was cut)."""
    text = " ".join(strip_invisible(str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------ the registry's answer, parsed
@dataclass(frozen=True)
class Taxonomy:
    """One taxonomy (specialty) an NPI is registered under."""

    code: str
    desc: str
    primary: bool
    state: str
    license: str


@dataclass(frozen=True)
class RegistryRecord:
    """What the registry lists for one NPI (text already plain and bounded)."""

    number: str
    enumeration_type: str  # NPI-1 an individual, NPI-2 an organisation
    active: bool
    name: str  # the organisation's name, or "first last"
    credential: str
    location_state: str
    location_city: str
    taxonomies: tuple[Taxonomy, ...]
    last_updated: str
    other_names: tuple[str, ...] = ()  # an organisation's other names (doing business as, former names)

    @property
    def primary_taxonomy(self) -> Taxonomy | None:
        """The taxonomy marked primary, else the first, else None."""
        return next((t for t in self.taxonomies if t.primary), self.taxonomies[0] if self.taxonomies else None)

    @property
    def specialties(self) -> tuple[str, ...]:
        """The claimable specialties (SPECIALTY_TAXONOMIES) its taxonomies match, primary first."""
        ordered = sorted(self.taxonomies, key=lambda t: not t.primary)
        found = [s for t in ordered for s, prefixes in SPECIALTY_TAXONOMIES.items() if t.code.startswith(prefixes)]
        return tuple(dict.fromkeys(found))

    @property
    def taxonomy_words(self) -> str:
        """Its taxonomies in words ("Family Medicine, Anesthesiology")."""
        return plain(", ".join(t.desc or t.code for t in self.taxonomies))


class _Malformed(OnlineError):
    """The answer does not have the shape the registry documents."""


def _text(d: Mapping[str, Any], key: str) -> str:
    value = d.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Malformed(f"'{key}' is not text")
    return plain(value)


def _dicts(d: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = d.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise _Malformed(f"'{key}' is not a list of records")
    return value


def _record(result: Mapping[str, Any]) -> RegistryRecord:
    basic = result.get("basic")
    if not isinstance(basic, dict):
        raise _Malformed("'basic' is missing")
    organisation = _text(basic, "organization_name")
    person = " ".join(x for x in (_text(basic, "first_name"), _text(basic, "last_name")) if x)
    location = next((a for a in _dicts(result, "addresses") if _text(a, "address_purpose").upper() == "LOCATION"),
                    {})
    taxonomies = tuple(Taxonomy(_text(t, "code").upper(), _text(t, "desc"), t.get("primary") in (True, "Y", "y"),
                                _text(t, "state").upper(), _text(t, "license")) for t in _dicts(result, "taxonomies"))
    others = tuple(n for n in (_text(o, "organization_name") for o in _dicts(result, "other_names")) if n)
    return RegistryRecord(
        number=_text(result, "number"), enumeration_type=_text(result, "enumeration_type").upper(),
        active=_text(basic, "status").upper() == "A", name=organisation or person,
        credential=_text(basic, "credential"), location_state=_text(location, "state").upper(),
        location_city=_text(location, "city"), taxonomies=taxonomies, last_updated=_text(basic, "last_updated"),
        other_names=others)


def parse_answer(body: Any, npi: str) -> RegistryRecord | None:
    """The record of `npi` in a registry answer, None when the registry does not know it; OnlineError when the
    answer is an `Errors` answer or not in the documented shape (never a crash, never cached)."""
    if isinstance(body, dict) and "Errors" in body:
        errors = body["Errors"] if isinstance(body["Errors"], list) else [body["Errors"]]
        said = "; ".join(plain(e.get("description", "")) if isinstance(e, dict) else plain(e) for e in errors)
        raise OnlineError(f"The NPI registry refused the query for NPI {npi}: {plain(said) or 'no reason given'}.")
    try:
        if not isinstance(body, dict):
            raise _Malformed("it is not a record")
        results = body.get("results", [])
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise _Malformed("'results' is not a list of records")
        if not results:
            return None
        mine = [r for r in results if _text(r, "number") == npi]
        if not mine:
            raise _Malformed("it is about another NPI")
        return _record(mine[0])
    except _Malformed as err:
        raise OnlineError(f"The NPI registry's answer for NPI {npi} is not in the shape it documents "
                          f"({err}).") from None


# ------------------------------------------------------------------ the service
@dataclass(frozen=True)
class Lookup:
    """The registry's answer about one NPI, or why there is none."""

    npi: str
    record: RegistryRecord | None
    found: bool
    fetched_on: dt.date | None  # when the answer was fetched (the local date); None when not fetched or unknown
    error: str | None  # one sentence when asking failed
    from_cache: bool
    answered: bool  # the registry's answer is known (fetched now, or from the cache)


class NpiRegistry:
    """The CMS NPPES NPI Registry on the shared online client: it builds the query and parses the answer.

    The client's rate limit remembers its last request: make one per process or command-line run."""

    def __init__(self, url: str | None = None, cache_path: str | Path | None = None, *,
                 min_delay_seconds: float = MIN_DELAY_SECONDS, timeout_seconds: float = TIMEOUT_SECONDS,
                 refresh_after_days: float = REFRESH_AFTER_DAYS,
                 now: Callable[[], dt.datetime] = utc_now) -> None:
        self.url = url or default_registry_url()
        self.client = OnlineClient(REGISTRY_NAME, self.url, DiskCache(cache_path or default_cache_path()),
                                   min_delay_seconds, timeout_seconds, now=now)
        self.refresh_after = dt.timedelta(days=refresh_after_days)

    def lookup(self, npi: str, online: bool = False) -> Lookup:
        """What the registry says about `npi`: from the cache (fetched again online when older than the refresh
        age), or, only when `online`, from the registry. Offline, nothing is ever sent."""
        if not npi_digits.valid([npi])[0]:
            return Lookup(npi, None, False, None, f"{plain(npi, 20)!r} is not a valid NPI, so the registry was "
                                                  "not asked.", False, False)
        answer = self.client.answer(npi, lambda body: parse_answer(body, npi), params=query_params(npi),
                                    online=online, max_age=self.refresh_after)
        # the local date, as every other date in the files (a UTC date can be tomorrow here: 'in the future')
        fetched = answer.fetched.astimezone().date() if answer.fetched is not None else None
        return Lookup(npi, answer.value, answer.value is not None, fetched, answer.error, answer.from_cache,
                      answer.answered)


# ------------------------------------------------------------------ names
_TITLES = {"dr", "doctor", "mr", "mrs", "ms", "miss", "prof", "professor"}
_CREDENTIALS = {"md", "do", "crna", "np", "aprn", "pa", "pac", "rn", "phd", "dnp", "mba", "mph", "msn", "bsn",
                "fnp", "pmhnp", "bc", "psyd", "lcsw", "lpc", "dds", "dmd", "mbbs", "facep", "faap", "faan",
                "jr", "sr", "ii", "iii"}
_COMPANY = {"llc", "pllc", "inc", "incorporated", "pc", "corp", "corporation", "co", "company", "ltd", "lp",
            "llp", "plc", "the"}
_NOISE = _TITLES | _CREDENTIALS | _COMPANY


def name_words(name: str) -> list[str]:
    """A name's words for comparison: lower case, accents and punctuation dropped, titles (Dr), credentials
    (MD, DO, CRNA) and company suffixes (LLC, PLLC, Inc, PC) left out."""
    text = unicodedata.normalize("NFKD", strip_invisible(name).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[.'’]", "", text).replace("&", " and ")
    return [w for w in re.findall(r"[^\W_]+", text) if w not in _NOISE]


def names_match(ours: str, theirs: str) -> bool | None:
    """Whether two spellings name the same (SequenceMatcher ratio at least NAME_MATCH_RATIO, or the words of
    one, at least two, all in the other); None when either has no words to compare."""
    a, b = name_words(ours), name_words(theirs)
    if not a or not b:
        return None
    if SequenceMatcher(None, " ".join(a), " ".join(b)).ratio() >= NAME_MATCH_RATIO:
        return True
    smaller, larger = sorted((set(a), set(b)), key=len)
    return len(smaller) >= 2 and smaller <= larger


# ------------------------------------------------------------------ the check
@dataclass(frozen=True)
class _Claim:
    """What the clinics file says about one NPI."""

    clinic_id: str
    role: str  # clinic or director
    npi: str
    state: str
    name: str
    specialty: str  # the claimed director specialty ("" when unknown)


def _tri(value: bool | None) -> str:
    return UNKNOWN if value is None else YES if value else NO


def _judge(claim: _Claim, lookup: Lookup) -> dict[str, str]:
    """One record: each comparison yes/no/unknown, and the findings in sentences."""
    row = dict.fromkeys(RECORD_COLUMNS, "") | dict.fromkeys(VERDICT_COLUMNS, UNKNOWN)
    row |= {"clinic_id": claim.clinic_id, "role": claim.role, "npi": claim.npi, "error": lookup.error or "",
            "fetched_on": lookup.fetched_on.isoformat() if lookup.fetched_on else ""}
    if not lookup.answered:
        return row | {"findings": lookup.error or NOT_CHECKED}
    record = lookup.record
    if record is None:
        findings = [f"NPI {claim.npi} is not in the NPI registry."]
        return row | {"found": NO, "findings": " ".join(findings + _stale(lookup))}
    verdicts, findings = _compare(claim, record)
    row |= {k: _tri(v) for k, v in verdicts.items()}
    row |= {"found": YES, "registry_name": record.name, "registry_type": record.enumeration_type,
            "registry_state": record.location_state, "registry_specialties": record.taxonomy_words}
    return row | {"findings": " ".join((findings or [_confirmed(claim, record)]) + _stale(lookup))}


def _compare(claim: _Claim, record: RegistryRecord) -> tuple[dict[str, bool | None], list[str]]:
    """Each comparison (None: nothing to compare) and a sentence for each that fails."""
    expected = EXPECTED_TYPE[claim.role]
    claimed = claim.specialty if claim.role == "director" and claim.specialty in SPECIALTY_TAXONOMIES else ""
    names = (record.name, *record.other_names)
    matches = [names_match(claim.name, n) for n in names if claim.name]
    verdicts: dict[str, bool | None] = {
        "active": record.active,
        "type_ok": record.enumeration_type == expected,
        "state_ok": record.location_state == claim.state if record.location_state and claim.state else None,
        "specialty_ok": claimed in record.specialties if claimed and record.taxonomies else None,
        "name_ok": True if True in matches else False if False in matches else None,
    }
    findings = []
    if not verdicts["active"]:
        findings.append(f"The registry lists NPI {claim.npi} as deactivated.")
    if not verdicts["type_ok"]:
        what = TYPE_WORDS.get(record.enumeration_type, f"the registry type {record.enumeration_type or '(none)'!r}")
        findings.append(f"NPI {claim.npi} is registered to {what}, not {TYPE_WORDS[expected]}.")
    if verdicts["state_ok"] is False:
        findings.append(f"Its practice location is in {record.location_state}, not {claim.state}.")
    if verdicts["specialty_ok"] is False:
        findings.append(f"The director's registered specialties ({record.taxonomy_words}) do not include "
                        f"{claimed.replace('_', ' ')}.")
    if verdicts["name_ok"] is False:
        findings.append(f"The registry's name '{record.name}' does not match '{plain(claim.name)}'.")
    return verdicts, findings


def _confirmed(claim: _Claim, record: RegistryRecord) -> str:
    where = ", ".join(x for x in (record.location_city, record.location_state) if x)
    what = "an active organisation" if claim.role == "clinic" else "an active individual"
    return (f"The registry lists NPI {claim.npi} as '{record.name}', {what}" + (f" in {where}" if where else "")
            + (f", registered as {record.taxonomy_words}" if claim.role == "director" and record.taxonomies else "")
            + ".")


def _stale(lookup: Lookup) -> list[str]:
    """The error of an answered lookup: a cached answer that could not be fetched again, or one not saved."""
    if not lookup.error:
        return []
    if not lookup.from_cache:
        return [lookup.error]
    when = f" of {lookup.fetched_on.isoformat()}" if lookup.fetched_on else ""
    return [f"This is the registry's answer{when}; asking again failed: {lookup.error}"]


def _texts(frame: pd.DataFrame, column: str) -> list[str]:
    """A column as stripped strings ("" when empty or absent)."""
    if column not in frame:
        return [""] * len(frame)
    return [str(v).strip() if isinstance(v, str) else "" for v in frame[column].astype(object).tolist()]


def _claims(clinics: pd.DataFrame) -> list[_Claim]:
    """One claim per NPI listed: the clinic's own, then its director's, clinic by clinic."""
    ids, states = _texts(clinics, "clinic_id"), _texts(clinics, "state")
    specialties = _texts(clinics, "medical_director_specialty")
    claims = []
    columns = {role: (_texts(clinics, n), _texts(clinics, m)) for role, (n, m) in ROLE_COLUMNS.items()}
    for i, clinic_id in enumerate(ids):
        for role, (npis, names) in columns.items():
            if npis[i]:
                claims.append(_Claim(clinic_id, role, npis[i], states[i].upper(), names[i],
                                     specialties[i].lower()))
    return claims


@dataclass(frozen=True)
class RegistryReport:
    """The registry check: one record per NPI listed (RECORD_COLUMNS, all strings) and each distinct NPI's
    lookup; counts are of distinct NPIs."""

    records: pd.DataFrame
    lookups: Mapping[str, Lookup]

    def _count(self, test) -> int:
        return sum(1 for lookup in self.lookups.values() if test(lookup))

    @property
    def fetched(self) -> int:
        """NPIs fetched from the registry in this check."""
        return self._count(lambda x: x.answered and not x.from_cache and not x.error)

    @property
    def from_cache(self) -> int:
        """NPIs answered from the cache."""
        return self._count(lambda x: x.answered and x.from_cache and not x.error)

    @property
    def failed(self) -> int:
        """NPIs whose lookup failed (a stale cached answer may still stand in)."""
        return self._count(lambda x: bool(x.error))

    @property
    def not_fetched(self) -> int:
        """NPIs with no answer: offline and not in the cache."""
        return self._count(lambda x: not x.answered and not x.error)

    @property
    def disagreements(self) -> int:
        """Records where the registry disagrees with the file (any comparison 'no')."""
        if self.records.empty:
            return 0
        return int((self.records[VERDICT_COLUMNS] == NO).any(axis=1).sum())

    def failures(self) -> pd.DataFrame:
        """The records whose lookup failed."""
        return self.records[self.records["error"] != ""]

    def summary(self) -> str:
        """One sentence: how many NPIs, where their answers came from, and how many disagree with the file."""
        if not self.lookups:
            return "No clinic lists an NPI: there was nothing to check in the NPI registry."
        clinics = self.records["clinic_id"].nunique()
        head = f"{len(self.lookups)} NPI(s) of {clinics} clinic(s)"
        counts = (f"{self.fetched} fetched from the NPI registry, {self.from_cache} from the cache, "
                  f"{self.failed} failed, {self.not_fetched} not fetched")
        if not any(x.answered for x in self.lookups.values()):
            hint = "; run the check online to ask the registry" if self.not_fetched else ""
            return f"Nothing was fetched for the {head} ({counts}){hint}."
        return f"{head}: {counts}; {self.disagreements} record(s) where the registry disagrees with the file."


def check(clinics: pd.DataFrame, registry: NpiRegistry, online: bool = False) -> RegistryReport:
    """Check each clinic's `npi` (role clinic) and `medical_director_npi` (role director) against the registry.

    Each distinct NPI is looked up once; a failure for one NPI is its record's error and never stops the
    others. Offline (the default) only cached answers are used."""
    claims = _claims(clinics)
    lookups: dict[str, Lookup] = {}
    for claim in claims:
        if claim.npi not in lookups:
            lookups[claim.npi] = registry.lookup(claim.npi, online)
    rows = [_judge(claim, lookups[claim.npi]) for claim in claims]
    records = pd.DataFrame(rows, columns=RECORD_COLUMNS, dtype=object)
    return RegistryReport(records, lookups)


# ------------------------------------------------------------------ evidence
def _evidence_values(claim: dict[str, str], lookup: Lookup, clinic: Mapping[str, str]) -> list[tuple[str, str]]:
    """(field, value) pairs one record gives: what the registry confirms ("" = it does not confirm it)."""
    role, record = claim["role"], lookup.record
    npi_field, name_field = ROLE_COLUMNS[role]
    confirmed = record is not None and record.active and record.enumeration_type == EXPECTED_TYPE[role]
    pairs = [(npi_field, claim["npi"] if confirmed else "")]
    if record is None:
        return pairs
    claimed = clinic.get("medical_director_specialty", "").lower()
    if role == "director" and record.taxonomies and claimed in SPECIALTIES:
        matched = record.specialties
        pairs.append(("medical_director_specialty", claimed if claimed in matched else matched[0] if matched
                      else "other"))
    if role == "clinic" and record.location_state in STATES:
        pairs.append(("state", record.location_state))
    if claim["name_ok"] != UNKNOWN:
        limit = BY_NAME[name_field].max_length
        pairs.append((name_field, plain(clinic.get(name_field, ""), limit) if claim["name_ok"] == YES
                      else plain(record.name, limit)))
    return pairs


def to_evidence(report: RegistryReport, clinics: pd.DataFrame, checked_by: str, registry_url: str) -> pd.DataFrame:
    """Evidence rows (the evidence file's columns, as text; method 'registry') for each record the registry
    answered: checked_on its fetch date, source the query's address and the findings. Add them to the evidence
    file with vetting.evidence.with_rows: an evidence row that disagrees with the clinics file is a finding for
    an analyst; the clinics file itself is never changed."""
    columns = {c: _texts(clinics, c) for c in ("name", "medical_director_name", "medical_director_specialty")}
    by_id = {cid: {c: texts[i] for c, texts in columns.items()} for i, cid in enumerate(_texts(clinics, "clinic_id"))}
    rows = []
    for claim in report.records.to_dict("records"):
        lookup = report.lookups[claim["npi"]]
        if not lookup.answered or lookup.error or lookup.fetched_on is None:
            continue
        source = plain(f"{lookup_url(registry_url, claim['npi'])} — {claim['findings']}", MAX_CELL_CHARS)
        for field, value in _evidence_values(claim, lookup, by_id.get(claim["clinic_id"], {})):
            rows.append({"clinic_id": claim["clinic_id"], "field": field, "value": value,
                         "method": EVIDENCE_METHOD, "source": source,
                         "checked_on": lookup.fetched_on.isoformat(), "checked_by": checked_by})
    return pd.DataFrame(rows, columns=EVIDENCE_FIELDS, dtype=object)
