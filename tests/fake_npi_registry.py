"""A loopback stand-in for the CMS NPPES NPI Registry (API version 2.1): the registry check is tested against
it, never the real service. Each NPI in CASES gets a recorded answer in the registry's own shape; an NPI not
in the table is "not found" (result_count 0). Requests are recorded with their arrival time (label: the NPI).

Every NPI here is fictional: nine chosen digits and their check digit (vetting.npi.complete)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fake_online import FakeServer, Reply, json_reply, serve

from vetting.npi import complete

API_PATH = "/api/"
SLOW_SECONDS = 3.0  # the slow answer's wait: far past the short timeout tests give the client


@dataclass(frozen=True)
class Case:
    """One recorded answer: the NPI it is for, what it says in brief, and the reply."""

    npi: str
    name: str  # the registry's name for it ("" when it has none)
    state: str  # its LOCATION state ("" when it has none)
    reply: Reply
    specialty: str = ""  # the desc of its taxonomy, when it has one


def address(purpose: str, city: str, state: str) -> dict[str, str]:
    return {"country_code": "US", "country_name": "United States", "address_purpose": purpose,
            "address_type": "DOM", "address_1": "1 Test St", "city": city.upper(), "state": state,
            "postal_code": "809031234", "telephone_number": "719-555-0100"}


def result(npi: str, kind: str, basic: dict[str, str], state: str = "CO", city: str = "Colorado Springs",
           taxonomies: tuple[tuple[str, str], ...] = (("261QM0801X", "Clinic/Center, Mental Health"),),
           status: str = "A") -> dict[str, Any]:
    """One result of a 2.1 answer: the LOCATION address in `state`, a MAILING address in Denver."""
    return {
        "created_epoch": "1136419200000", "enumeration_type": kind, "last_updated_epoch": "1619481600000",
        "number": npi,
        "addresses": [address("LOCATION", city, state), address("MAILING", "Denver", "CO")],
        "practiceLocations": [],
        "basic": {**basic, "status": status, "enumeration_date": "2006-01-05", "last_updated": "2021-04-27"},
        "taxonomies": [{"code": code, "taxonomy_group": "", "desc": desc, "state": state, "license": "L-1",
                        "primary": i == 0} for i, (code, desc) in enumerate(taxonomies)],
        "identifiers": [], "endpoints": [], "other_names": [],
    }


def organisation(npi: str, name: str, **kw: Any) -> dict[str, Any]:
    return result(npi, "NPI-2", {"organization_name": name, "organizational_subpart": "NO"}, **kw)


def individual(npi: str, first: str, last: str, **kw: Any) -> dict[str, Any]:
    return result(npi, "NPI-1", {"first_name": first, "last_name": last, "credential": "M.D.",
                                 "sole_proprietor": "NO", "sex": "F", "name_prefix": "Dr."}, **kw)


def answer_with(*results: dict[str, Any]) -> Reply:
    return json_reply({"result_count": len(results), "results": list(results)})


def _cases() -> dict[str, Case]:
    anesthesia = (("207L00000X", "Anesthesiology"),)
    family = (("207Q00000X", "Family Medicine"),)
    made: dict[str, Case] = {}

    def add(key: str, first_nine: str, name: str, state: str, reply_of, specialty: str = "") -> None:
        npi = complete(first_nine)
        made[key] = Case(npi, name, state, reply_of(npi), specialty)

    add("organisation", "100000001", "TEST CLINIC LLC", "CO",
        lambda n: answer_with(organisation(n, "TEST CLINIC LLC")))
    add("director", "100000002", "JANE DOE", "CO",
        lambda n: answer_with(individual(n, "JANE", "DOE", taxonomies=anesthesia)), anesthesia[0][1])
    add("deactivated", "100000003", "TEST CLINIC PLLC", "CO",
        lambda n: answer_with(organisation(n, "TEST CLINIC PLLC", status="D")))
    add("individual", "100000004", "JOHN SMITH", "CO",
        lambda n: answer_with(individual(n, "JOHN", "SMITH", taxonomies=anesthesia)))
    add("out_of_state", "100000005", "TEST CLINIC INC", "TX",
        lambda n: answer_with(organisation(n, "TEST CLINIC INC", state="TX", city="Austin")))
    add("family_medicine", "100000006", "RICHARD ROE", "CO",
        lambda n: answer_with(individual(n, "RICHARD", "ROE", taxonomies=family)), family[0][1])
    add("not_found", "100000007", "", "", lambda n: json_reply({"result_count": 0, "results": []}))
    add("refused", "100000008", "", "", lambda n: json_reply(
        {"Errors": [{"description": "Field number is invalid \u202eor\u202c unavailable", "field": "number",
                     "number": "04"}]}))
    add("not_json", "100000009", "", "", lambda n: Reply(b"<html>Service Unavailable</html>",
                                                         content_type="text/html"))
    add("wrong_shape", "100000010", "", "", lambda n: json_reply({"result_count": 1, "results": {"number": n}}))
    add("wrong_types", "100000011", "", "", lambda n: answer_with({**organisation(n, "X"), "basic": "ACTIVE"}))
    add("server_error", "100000012", "", "", lambda n: Reply(b"Traceback (most recent call last): /srv/app.py",
                                                             status=500, content_type="text/plain"))
    add("slow", "100000013", "", "", lambda n: json_reply({"result_count": 0, "results": []},
                                                          delay_seconds=SLOW_SECONDS))
    hostile = "EVIL\u202e CLINIC\u0007 " + "X" * 5000
    add("hostile", "100000014", hostile, "CO", lambda n: answer_with(organisation(n, hostile)))
    return made


CASES: dict[str, Case] = _cases()
BY_NPI = {case.npi: case for case in CASES.values()}
FAILING = ("refused", "not_json", "wrong_shape", "wrong_types", "server_error", "slow")


def registry_answer(path: str, params: dict[str, str]) -> Reply:
    """The registry's /api/: the recorded answer for the NPI asked about, "not found" for any other."""
    if path != API_PATH:
        return Reply(b"not here", status=404, content_type="text/plain")
    if params.get("version") != "2.1":
        return json_reply({"Errors": [{"description": "Unsupported Version", "field": "version"}]})
    case = BY_NPI.get(params.get("number", ""))
    return case.reply if case else json_reply({"result_count": 0, "results": []})


