"""Code-system URIs, and the short aliases the value-set files use for them."""

from __future__ import annotations

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
CPT = "http://www.ama-assn.org/go/cpt"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
# HL7 v3 ActCode: Encounter.class (IMP, ACUTE, NONAC ...).
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# HL7 v2 table 0078 (abnormal flags): the same interpretation codes, as v2-fed EHRs send them.
V2_ABNORMAL_FLAGS = "http://terminology.hl7.org/CodeSystem/v2-0078"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"

SYSTEM_BY_ALIAS: dict[str, str] = {
    "loinc": LOINC,
    "snomed": SNOMED,
    "icd10cm": ICD10CM,
    "rxnorm": RXNORM,
    "cvx": CVX,
    "cpt": CPT,
    "atc": ATC,
    "hcpcs": HCPCS,
    "icd10pcs": ICD10PCS,
    "actcode": ACT_CODE,
}

# Systems that real EHRs send for the same terminology under another URI: the HL7 OIDs
# (criteria ground rules, "Records as EHRs send them": SNOMED CT 6.96, ICD-10-CM
# 6.90, LOINC 6.1, RxNorm 6.88, CVX 12.292, UCUM 6.8; CPT 6.12 from HL7's OID
# registry). ICD-10-CM codes sometimes arrive under the WHO ICD-10 URI.
SYSTEM_SYNONYMS: dict[str, str] = {
    "http://hl7.org/fhir/sid/icd-10": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "urn:oid:2.16.840.1.113883.12.292": CVX,
    "urn:oid:2.16.840.1.113883.6.8": UCUM,
    "urn:oid:2.16.840.1.113883.6.12": CPT,
    "urn:oid:2.16.840.1.113883.5.83": OBSERVATION_INTERPRETATION,
    "http://hl7.org/fhir/v3/ObservationInterpretation": OBSERVATION_INTERPRETATION,
    "urn:oid:2.16.840.1.113883.12.78": V2_ABNORMAL_FLAGS,
    "http://hl7.org/fhir/v2/0078": V2_ABNORMAL_FLAGS,
    "http://www.ama-assn.org/go/cpt/": CPT,
    # HL7 Terminology NamingSystems icd10PCS, hcpcs-Level-II and v3-ActCode: their OIDs and other URIs.
    "urn:oid:2.16.840.1.113883.6.4": ICD10PCS,
    "http://terminology.hl7.org/CodeSystem/icd10PCS": ICD10PCS,
    "urn:oid:2.16.840.1.113883.6.285": HCPCS,
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": HCPCS,
    # VSAC expansions (eCQM content, KidneyTransplant 2.16.840.1.113883.3.464.1003.109.12.1012) write HCPCS so.
    "https://www.cms.gov/research/umls/hcpccs": HCPCS,
    "urn:oid:2.16.840.1.113883.5.4": ACT_CODE,
    "http://hl7.org/fhir/v3/ActCode": ACT_CODE,
    # The STU3 URIs of the status code systems, still sent by some R4 endpoints.
    "http://hl7.org/fhir/condition-clinical": CONDITION_CLINICAL,
    "http://hl7.org/fhir/condition-ver-status": CONDITION_VERIFICATION,
    "http://hl7.org/fhir/allergy-clinical-status": ALLERGY_CLINICAL,
    "http://hl7.org/fhir/allergy-verification-status": ALLERGY_VERIFICATION,
}


def canonical_system(system: str | None) -> str:
    """Return the canonical URI for a coding system as sent by an EHR."""
    if not system:
        return ""
    return SYSTEM_SYNONYMS.get(system, system)


def normalize_code(system: str, code: str) -> str:
    """Normalize a code for matching: ICD-10-CM without its dot, upper-case; CVX without leading zeros."""
    code = code.strip()
    if system == ICD10CM:
        return code.replace(".", "").upper()
    if system == CVX:
        # CVX codes are numbers; EHRs send "3" as often as "03".
        return code.lstrip("0") or "0"
    return code
