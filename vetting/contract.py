"""The clinics CSV contract (docs/DATA_CONTRACT.md) as data: every column, its kind and its rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """The value kinds of the contract."""

    ID = "id"
    TEXT = "text"
    STATE = "state"
    ZIP = "zip"
    LATITUDE = "latitude"
    LONGITUDE = "longitude"
    URL = "url"
    TRISTATE = "tristate"
    CHOICE = "choice"
    WHOLE = "whole"
    RATING = "rating"
    YEAR = "year"
    MONEY = "money"
    LIST = "list"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    """One contract column."""

    name: str
    kind: Kind
    required: bool = False
    vocabulary: tuple[str, ...] = field(default=())
    max_length: int | None = None


_USPS = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
         "NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY")
STATES: frozenset[str] = frozenset(_USPS.split(" "))
SPECIALTIES = ("anesthesiology", "psychiatry", "emergency_medicine", "other", "none")
ROUTES = ("iv", "im", "intranasal", "oral")
ROUTE_LABELS = {"iv": "IV infusion", "im": "IM injection", "intranasal": "Esketamine nasal spray",
                "oral": "Oral / lozenge"}
CONDITIONS = (
    "depression", "treatment_resistant_depression", "anxiety", "ptsd", "ocd", "bipolar_depression",
    "suicidal_ideation", "chronic_pain", "migraine", "fibromyalgia", "crps", "neuropathic_pain",
)
TRUE_SPELLINGS = ("yes", "true", "y", "1")
FALSE_SPELLINGS = ("no", "false", "n", "0")
UNKNOWN_SPELLINGS = ("", "unknown")

_TRI = Kind.TRISTATE
COLUMNS: tuple[Column, ...] = (
    Column("clinic_id", Kind.ID, required=True, max_length=40),
    Column("name", Kind.TEXT, required=True, max_length=200),
    Column("street_address", Kind.TEXT),
    Column("city", Kind.TEXT, required=True),
    Column("state", Kind.STATE, required=True),
    Column("zip", Kind.ZIP, required=True),
    Column("latitude", Kind.LATITUDE),
    Column("longitude", Kind.LONGITUDE),
    Column("phone", Kind.TEXT),
    Column("website", Kind.URL),
    Column("physician_supervised", _TRI),
    Column("medical_director_specialty", Kind.CHOICE, vocabulary=SPECIALTIES),
    Column("board_certified", _TRI),
    Column("ketamine_training", _TRI),
    Column("acls_on_site", _TRI),
    Column("team_published", _TRI),
    Column("association_member", _TRI),
    Column("dea_registered", _TRI),
    Column("rems_certified", _TRI),
    Column("medical_screening", _TRI),
    Column("psychiatric_evaluation", _TRI),
    Column("medication_review", _TRI),
    Column("vitals_monitoring", _TRI),
    Column("emergency_protocol", _TRI),
    Column("adverse_event_protocol", _TRI),
    Column("post_session_observation_min", Kind.WHOLE),
    Column("follow_up_care", _TRI),
    Column("in_clinic_only", _TRI),
    Column("pricing_published", _TRI),
    Column("risks_disclosed", _TRI),
    Column("process_explained", _TRI),
    Column("informed_consent", _TRI),
    Column("outcomes_tracked", _TRI),
    Column("personalized_plan", _TRI),
    Column("integration_therapy", _TRI),
    Column("coordinates_with_providers", _TRI),
    Column("rating", Kind.RATING),
    Column("review_count", Kind.WHOLE),
    Column("year_opened", Kind.YEAR),
    Column("price_per_session_usd", Kind.MONEY),
    Column("price_series_usd", Kind.MONEY),
    Column("consultation_fee_usd", Kind.MONEY),
    Column("accepts_insurance", _TRI),
    Column("financing_available", _TRI),
    Column("telehealth_consult", _TRI),
    Column("accepting_new_patients", _TRI),
    Column("routes", Kind.LIST, vocabulary=ROUTES),
    Column("conditions", Kind.LIST, vocabulary=CONDITIONS),
    Column("last_verified", Kind.DATE, required=True),
    Column("source", Kind.TEXT),
)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)


def columns_of(kind: Kind) -> tuple[str, ...]:
    """Names of the contract columns of one kind, in contract order."""
    return tuple(c.name for c in COLUMNS if c.kind is kind)