@dataclass
class FakeRegistry(FakeServer):
    """The running fake; `api_url` is what NpiRegistry is given."""

    @property
    def api_url(self) -> str:
        return self.url + API_PATH


@contextlib.contextmanager
def fake_npi_registry() -> Iterator[FakeRegistry]:
    """Serve the fake registry on a free loopback port until the block ends."""
    with serve(registry_answer, lambda params: params.get("number", ""), FakeRegistry()) as fake:
        yield fake


def registry_clinics() -> list[dict[str, str]]:
    """Clinic rows (tests/factory.py) whose NPIs this fake knows: one the registry confirms, one in another
    state with a family-medicine director, one whose NPI it does not know, one whose query it refuses, and one
    with no NPI."""
    from factory import row

    return [
        row(clinic_id="kc-1", name="Test Clinic", npi=CASES["organisation"].npi,
            medical_director_name="Jane Doe", medical_director_npi=CASES["director"].npi),
        row(clinic_id="kc-2", name="Test Clinic South", npi=CASES["out_of_state"].npi,
            medical_director_name="Richard Roe", medical_director_npi=CASES["family_medicine"].npi),
        row(clinic_id="kc-3", name="Gone Clinic", npi=CASES["not_found"].npi),
        row(clinic_id="kc-4", name="Refused Clinic", npi=CASES["refused"].npi),
        row(clinic_id="kc-5", name="No Npi Clinic"),
    ]
