"""Generate a long-record lupus patient of a chosen size, and hook requests that carry her.

The benchmark needs records shaped like real ones (years of labs across many LOINC codes,
renewed prescriptions, resolved episodes), not random JSON: the engine's cost depends on
how many resources match a criterion's codes and how many do not. What the patient has
and in what proportions is data (`patient_profile.yaml`, with sources); this module only
lays it out in time. Output is deterministic for a given size, date and seed, so two runs
measure the same work.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml

from cds.demo.requests import searchset
from cds.record.templates import PrefetchTemplate
from fhir_mappings.codes import CVX, LOINC, RXNORM, SNOMED, SYSTEM_BY_ALIAS, UCUM

Resource = dict[str, Any]

PROFILE_PATH = Path(__file__).with_name("patient_profile.yaml")
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
# Days between the most recent visit and the evaluation date: the latest results then fall
# well inside every 90-day look-back window.
LAST_VISIT_BEFORE_AS_OF_DAYS = 7
DAYS_PER_YEAR = 365


@cache
def load_profile() -> dict[str, Any]:
    """The patient profile (codes, shares, value ranges), read once."""
    with PROFILE_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _category(code: str) -> list[dict[str, Any]]:
    return [_status(OBSERVATION_CATEGORY, code)]


@dataclass
class _Builder:
    """Lays out one patient's resources in time, numbering ids as it goes."""

    patient_id: str
    as_of: date
    rng: random.Random
    counter: int = 0

    def _new(self, resource_type: str) -> Resource:
        self.counter += 1
        return {"resourceType": resource_type, "id": f"{self.patient_id}-{self.counter}"}

    @property
    def subject(self) -> dict[str, str]:
        """The reference every resource of the record carries to its patient."""
        return {"reference": f"Patient/{self.patient_id}"}

    def visit_day(self, visit: int) -> date:
        """The date of visit `visit`, counted back from the most recent one (0)."""
        interval = load_profile()["visit_interval_days"]
        return self.as_of - timedelta(days=LAST_VISIT_BEFORE_AS_OF_DAYS + visit * interval)

    def patient(self) -> Resource:
        """The Patient resource."""
        spec = load_profile()["patient"]
        birth = self.as_of.replace(year=self.as_of.year - spec["age_years"]) - timedelta(days=100)
        return {
            "resourceType": "Patient",
            "id": self.patient_id,
            "name": [{"family": "Benchmark", "given": ["Lupus"]}],
            "gender": spec["gender"],
            "birthDate": birth.isoformat(),
        }

    def quantity_observation(self, spec: dict[str, Any], day: date, category: str) -> Resource:
        """One numeric result with a UCUM quantity (and a reference range when the profile gives one)."""
        low, high = spec["range"]
        value = round(self.rng.uniform(low, high), 2)
        obs = self._observation(spec, day, category)
        obs["valueQuantity"] = {"value": value, "unit": spec["unit"], "system": UCUM, "code": spec["unit"]}
        if "reference_high" in spec:
            high_quantity = {"value": spec["reference_high"], "unit": spec["unit"], "system": UCUM, "code": spec["unit"]}
            obs["referenceRange"] = [{"high": high_quantity}]
        return obs

    def coded_observation(self, spec: dict[str, Any], day: date) -> Resource:
        """One qualitative result whose value is a SNOMED CT qualifier."""
        obs = self._observation(spec, day, "laboratory")
        obs["valueCodeableConcept"] = _coding(SNOMED, spec["value"]["code"], spec["value"]["display"])
        return obs

    def _observation(self, spec: dict[str, Any], day: date, category: str) -> Resource:
        code = spec["code"]
        system, code, display = (
            (SYSTEM_BY_ALIAS[code["system"]], code["code"], code["display"])
            if isinstance(code, dict)
            else (LOINC, code, spec["display"])
        )
        obs = self._new("Observation")
        obs.update(
            status="final",
            category=_category(category),
            code=_coding(system, code, display),
            subject=self.subject,
            effectiveDateTime=f"{day.isoformat()}T09:30:00+00:00",
            issued=f"{day.isoformat()}T14:00:00.000+00:00",
        )
        return obs

    def condition(self, spec: dict[str, Any], onset: date, abated: date | None) -> Resource:
        """A Condition: resolved with its abatement date, or active without one."""
        code = spec["code"] if isinstance(spec["code"], dict) else {"system": "snomed", **spec}
        condition = self._new("Condition")
        condition.update(
            clinicalStatus=_status(CONDITION_CLINICAL, "resolved" if abated else "active"),
            verificationStatus=_status(CONDITION_VERIFICATION, "confirmed"),
            category=[_status(CONDITION_CATEGORY, "encounter-diagnosis")],
            code=_coding(SYSTEM_BY_ALIAS[code["system"]], code["code"], code["display"]),
            subject=self.subject,
            onsetDateTime=onset.isoformat(),
            recordedDate=onset.isoformat(),
        )
        if abated:
            condition["abatementDateTime"] = abated.isoformat()
        return condition

    def medication_request(self, spec: dict[str, Any], authored: date, active: bool) -> Resource:
        """One renewal of a standing prescription, valid until the next visit."""
        interval = load_profile()["visit_interval_days"]
        request = self._new("MedicationRequest")
        request.update(
            status="active" if active else "completed",
            intent="order",
            medicationCodeableConcept=_coding(RXNORM, spec["code"], spec["display"]),
            subject=self.subject,
            authoredOn=authored.isoformat(),
            dosageInstruction=[
                {
                    "timing": {"repeat": {"frequency": spec["dose_per_day"], "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}],
                }
            ],
            dispenseRequest={
                "validityPeriod": {
                    "start": authored.isoformat(),
                    "end": (authored + timedelta(days=interval)).isoformat(),
                }
            },
        )
        return request

    def procedure(self, spec: dict[str, Any], day: date) -> Resource:
        """A completed procedure."""
        procedure = self._new("Procedure")
        procedure.update(
            status="completed",
            code=_coding(SNOMED, spec["code"], spec["display"]),
            subject=self.subject,
            performedDateTime=f"{day.isoformat()}T10:00:00+00:00",
        )
        return procedure

    def immunization(self, spec: dict[str, Any], day: date) -> Resource:
        """A completed immunization."""
        immunization = self._new("Immunization")
        immunization.update(
            status="completed",
            vaccineCode=_coding(CVX, spec["code"], spec["display"]),
            patient=self.subject,
            occurrenceDateTime=f"{day.isoformat()}T10:00:00+00:00",
            primarySource=True,
        )
        return immunization


def _counts(size: int) -> dict[str, int]:
    """How many resources of each kind a record of `size` resources holds."""
    others = size - 1
    counts = {kind: max(1, round(others * share)) for kind, share in load_profile()["shares"].items()}
    counts["labs"] = others - sum(counts.values())
    if counts["labs"] < 1:
        raise ValueError(f"a record of {size} resources is too small for the profile")
    return counts


def _labs(builder: _Builder, budget: int) -> Iterator[Resource]:
    """Lab results visit by visit, newest first: a panel per visit, qualitative tests yearly."""
    profile = load_profile()
    panels = profile["panels"]
    visits_per_year = DAYS_PER_YEAR // profile["visit_interval_days"]
    emitted, visit = 0, 0
    while emitted < budget:
        day = builder.visit_day(visit)
        specs = list(panels[visit % len(panels)]["results"])
        qualitative = profile["yearly_qualitative"] if visit % visits_per_year == 0 else []
        for spec in [*specs, *qualitative][: budget - emitted]:
            yield builder.coded_observation(spec, day) if "value" in spec else builder.quantity_observation(
                spec, day, "laboratory"
            )
            emitted += 1
        visit += 1


def _conditions(builder: _Builder, count: int) -> Iterator[Resource]:
    profile = load_profile()
    episodic = profile["episodic_conditions"]
    yield builder.condition(profile["diagnosis"], builder.visit_day(count * 2), None)
    for index in range(count - 1):
        spec = episodic[index % len(episodic)]
        onset = builder.visit_day(index + 4)
        yield builder.condition(spec, onset, onset + timedelta(days=spec["days"]))


def generate_patient(size: int, as_of: date, seed: int = 0, patient_id: str | None = None) -> list[Resource]:
    """Exactly `size` valid FHIR R4 resources of one patient, the Patient first.

    `patient_id` (default `bench-<size>`) also prefixes every resource id, so several
    patients of one size can sit on one FHIR server.

    :raise ValueError: `size` is too small to hold one resource of each kind.
    """
    counts = _counts(size)
    builder = _Builder(patient_id or f"bench-{size}", as_of, random.Random(seed))
    profile = load_profile()
    resources = [builder.patient()]
    resources.extend(_labs(builder, counts["labs"]))
    weight = profile["body_weight"]
    resources.extend(
        builder.quantity_observation(weight, builder.visit_day(visit), "vital-signs")
        for visit in range(counts["body_weight"])
    )
    resources.extend(_conditions(builder, counts["Condition"]))
    drugs = profile["medications"]
    resources.extend(
        builder.medication_request(drugs[index % len(drugs)], builder.visit_day(index // len(drugs)), index < len(drugs))
        for index in range(counts["MedicationRequest"])
    )
    procedures = profile["procedures"]
    resources.extend(
        builder.procedure(procedures[index % len(procedures)], builder.visit_day(index)) for index in range(counts["Procedure"])
    )
    vaccines = profile["immunizations"]
    visits_per_year = DAYS_PER_YEAR // profile["visit_interval_days"]
    resources.extend(
        builder.immunization(vaccines[index % len(vaccines)], builder.visit_day(1 + index * visits_per_year))
        for index in range(counts["Immunization"])
    )
    return resources


def _tokens(concepts: list[Resource]) -> set[str]:
    """The search tokens of CodeableConcepts: each coding's `code` and `system|code`."""
    codings = [c for concept in concepts for c in concept.get("coding", ())]
    return {c["code"] for c in codings} | {f"{c.get('system')}|{c['code']}" for c in codings}


# Token search parameters the published templates use, and the elements each one matches
# (FHIR R4 Observation search: `combo-code` is Observation.code | Observation.component.code).
_TOKEN_ELEMENTS: dict[str, Callable[[Resource], list[Resource]]] = {
    "category": lambda r: r.get("category") or [],
    "code": lambda r: [r["code"]] if "code" in r else [],
    "combo-code": lambda r: ([r["code"]] if "code" in r else []) + [c["code"] for c in r.get("component", ())],
}


def server_returns(template: PrefetchTemplate, resource: Resource) -> bool:
    """Whether a FHIR server would return `resource` for the template's search.

    Only the parameters the published templates use besides `patient` are read:
    `category`, `code` and `combo-code` (token `system|code`, a comma separating values that
    are OR-ed, as FHIR search defines), and `_include` targets by type.
    """
    if resource["resourceType"] not in template.resource_types:
        return False
    if template.is_read or resource["resourceType"] != template.resource_type:
        return True
    for name, value in parse_qsl(template.query.split("?", 1)[1]):
        if name in _TOKEN_ELEMENTS and _tokens(_TOKEN_ELEMENTS[name](resource)).isdisjoint(value.split(",")):
            return False
    return True


def prefetch_for(templates: tuple[PrefetchTemplate, ...], resources: list[Resource]) -> dict[str, Resource]:
    """Every prefetch key filled as a client with full prefetch would fill it."""
    prefetch: dict[str, Resource] = {}
    for template in templates:
        found = [r for r in resources if server_returns(template, r)]
        prefetch[template.key] = found[0] if template.is_read else searchset(found)
    return prefetch


def hook_request(
    patient_id: str, prefetch: dict[str, Resource] | None = None, fhir_server: str | None = None,
    access_token: str | None = None,
) -> Resource:
    """A patient-view hook request, with full prefetch or none (then the service fetches)."""
    request: Resource = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": patient_id},
    }
    if fhir_server is not None:
        request["fhirServer"] = fhir_server
    if access_token is not None:
        request["fhirAuthorization"] = {
            "access_token": access_token, "token_type": "Bearer", "expires_in": 300,
            "scope": "patient/*.read", "subject": "trialcds-bench",
        }
    if prefetch is not None:
        request["prefetch"] = prefetch
    return request


def transaction_bundle(resources: list[Resource]) -> Resource:
    """A transaction Bundle that PUTs every resource with its id (to load a FHIR server)."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in resources
        ],
    }
