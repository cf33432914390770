"""Ground rules, "Code systems and codings" (revision of 2026-12): a code system is
recognised by its canonical URI or its HL7 OID, and every coding of a CodeableConcept
is read, in any order; local codings beside a standard one change nothing. That holds
for the statuses too: a local coding before the HL7 one never hides it.
"""

from __future__ import annotations

import pytest
from ehr_shapes import (
    CERNER_CODESET_72,
    OID_CVX,
    OID_ICD10CM,
    OID_LOINC,
    OID_SNOMED,
    OID_UCUM,
    cerner_condition,
    epic_immunization,
    epic_problem,
    lab,
    quantity,
    status_concept,
)
from fhir_builders import (
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    condition,
    days_before,
)
from trial_eval import criterion, evaluate, evidence_codes, status_of

# Code systems by OID


def test_icd10cm_by_oid_behind_an_epic_local_coding_meets_i3() -> None:
    """Epic's Problems sample: the local (IMO) coding first, ICD-10-CM under its OID."""
    sle = epic_problem("M32.9", text="Systemic lupus erythematosus", onset={"onsetDateTime": "2018-04-02"})
    entry = criterion(evaluate(sle), "I3")
    assert entry["status"] == "met"
    assert "http://hl7.org/fhir/sid/icd-10-cm|M32.9" in evidence_codes(entry)  # reported under the canonical URI


def test_snomed_by_oid_behind_a_cerner_code_set_coding_meets_e15() -> None:
    """Oracle Health's Condition: the code set 400 coding first, SNOMED CT under its OID."""
    depression = cerner_condition("35489007", "Depressive disorder", onset={"onsetDateTime": "2022-02-01"})
    assert status_of("E15", depression) == "met"


def test_loinc_by_oid_and_ucum_by_oid_decide_a_lab() -> None:
    """A hemoglobin coded by the LOINC OID, its unit coded by the UCUM OID."""
    hb = lab("718-7", effective={"effectiveDateTime": days_before(3).isoformat()}, value=quantity(8.1, "g/dL", "g/dL", OID_UCUM))
    hb["code"]["coding"][1]["system"] = OID_LOINC
    assert status_of("E3.4", hb) == "met"


def test_cvx_by_oid_beside_local_and_ndc_codings_meets_e8() -> None:
    """Epic's Immunization sample: local coding, then CVX (here by its OID), then NDC."""
    mmr = epic_immunization("03", occurrence={"occurrenceDateTime": days_before(10).isoformat()}, cvx_system=OID_CVX)
    entry = criterion(evaluate(mmr), "E8")
    assert entry["status"] == "met"
    assert "http://hl7.org/fhir/sid/cvx|03" in evidence_codes(entry)


def test_a_local_coding_alone_matches_nothing() -> None:
    """A site code is not a standard code: the closed world still says no record."""
    local_only = epic_problem("F32.9", text="Depression")
    local_only["code"]["coding"] = local_only["code"]["coding"][:1]
    assert status_of("E15", local_only) == "not_met"


def test_the_standard_coding_decides_wherever_it_sits() -> None:
    """A lab coded with LOINC after the local code set coding (Cerner) or before it."""
    low = quantity(70, "g/L", "g/L")
    after = lab("718-7", effective={"effectiveDateTime": days_before(3).isoformat()}, value=low, local_first=True)
    before = lab("718-7", effective={"effectiveDateTime": days_before(3).isoformat()}, value=low, local_first=False)
    before["code"]["coding"].append({"system": CERNER_CODESET_72, "code": "2700655"})
    assert status_of("E3.4", after) == status_of("E3.4", before) == "met"


# Statuses: the HL7 coding decides wherever it sits


@pytest.mark.parametrize("verification", ["refuted", "entered-in-error"])
def test_a_local_status_coding_first_does_not_hide_a_refuted_verification(verification: str) -> None:
    """Only refuted and entered-in-error drop a record; a site coding before the HL7 one
    must not hide it (the HL7 coding is second here)."""
    hiv = epic_problem("B20", text="HIV disease", verification=verification, status_local_first=True)
    assert hiv["verificationStatus"]["coding"][0]["system"] != CONDITION_VERIFICATION
    assert status_of("E14", hiv) == "not_met"


@pytest.mark.parametrize(("clinical", "expected"), [("active", "met"), ("resolved", "not_met")])
def test_a_local_status_coding_first_does_not_hide_the_clinical_status(clinical: str, expected: str) -> None:
    depression = epic_problem("F32.9", text="Depression", clinical=clinical, status_local_first=True,
                              onset={"onsetDateTime": "2020-01-01"}, abatement={"abatementDateTime": "2021-01-01"}
                              if clinical == "resolved" else None)
    assert status_of("E15", depression) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Active", "met"), ("RECURRENCE", "met"), ("relapse", "met"), ("Resolved", "not_met"),
     ("inactive", "not_met"), ("Remission", "not_met")],
)
def test_clinical_status_text_without_coding_counts_as_that_code(text: str, expected: str) -> None:
    """Revision of 2026-12: a clinicalStatus with no coding but one of its codes as text."""
    depression = condition("icd10cm", "F32.9", clinical_status=None, onset="2020-01-01")
    depression["clinicalStatus"] = {"text": text}
    assert status_of("E15", depression) == expected


@pytest.mark.parametrize("text", ["Chronic", "see note", "Active problem"])
def test_other_clinical_status_text_counts_as_no_status(text: str) -> None:
    """Other text is no status: then active only without an abatement."""
    open_record = condition("icd10cm", "F32.9", clinical_status=None, onset="2020-01-01")
    open_record["clinicalStatus"] = {"text": text}
    assert status_of("E15", open_record) == "met"
    abated = condition("icd10cm", "F32.9", clinical_status=None, onset="2020-01-01", abatement="2021-06-01")
    abated["clinicalStatus"] = {"text": text}
    assert status_of("E15", abated) == "not_met"


def test_a_status_coding_of_a_local_system_alone_is_no_status() -> None:
    """A site's status coding ("A" in a local system) neither says active nor hides it."""
    record = condition("icd10cm", "F32.9", clinical_status=None, onset="2020-01-01")
    record["clinicalStatus"] = {"coding": [{"system": "https://ehr.example.org/status", "code": "A"}]}
    assert status_of("E15", record) == "met"
    record["clinicalStatus"] = status_concept(CONDITION_CLINICAL, "resolved")
    assert status_of("E15", record) == "not_met"


def test_icd10cm_oid_on_an_exclusion_code_with_a_snomed_sibling() -> None:
    """Both codings of one Condition read: an ICD-10-CM code in the set is enough even
    when the SNOMED CT coding beside it is in none."""
    ulcer = epic_problem("K25.9", "128292002", "Gastric ulcer", onset={"onsetDateTime": "2024-01-01"})
    ulcer["code"]["coding"][1]["system"] = OID_ICD10CM
    ulcer["code"]["coding"][2]["system"] = OID_SNOMED
    assert status_of("E5", ulcer) == "met"
