"""Build the demo patients' resources and their patient-view requests from patients.yaml.

The file writes dates relative to the evaluation date, so the README's demo gives the
same decisions on any day: build with `as_of` = the date the service evaluates on.
"""

from __future__ import annotations

import copy
import datetime
import re
import uuid
from functools import cache
from importlib import resources
from typing import Any


from cds.record.templates import load_templates
from fhir_mappings.yaml_data import load_yaml

Resource = dict[str, Any]
_DAYS = re.compile(r"@D([+-]\d+)")
_YEARS = re.compile(r"@Y-(\d+)")
DEMO_USER = "Practitioner/demo-practitioner"
_LOINC = "http://loinc.org"
_UCUM = "http://unitsofmeasure.org"
_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


@cache
def _data() -> dict[str, Any]:
    return load_yaml(resources.files("cds.demo").joinpath("patients.yaml").read_text("utf-8"))


def demo_names() -> tuple[str, ...]:
    """The demo patients' names (eligible, ineligible, washout, missing-labs)."""
    return tuple(_data()["patients"])


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _resolve(value: Any, as_of: datetime.date, patient_id: str) -> Any:
    """Replace @D±n, @Y-n, @PATIENT and @ID markers anywhere in a resource."""
    if isinstance(value, dict):
        return {key: _resolve(item, as_of, patient_id) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, as_of, patient_id) for item in value]
    if not isinstance(value, str):
        return value
    if match := _DAYS.fullmatch(value):
        return (as_of + datetime.timedelta(days=int(match.group(1)))).isoformat()
    if match := _YEARS.fullmatch(value):
        return _years_before(as_of, int(match.group(1))).isoformat()
    return {"@PATIENT": f"Patient/{patient_id}", "@ID": patient_id}.get(value, value)


def _lab_shell(resource: Resource, loinc: str, display: str) -> Resource:
    return {
        "resourceType": "Observation",
        "id": resource["id"],
        "status": "final",
        "category": [{"coding": [{"system": _CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [{"system": _LOINC, "code": loinc, "display": display}]},
        "subject": {"reference": "@PATIENT"},
        "effectiveDateTime": _data()["lab_effective"],
    }


def _expand(resource: Resource) -> Resource:
    """Expand the `_lab` and `_coded_lab` shorthands into full Observations."""
    if "_lab" in resource:
        loinc, display, value, unit, ucum = resource["_lab"]
        full = _lab_shell(resource, loinc, display)
        full["valueQuantity"] = {"value": value, "unit": unit, "system": _UCUM, "code": ucum}
        return full
    if "_coded_lab" in resource:
        loinc, display, interpretation, text = resource["_coded_lab"]
        full = _lab_shell(resource, loinc, display)
        full["valueString"] = text
        full["interpretation"] = [{"coding": [{"system": _INTERPRETATION, "code": interpretation, "display": text}]}]
        return full
    return copy.deepcopy(resource)


def demo_resources(name: str, as_of: datetime.date) -> dict[str, list[Resource]]:
    """The demo patient's resources, by prefetch key, dated for `as_of`.

    :raise KeyError: no demo patient has that name.
    """
    data = _data()
    patient = data["patients"][name]
    patient_id = patient["id"]
    by_key: dict[str, list[Resource]] = {}
    for key, base in data["base"].items():
        replacements = patient.get("replace", {}).get(key, {})
        by_key[key] = [_expand(replacements.get(r["id"], r)) for r in base]
    for key in patient.get("without", []):
        by_key[key] = []
    for key, added in patient.get("add", {}).items():
        by_key.setdefault(key, []).extend(_expand(r) for r in added)
    for resources_of_key in by_key.values():
        for resource in resources_of_key:
            if resource["resourceType"] != "Patient":
                resource["id"] = f"{patient_id}-{resource['id']}"
    return _resolve(by_key, as_of, patient_id)


def searchset(resources: list[Resource]) -> Resource:
    """A searchset Bundle of resources as a FHIR server returns a search (all `match`)."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, r['resourceType'] + '/' + r['id'])}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def demo_request(name: str, as_of: datetime.date, fhir_server: str | None = None) -> dict[str, Any]:
    """A patient-view request with every prefetch key filled (null where no data).

    With `fhir_server`, the request carries no prefetch and names that server instead,
    so the service fetches everything itself (the demo FHIR server needs no token).
    """
    by_key = demo_resources(name, as_of)
    patient = by_key["patient"][0]
    if fhir_server is not None:
        return {
            "hookInstance": str(uuid.uuid4()),
            "hook": "patient-view",
            "fhirServer": fhir_server,
            "context": {"userId": DEMO_USER, "patientId": patient["id"]},
        }
    prefetch: dict[str, Resource | None] = {}
    for template in load_templates():
        found = by_key.get(template.key, [])
        if template.is_read:
            prefetch[template.key] = found[0] if found else None
        else:
            prefetch[template.key] = searchset(found) if found else None
    return {
        "hookInstance": str(uuid.uuid4()),
        "hook": "patient-view",
        "context": {"userId": DEMO_USER, "patientId": patient["id"]},
        "prefetch": prefetch,
    }


def demo_transaction(names: tuple[str, ...], as_of: datetime.date) -> Resource:
    """A FHIR transaction Bundle that PUTs the demo patients (keeping their ids)."""
    entries = []
    for name in names:
        for resources_of_key in demo_resources(name, as_of).values():
            for resource in resources_of_key:
                url = f"{resource['resourceType']}/{resource['id']}"
                entries.append({"resource": resource, "request": {"method": "PUT", "url": url}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
