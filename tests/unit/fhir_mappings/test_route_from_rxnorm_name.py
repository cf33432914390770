"""G3's "dose-form words of the RxNorm name" for a code sent without a display: the name
RxNorm gives the code (the product table's), so a terse EHR coding of Synthea's
1734919 "cyclophosphamide 1000 MG Injection" still reads as an injectable (class IV).

Records are MedicationRequests shaped like Synthea's (RxNorm SCD coding, no route), once
with the display Synthea writes and once with the code alone, as some EHR interfaces send
an RxNorm coding.
"""

from __future__ import annotations

import pytest
from fhir_builders import bundle, days_before, medication, medication_request

from fhir_mappings.drugs import drug_catalog
from fhir_mappings.facts import extract_facts
from fhir_mappings.record import PatientRecord


def route_of(drug: dict) -> tuple[str, str]:
    (exposure,) = extract_facts(PatientRecord.from_bundle(bundle(medication_request(drug, days_before(10))))).exposures
    return exposure.route_class, exposure.route_basis


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("1734919", "iv"),  # cyclophosphamide 1000 MG Injection
        ("197550", "oral"),  # cyclophosphamide 50 MG Oral Tablet
        ("3002", "unknown"),  # the ingredient: RxNorm's name has no dose form
    ],
)
def test_a_code_without_display_is_read_by_its_rxnorm_name(code: str, expected: str) -> None:
    route_class, basis = route_of(medication(code))
    assert route_class == expected
    if expected != "unknown":
        assert basis.startswith("dose form in the name")
        assert drug_catalog().rxnorm_names[code].startswith("cyclophosphamide")


def test_a_display_the_record_sends_is_its_own_name() -> None:
    """The record's words decide; the table's name is not added beside them."""
    assert route_of(medication("1734919", display="cyclophosphamide 50 MG Oral Tablet"))[0] == "oral"
    assert route_of(medication("1734919", display="Cyclophosphamide 1000 MG Injection"))[0] == "iv"


def test_a_code_the_tables_do_not_know_stays_unknown() -> None:
    assert route_of(medication("99999999", text="cyclophosphamide"))[0] == "unknown"
