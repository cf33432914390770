"""Drug identity as EHRs code it (ground rules, revision of 2026-12, "Drug identity").

In order: any RxNorm coding of any term type mapped to its ingredient(s); else every name
(each coding's display, each text, the referenced Medication's code and ingredients). A
code the tables lack never stops the name match. A medicationReference is followed in
every form. A drug neither code nor name identifies matches no drug criterion and is
listed in the evaluation's `unidentified_medications`. Observed through E10 (B-cell drug
within 12 months), I6 (standard regimen) and E7 (allergy to a biologic).
"""

from __future__ import annotations

import csv
import uuid
from functools import cache

import pytest
from fhir_builders import (
    EHR_BASE,
    RXNORM,
    allergy,
    by_reference,
    days_before,
    ingredient,
    medication,
    medication_dispense,
    medication_request,
    medication_resource,
    medication_statement,
)
from trial_eval import criterion, evaluate, evidence_codes, status_of

from tests.conftest import SHARED_DIR

RXNORM_OID = "urn:oid:2.16.840.1.113883.6.88"
EPIC_MEDICATION_OID = "urn:oid:1.2.840.114350.1.13.0.1.7.2.698288"  # Epic's local ERX code system
CERNER_SYNONYM = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/synonym"
# An RxNorm SBD of a newer release than the project's tables and the public value sets:
# only its display can say which drug it is.
NEW_BENLYSTA_SBD = "2626230"
BENLYSTA_SBD_NAME = "1 ML belimumab 200 MG/ML Auto-Injector [Benlysta]"


@cache
def _public_rxnorm_codes() -> frozenset[str]:
    """Every RxCUI the public value-set expansions list (the tables are built from them)."""
    with (SHARED_DIR / "data" / "terminology" / "rxnorm_drug_codes.csv").open(encoding="utf-8") as fh:
        return frozenset(row["rxcui"] for row in csv.DictReader(fh))


def _infusion(drug: dict, **kwargs: object) -> dict:
    """A completed rituximab-like infusion order 60 days before D, well inside E10's 12 months."""
    return medication_request(drug, days_before(60), status="completed", **kwargs)


# (1) code, (2) names


def test_an_sbd_code_missing_from_every_table_is_identified_by_its_display() -> None:
    """Shaped like Epic's MedicationRequest.Read: RxNorm codings with their displays."""
    assert NEW_BENLYSTA_SBD not in _public_rxnorm_codes()
    drug = {"coding": [{"system": RXNORM, "code": NEW_BENLYSTA_SBD, "display": BENLYSTA_SBD_NAME}]}
    entry = criterion(evaluate(_infusion(drug)), "E10")
    assert entry["status"] == "met"
    assert evidence_codes(entry) == {f"{RXNORM}|{NEW_BENLYSTA_SBD}"}


def test_an_unknown_code_with_a_text_naming_the_drug_is_identified_by_the_text() -> None:
    drug = {"coding": [{"system": RXNORM, "code": NEW_BENLYSTA_SBD}], "text": "belimumab 200 mg/mL autoinjector"}
    assert status_of("E10", _infusion(drug)) == "met"


def test_every_display_is_read_not_only_the_text() -> None:
    """A local coding's display names the drug; the text is the EHR's order name."""
    drug = {"coding": [{"system": EPIC_MEDICATION_OID, "code": "80412", "display": "RITUXIMAB 10 MG/ML IV SOLN"}],
            "text": "Infusion order"}
    assert status_of("E10", _infusion(drug)) == "met"


@pytest.mark.parametrize("system", [RXNORM, RXNORM_OID])
def test_rxnorm_by_uri_or_oid_with_a_local_coding_beside_it(system: str) -> None:
    """As Oracle Health's MedicationStatement sends it: a Millennium synonym coding first,
    then the RxNorm coding (any order; the local one changes nothing)."""
    drug = {"coding": [{"system": CERNER_SYNONYM, "code": "2766447", "display": "Hydroxychloroquine", "userSelected": True},
                       {"system": system, "code": "5521", "userSelected": False}], "text": "Hydroxychloroquine"}
    assert status_of("I6", medication_statement(drug, days_before(200))) == "met"


def test_ingredient_names_in_tall_man_and_with_salts_are_matched() -> None:
    """A brand-style product text that also states the ingredient (PLAQUENIL) is identified
    through the ingredient's name."""
    drug = medication(text="hydroxychloroQUINE sulfate 200 mg tablet (PLAQUENIL)")
    assert status_of("I6", medication_statement(drug, days_before(200))) == "met"


# brand names (the catalog's brand table, built from the public consolidation)


def test_a_brand_only_text_is_identified() -> None:
    """An outside-record MedicationStatement with only the text a patient reported."""
    assert status_of("I6", medication_statement(medication(text="Plaquenil 200 mg tablet"), days_before(200))) == "met"


def test_a_brand_only_medication_code_is_identified() -> None:
    """Epic's Medication.Read with only its local name: a brand and a strength."""
    med = medication_resource(id="m-benlysta", text="BENLYSTA 120 MG IV SOLR")
    assert status_of("E10", med, by_reference(_infusion(medication()), "Medication/m-benlysta")) == "met"


def test_a_dispense_of_a_contained_brand_product_is_identified() -> None:
    med = medication_resource(id="m1", text="Actemra 20 MG/ML Injectable Solution")
    dispense = by_reference(medication_dispense(medication(), days_before(100), days_supply=28), "#m1", contained=med)
    assert status_of("E11", dispense) == "met"


