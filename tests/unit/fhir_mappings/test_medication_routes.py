"""The route class of a medication record (portfolio G3), and routes.yaml as data.

Records are read through fact extraction, shaped like the EHR records they imitate: a
US Core MedicationRequest with a SNOMED route, an Epic order whose route has only text,
a FHIR R4 example (medrx0337) whose contained Medication carries its dose form, Synthea
requests that name the product only by its RxNorm SCD.
"""

from __future__ import annotations

import re

import pytest
import yaml
from fhir_builders import bundle, by_reference, days_before, dosage, medication, medication_request, medication_resource

from fhir_mappings.facts import extract_facts
from fhir_mappings.medication_routes import ROUTE_CLASSES, route_class
from fhir_mappings.record import PatientRecord
from fhir_mappings.terminology import VALUESET_DIR


def route_of(record: dict) -> tuple[str, str]:
    (exposure,) = extract_facts(PatientRecord.from_bundle(bundle(record))).exposures
    return exposure.route_class, exposure.route_basis


PREDNISONE = medication("8640", display="prednisone")  # an ingredient-only code: no form


@pytest.mark.parametrize(
    ("code", "display", "expected"),
    [
        ("47625008", "Intravenous route", "iv"),
        ("418114005", "Intravenous central route", "iv"),
        ("419993007", "Intravenous peripheral route", "iv"),
        ("78421000", "Intramuscular route", "other_parenteral"),
        ("34206005", "Subcutaneous route", "other_parenteral"),
        ("26643006", "Oral route", "oral"),
        ("6064005", "Topical route", "local"),
        ("54485002", "Ophthalmic route", "local"),
        ("10547007", "Otic route", "local"),
        ("46713006", "Nasal route", "local"),
        ("16857009", "Per vagina", "local"),
        ("37161004", "Per rectum", "local"),
        ("447694001", "Respiratory tract route", "local"),
    ],
)
def test_every_route_code_of_the_page_has_its_class(code: str, display: str, expected: str) -> None:
    record = medication_request(PREDNISONE, days_before(10), dose=dosage(10, route=(code, display)))
    route, basis = route_of(record)
    assert route == expected
    assert code in basis


def test_a_route_code_overrides_the_dose_form() -> None:
    injection = medication("1734919", display="Cyclophosphamide 1000 MG Injection")
    record = medication_request(injection, days_before(10), dose=dosage(1000, route=("78421000", "Intramuscular route")))
    assert route_of(record)[0] == "other_parenteral"


@pytest.mark.parametrize(("text", "expected"), [("IV", "iv"), ("Oral", "oral"), ("by mouth", "oral"), ("Subcut", "other_parenteral"), ("Topical", "local")])
def test_a_route_with_only_text_is_read_by_its_words(text: str, expected: str) -> None:
    """Epic sends dosageInstruction.route with local codings and a text ('Oral')."""
    record = medication_request(PREDNISONE, days_before(10), dose=dosage(10, route_text=text))
    assert route_of(record)[0] == expected


def test_the_dose_form_of_a_contained_medication() -> None:
    """FHIR R4 example medrx0337: a contained Medication whose form is 'Injection Solution'."""
    med = medication_resource(text="methylprednisolone sodium succinate", form=("385219001", "Injection solution"), id="m1")
    order = medication_request(medication(), days_before(10), dose=dosage(500), id="mr-med")
    route, basis = route_of(by_reference(order, "#m1", contained=med))
    assert route == "iv"
    assert "no route code" in basis


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Cyclophosphamide 1000 MG Injection", "iv"),  # Synthea SCD 1734919
        ("methotrexate 25 MG/ML Auto-Injector", "iv"),
        ("1 ML adalimumab 50 MG/ML Prefilled Syringe", "iv"),
        ("predniSONE 20 MG Oral Tablet", "oral"),
        ("methylPREDNISolone 4 MG Oral Tablet Dose Pack", "oral"),
        ("Acyclovir 50 MG Buccal Tablet", "oral"),
        ("Diclofenac Sodium 10 MG/ML Topical Gel", "local"),
        ("budesonide 0.09 MG/ACTUAT Dry Powder Inhaler", "local"),
        ("fluticasone propionate 0.05 MG/ACTUAT Nasal Spray", "local"),
        ("Dexamethasone 1 MG/ML Ophthalmic Suspension", "local"),
        ("hydrocortisone 100 MG Enema", "local"),  # NCT05247203's former non-systemic words stay local
        ("Ibuprofen 200 MG Liqui-Gels [Advil]", "unknown"),  # a hyphen joins words: no gel
        ("azathioprine sodium", "unknown"),  # an ingredient only
    ],
)
def test_the_dose_form_words_of_the_name(name: str, expected: str) -> None:
    assert route_class([], "", [name]).route_class == expected


def test_two_non_local_classes_in_one_name_are_unknown_and_local_wins_over_another() -> None:
    assert route_class([], "", ["prednisolone Oral Solution / Injection"]).route_class == "unknown"
    assert route_class([], "", ["fluticasone Oral Inhaler"]).route_class == "local"


def test_routes_of_different_classes_on_one_record_are_unknown() -> None:
    first = {"coding": [{"system": "http://snomed.info/sct", "code": "47625008"}]}
    second = {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]}
    assert route_class([first, second], "", ["methylprednisolone"]).route_class == "unknown"


def test_no_route_and_no_form_is_unknown() -> None:
    assert route_of(medication_request(PREDNISONE, days_before(10), dose=dosage(10)))[0] == "unknown"


# --- routes.yaml as data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def routes() -> dict:
    with (VALUESET_DIR / "routes.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_every_entry_cites_a_declared_source(routes: dict) -> None:
    declared = set(routes["sources"])
    entries = [*routes["route_codes"], *routes["route_words"], *routes["dose_form_words"], *routes["route_rules"].values()]
    for entry in entries:
        assert any(re.search(rf"\b{re.escape(source)}\b", entry["source"]) for source in declared), entry


def test_classes_and_rules_name_only_the_four_classes(routes: dict) -> None:
    assert tuple(routes["classes"]) == ROUTE_CLASSES
    assert {e["class"] for e in [*routes["route_codes"], *routes["route_words"], *routes["dose_form_words"]]} <= set(ROUTE_CLASSES)
    assert routes["route_rules"]["systemic"]["classes"] == ["iv", "other_parenteral", "oral"]
    assert routes["route_rules"]["parenteral"]["classes"] == ["iv", "other_parenteral"]


def test_each_route_code_is_listed_once(routes: dict) -> None:
    codes = [e["code"] for e in routes["route_codes"]]
    assert len(codes) == len(set(codes)) == 13
