"""BLISS-76 (NCT00410384) test support: the shipped trial file, evaluated for builder-made
patients, and the records its criteria read, shaped as EHRs send them.

Each builder names the public example it imitates. A `candidate()` is a patient for whom
every computable criterion of the trial passes, so a test adds one record and sees what
it alone does to the criterion and to the decision.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from ehr_shapes import lab_value
from fhir_builders import (
    AS_OF,
    SUBJECT,
    UCUM,
    Resource,
    concept,
    condition,
    days_before,
    dosage,
    medication,
    medication_request,
    observation,
    patient,
)
from trial_eval import criterion, evaluate

from cds.trials.loader import TRIALS_DIR, load_trial, load_trials
from cds.trials.schema import Trial

TRIAL_ID = "nct00410384"
SHIPPED = TRIALS_DIR / f"{TRIAL_ID}.yaml"

POSITIVE = ("snomed", "10828004", "Positive")
NEGATIVE = ("snomed", "260385009", "Negative")
DETECTED = ("snomed", "260373001", "Detected")
NOT_DETECTED = ("snomed", "260415000", "Not detected")

IV = ("47625008", "Intravenous route")
IM = ("78421000", "Intramuscular route")
ORAL = ("26643006", "Oral route")

_ids = itertools.count(1)


@cache
def bliss76() -> Trial:
    """The shipped trial file, loaded as the service loads it."""
    return load_trials()[TRIAL_ID]


def bliss76_variant(folder: Path, *edits: tuple[str, str]) -> Trial:
    """The shipped file copied with each (old, new) text replaced once (a site's edit).

    :raise AssertionError: an `old` text is not in the file exactly once.
    """
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {SHIPPED.name}"
        text = text.replace(old, new)
    path = folder / "variant.yaml"
    path.write_text(text, encoding="utf-8")
    return load_trial(path)


def result_of(*resources: Resource, as_of: date = AS_OF, trial: Trial | None = None) -> dict[str, Any]:
    """The evaluation JSON of BLISS-76 for a patient made of `resources`."""
    return evaluate(*resources, as_of=as_of, trial=trial or bliss76())


def entry(cid: str, *resources: Resource, as_of: date = AS_OF, trial: Trial | None = None) -> dict[str, Any]:
    """One criterion's entry of the evaluation JSON."""
    return criterion(result_of(*resources, as_of=as_of, trial=trial), cid)


def status(cid: str, *resources: Resource, as_of: date = AS_OF) -> str:
    """One criterion's status."""
    return entry(cid, *resources, as_of=as_of)["status"]


def after(days: int, as_of: date = AS_OF) -> str:
    """D plus `days`, as the evaluation JSON writes a date."""
    return (as_of + timedelta(days=days)).isoformat()


# --- records --------------------------------------------------------------------------


def synthea_request(rxnorm: str, display: str, authored_on: date | str, *, status: str = "stopped",
                    supply_days: int | None = None, dose: dict[str, Any] | None = None, id: str | None = None) -> Resource:
    """A MedicationRequest as Synthea's FHIR R4 exporter writes it: an RxNorm SCD coding
    with its display, no route, status stopped once the course is over."""
    return medication_request(medication(rxnorm, display=display), authored_on, status=status,
                              supply_days=supply_days, dose=dose, id=id)


def administration(drug: dict[str, Any], on: date, *, route: tuple[str, str] | None, dose_mg: float | None = None,
                   id: str | None = None) -> Resource:
    """A MedicationAdministration as an infusion-centre record (US Core has none; shaped
    like the FHIR R4 MedicationAdministration example 'medadmin0301'): one day, with
    dosage.route as a SNOMED CT route code and dosage.dose in mg."""
    found: Resource = {
        "resourceType": "MedicationAdministration",
        "id": id or f"ma-bliss-{next(_ids)}",
        "status": "completed",
        "medicationCodeableConcept": drug,
        "subject": SUBJECT,
        "effectivePeriod": {"start": f"{on.isoformat()}T09:00:00Z", "end": f"{on.isoformat()}T11:00:00Z"},
    }
    given: dict[str, Any] = {}
    if route is not None:
        given["route"] = concept("snomed", *route)
    if dose_mg is not None:
        given["dose"] = {"value": dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
    if given:
        found["dosage"] = given
    return found


def statement_of_text(text: str, start: date | str, end: date | str | None = None, *, status: str = "completed",
                      id: str | None = None) -> Resource:
    """A patient-reported MedicationStatement whose drug is free text only, as Epic's
    MedicationStatement.Read sample sends an outside medication without a code."""
    found: Resource = {
        "resourceType": "MedicationStatement",
        "id": id or f"ms-text-{next(_ids)}",
        "status": status,
        "medicationCodeableConcept": {"text": text},
        "subject": SUBJECT,
        "effectivePeriod": {"start": str(start)} | ({"end": str(end)} if end is not None else {}),
    }
    return found


def upcr(loinc: str, value: float | str, unit: str | None, on: date) -> Resource:
    """A urine protein/creatinine ratio as US Core's Observation Lab example writes a
    result (UCUM valueQuantity); `unit` None sends the number with no unit at all."""
    quantity: dict[str, Any] = {"value": value}
    if unit is not None:
        quantity |= {"unit": unit, "system": UCUM, "code": unit}
    return lab_value(loinc, {"valueQuantity": quantity}, effective={"effectiveDateTime": f"{on.isoformat()}T08:15:00-05:00"})


LOCAL_SCORES = "https://example.org/fhir/CodeSystem/local-scores"


def sledai(score: int, days: int) -> dict:
    """A score as a site's flowsheet row would send it (US Core Observation with a local code)."""
    return {
        "resourceType": "Observation", "id": f"sledai-{score}-{days}", "status": "final",
        "code": {"coding": [{"system": LOCAL_SCORES, "code": "SELENA-SLEDAI"}], "text": "SELENA-SLEDAI"},
        "subject": SUBJECT,
        "effectiveDateTime": days_before(days).isoformat(),
        "valueQuantity": {"value": score, "unit": "{score}", "system": UCUM, "code": "{score}"},
    }


# --- the candidate --------------------------------------------------------------------

HCQ = medication("979092", display="Hydroxychloroquine Sulfate 200 MG Oral Tablet")
# What stays to confirm for the candidate: a disease-activity score has no standard code, and
# participation in a trial of an investigational biologic is not in data.
CANDIDATE_TO_CONFIRM = ["I2", "E3"]


def candidate() -> list[Resource]:
    """A 38-year-old woman with coded SLE (US Core Condition), a positive ANA, on
    hydroxychloroquine since 2019 (Synthea-style MedicationRequest), normal recent renal
    labs and negative HIV, HBsAg, anti-HBc and anti-HCV results (US reference-lab shapes:
    SNOMED CT coded Negative): every computable criterion passes."""
    return [
        patient(birth_date="1988-04-02", gender="female"),
        condition("snomed", "55464009", "Systemic lupus erythematosus", onset="2019-05-01"),
        observation("8061-4", interpretation="POS", on="2019-04-20"),
        medication_request(HCQ, "2019-05-10", dose=dosage(200, per_day=2)),
        observation("2160-0", 0.8, "mg/dL", on=days_before(5)),
        observation("2889-4", 0.3, "g/(24.h)", on=days_before(5)),
        observation("7917-8", value_code=NEGATIVE, on=days_before(5)),
        observation("5195-3", value_code=NEGATIVE, on=days_before(5)),
        observation("16933-4", value_code=NEGATIVE, on=days_before(5)),
        observation("16128-1", value_code=NEGATIVE, on=days_before(5)),
    ]