@pytest.mark.parametrize(
    "substance",
    [
        {"coding": [{"system": RXNORM, "code": NEW_BENLYSTA_SBD, "display": "Rituxan"}]},
        {"text": "Rituxan"},
        {"coding": [{"system": "http://snomed.info/sct", "code": "108809004", "display": "Rituximab (product)"}],
         "text": "RITUXAN (RITUXIMAB)"},
    ],
)
def test_allergy_to_the_brand_rituxan_is_an_allergy_to_rituximab(substance: dict) -> None:
    """US Core AllergyIntolerance shape; the code, when any, is one the tables do not know."""
    assert status_of("E7", allergy(substance)) == "met"


# medicationReference in every form, to a Medication in the record or contained


def _rituximab_medication(id: str) -> dict:
    """A Medication as Epic's Medication.Read sends it: a local code and the RxNorm SCD."""
    return medication_resource(id=id, text="riTUXimab (RITUXAN) 10 mg/mL injection", ingredients=(
        ingredient(medication("121191", display="rituximab")),))


def test_contained_medication_is_followed() -> None:
    """Epic's MedicationRequest with its Medication contained (FHIR R4 example medrx0301 shape)."""
    med = medication_resource(id="med0310", display=BENLYSTA_SBD_NAME, rxnorm=NEW_BENLYSTA_SBD)
    request = by_reference(_infusion(medication()), "#med0310", contained=med)
    assert status_of("E10", request) == "met"


@pytest.mark.parametrize("form", ["relative", "absolute", "versioned"])
def test_medication_reference_in_each_form_is_followed(form: str) -> None:
    med = _rituximab_medication("eRTX1")
    reference = {"relative": "Medication/eRTX1", "absolute": f"{EHR_BASE}/Medication/eRTX1",
                 "versioned": "Medication/eRTX1/_history/3"}[form]
    assert status_of("E10", med, by_reference(_infusion(medication()), reference)) == "met"


def test_urn_uuid_reference_in_a_synthea_transaction_bundle_is_followed() -> None:
    """Synthea's transaction Bundles: fullUrl urn:uuid, references to the same urn."""
    med_id, request_id = str(uuid.uuid4()), str(uuid.uuid4())
    med = _rituximab_medication(med_id)
    request = by_reference(_infusion(medication(), id=request_id), f"urn:uuid:{med_id}")
    assert criterion(evaluate(med, request, uuid_full_urls=True), "E10")["status"] == "met"


def test_medication_identified_by_an_ingredient_substance_reference() -> None:
    """Medication.ingredient.itemReference to a contained Substance named belimumab; the
    product code is local."""
    substance = {"resourceType": "Substance", "id": "sub1", "code": {"text": "belimumab"}}
    med = medication_resource(id="m-blm", text="BENLYSTA 120 MG IV SOLR", ingredients=(ingredient(reference="#sub1"),))
    med["contained"] = [substance]
    assert status_of("E10", med, by_reference(_infusion(medication()), "Medication/m-blm")) == "met"


def test_reference_display_names_the_drug_when_the_medication_is_not_sent() -> None:
    request = by_reference(_infusion(medication()), "Medication/not-in-bundle", display="rituximab 500 mg/50 mL")
    assert status_of("E10", request) == "met"


# unidentified: closed world, but listed


def test_an_unidentifiable_medication_matches_nothing_and_is_listed() -> None:
    unknown = medication_request({"coding": [{"system": EPIC_MEDICATION_OID, "code": "99123", "display": "ZORBEXIL 10 MG TAB"}]},
                                 days_before(200), id="mr-unknown")
    known = medication_statement(medication("5521", "hydroxychloroquine"), days_before(200), id="ms-hcq")
    result = evaluate(unknown, known)
    assert criterion(result, "E10")["status"] == "not_met"
    assert result["unidentified_medications"] == [
        {"reference": "MedicationRequest/mr-unknown", "code": f"{EPIC_MEDICATION_OID}|99123", "text": "ZORBEXIL 10 MG TAB"}
    ]


def test_an_unresolvable_reference_without_display_is_listed_without_code_or_text() -> None:
    request = by_reference(medication_request(medication(), days_before(10), id="mr-dangling"), "Medication/gone")
    result = evaluate(request)
    assert result["unidentified_medications"] == [{"reference": "MedicationRequest/mr-dangling", "code": None, "text": None}]
    assert criterion(result, "I6")["status"] == "not_met"  # a medication record exists, no standard drug


def test_identified_and_ignored_records_are_not_listed() -> None:
    ignored = medication_request(medication(text="ZORBEXIL 10 MG TAB"), days_before(10), status="entered-in-error")
    result = evaluate(ignored, medication_statement(medication("5521", "hydroxychloroquine"), days_before(200)))
    assert result["unidentified_medications"] == []


# AllergyIntolerance substances follow the same order


def test_allergy_coded_with_a_brand_is_matched_by_the_display_naming_its_ingredient() -> None:
    """US Core AllergyIntolerance shape: RxNorm coding with display, the brand as text."""
    substance = {"coding": [{"system": RXNORM, "code": "226754", "display": "rituximab (Rituxan)"}], "text": "Rituxan"}
    assert status_of("E7", allergy(substance)) == "met"


def test_allergy_to_a_drug_no_code_or_name_identifies_is_not_met() -> None:
    assert status_of("E7", allergy(medication(text="Zorbexil"))) == "not_met"
