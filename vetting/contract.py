"""The clinics CSV contract (docs/DATA_CONTRACT.md) as data: every column, its kind and its rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from .kinds import (
    CHOICE,
    DATE,
    ID,
    LATITUDE,
    LIST,
    LONGITUDE,
    MONEY,
    NPI,
    RATING,
    STATE,
    TEXT,
    TRISTATE,
    URL,
    WHOLE,
    YEAR,
    ZIP,
    ValueKind,
)

HEADER_ROW = 1  # row numbers in every message are spreadsheet rows: the header is row 1
FIRST_DATA_ROW = 2


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in the file: a spreadsheet row (1 = header), a column and what is wrong."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


def sort_issues(issues: Iterable[Issue], columns: Iterable[str]) -> list[Issue]:
    """Distinct issues by row, then in the file's column order."""
    order = {name: i for i, name in enumerate(columns)}
    return sorted(set(issues), key=lambda i: (i.row, order.get(i.column, len(order)), i.message))


MAX_CELL_CHARS = 1000  # every cell's bound, unless its column says less
MAX_PRICE_USD = 100_000


@dataclass(frozen=True)
class Column:
    """One contract column: its name, its kind (vetting.kinds) and its own constraints."""

    name: str
    kind: ValueKind
    required: bool = False
    vocabulary: tuple[str, ...] = field(default=())
    max_length: int = MAX_CELL_CHARS
    maximum: float | None = None  # the largest plausible number, for whole numbers and money
    multiline: bool = False  # may a value hold a line break (inside quotes)?
    item_word: str = "value"  # a list column's items, in messages: "unknown route 'x'"
    unique: bool = False  # an id column whose values name one row each (else a reference to such ids)


SPECIALTIES = ("anesthesiology", "psychiatry", "emergency_medicine", "other", "none")
ROUTES = ("iv", "im", "intranasal", "oral")
ROUTE_LABELS = {"iv": "IV infusion", "im": "IM injection", "intranasal": "Esketamine nasal spray",
                "oral": "Oral / lozenge"}
CONDITIONS = (
    "depression", "treatment_resistant_depression", "anxiety", "ptsd", "ocd", "bipolar_depression",
    "suicidal_ideation", "chronic_pain", "migraine", "fibromyalgia", "crps", "neuropathic_pain",
)
CONDITION_LABELS = {"depression": "Depression", "treatment_resistant_depression": "Treatment-resistant depression",
                    "anxiety": "Anxiety", "ptsd": "PTSD", "ocd": "OCD", "bipolar_depression": "Bipolar depression",
                    "suicidal_ideation": "Suicidal ideation", "chronic_pain": "Chronic pain", "migraine": "Migraine",
                    "fibromyalgia": "Fibromyalgia", "crps": "CRPS (complex regional pain syndrome)",
                    "neuropathic_pain": "Neuropathic pain"}

_TRI = TRISTATE
COLUMNS: tuple[Column, ...] = (
    Column("clinic_id", ID, required=True, max_length=40, unique=True),
    Column("name", TEXT, required=True, max_length=200),
    Column("street_address", TEXT, max_length=300, multiline=True),
    Column("city", TEXT, required=True, max_length=100),
    Column("state", STATE, required=True),
    Column("zip", ZIP, required=True),
    Column("latitude", LATITUDE),
    Column("longitude", LONGITUDE),
    Column("phone", TEXT, max_length=40),
    Column("website", URL, max_length=500),
    Column("npi", NPI),
    Column("physician_supervised", _TRI),
    Column("medical_director_specialty", CHOICE, vocabulary=SPECIALTIES),
    Column("medical_director_name", TEXT, max_length=200),
    Column("medical_director_npi", NPI),
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
    Column("post_session_observation_min", WHOLE, maximum=24 * 60),
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
    Column("rating", RATING),
    Column("review_count", WHOLE, maximum=1_000_000),
    Column("year_opened", YEAR),
    Column("price_per_session_usd", MONEY, maximum=MAX_PRICE_USD),
    Column("price_series_usd", MONEY, maximum=MAX_PRICE_USD),
    Column("consultation_fee_usd", MONEY, maximum=MAX_PRICE_USD),
    Column("accepts_insurance", _TRI),
    Column("financing_available", _TRI),
    Column("telehealth_consult", _TRI),
    Column("accepting_new_patients", _TRI),
    Column("routes", LIST, vocabulary=ROUTES, item_word="route"),
    Column("conditions", LIST, vocabulary=CONDITIONS, item_word="condition"),
    Column("last_verified", DATE, required=True),
    Column("source", TEXT),
)


@dataclass(frozen=True)
class Contract:
    """The columns of a clinics file, and which come as a pair (both or neither)."""

    columns: tuple[Column, ...]
    pairs: tuple[tuple[str, str], ...] = (("latitude", "longitude"),)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("a contract column is declared twice")

    @cached_property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def columns_of(self, kind: ValueKind) -> tuple[str, ...]:
        """Names of the columns of one kind, in contract order."""
        return tuple(c.name for c in self.columns if c.kind is kind)

    def with_columns(self, *extra: Column) -> Contract:
        """This contract with more columns (after its own)."""
        return replace(self, columns=self.columns + extra)


CONTRACT = Contract(COLUMNS)
BY_NAME: dict[str, Column] = CONTRACT.by_name
COLUMN_NAMES: tuple[str, ...] = CONTRACT.names
columns_of = CONTRACT.columns_of
