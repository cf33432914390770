"""Property-based fuzzing of the hook endpoint (issue 5, item 6).

Generated bodies: arbitrary bytes and JSON, valid requests with one element anywhere
replaced or removed, and prefetch filled with FHIR-shaped resources whose fields hold
arbitrary values, in Bundles of any type with any links. Whatever arrives, the answer
is never a 500, an error body is a JSON OperationOutcome, a 200 carries a `cards`
list, and the only server ever called is the allow-listed FHIR base.

tests/http/test_validation.py already replaces whole top-level fields and whole
prefetch values; these go deeper, into the resources and the Bundles.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import responses
from flask import Flask
from hook_settings import ACCESS_TOKEN, AS_OF, FHIR_BASE, SERVICE_URL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.demo.requests import demo_names, demo_request

FUZZ_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)

# Prefetch keys with the resource types their Bundles hold (cds/record/prefetch_templates.yaml).
BUNDLE_KEYS = {
    "conditions": "Condition",
    "observations": "Observation",
    "medicationStatements": "MedicationStatement",
    "medicationRequests": "MedicationRequest",
    "medicationAdministrations": "MedicationAdministration",
    "medicationDispenses": "MedicationDispense",
    "procedures": "Procedure",
    "immunizations": "Immunization",
    "allergies": "AllergyIntolerance",
}
# Elements the fact extractors read, each filled with well-typed or arbitrary values.
CODINGS = st.fixed_dictionaries(
    {"system": st.sampled_from(["http://loinc.org", "http://snomed.info/sct", "http://hl7.org/fhir/sid/cvx"])},
    optional={"code": st.sampled_from(["718-7", "8061-4", "55464009", "121", "2160-0"]) | JSON_VALUES},
)
CONCEPT = st.fixed_dictionaries({}, optional={"coding": st.lists(CODINGS, max_size=2) | JSON_VALUES, "text": JSON_VALUES})
DATES = st.sampled_from(["2026-06-01", "2026-06", "2026", "2026-06-01T10:00:00Z", "2026-13-45", "yesterday", ""])
QUANTITY = st.fixed_dictionaries(
    {},
    optional={
        "value": st.integers() | st.floats(allow_nan=False) | JSON_VALUES,
        "unit": st.sampled_from(["g/dL", "g/L", "mg/dL", "10*3/uL", "kg", "%"]) | JSON_VALUES,
        "system": st.just("http://unitsofmeasure.org"),
        "code": st.sampled_from(["g/dL", "g/L", "mg/dL", "10*3/uL", "kg"]) | JSON_VALUES,
    },
)
ELEMENTS = {
    "status": st.sampled_from(["final", "active", "completed", "entered-in-error", "stopped"]) | JSON_VALUES,
    "code": CONCEPT | JSON_VALUES,
    "category": st.lists(CONCEPT, max_size=2) | JSON_VALUES,
    "clinicalStatus": CONCEPT,
    "verificationStatus": CONCEPT,
    "valueQuantity": QUANTITY | JSON_VALUES,
    "valueCodeableConcept": CONCEPT,
    "valueString": JSON_VALUES,
    "interpretation": st.lists(CONCEPT, max_size=2),
    "medicationCodeableConcept": CONCEPT | JSON_VALUES,
    "vaccineCode": CONCEPT | JSON_VALUES,
    "subject": st.fixed_dictionaries({"reference": st.sampled_from(["Patient/demo-eligible", "Patient/x"])}),
    "effectiveDateTime": DATES | JSON_VALUES,
    "effectivePeriod": st.fixed_dictionaries({}, optional={"start": DATES, "end": DATES}) | JSON_VALUES,
    "onsetDateTime": DATES,
    "occurrenceDateTime": DATES | JSON_VALUES,
    "authoredOn": DATES | JSON_VALUES,
    "performedDateTime": DATES,
    "medicationReference": st.fixed_dictionaries({}, optional={"reference": st.sampled_from(
        ["#m1", "Medication/m1", "urn:uuid:0d5c1c61-0000-4000-8000-000000000002"]) | JSON_VALUES, "display": JSON_VALUES})
    | JSON_VALUES,
    "contained": st.lists(st.fixed_dictionaries({"resourceType": st.just("Medication"), "id": st.just("m1")},
                                                optional={"code": CONCEPT | JSON_VALUES, "ingredient": JSON_VALUES}),
                          max_size=1) | JSON_VALUES,
    "whenHandedOver": DATES | JSON_VALUES,
    "daysSupply": QUANTITY | JSON_VALUES,
    "dispenseRequest": JSON_VALUES,
    "dosageInstruction": JSON_VALUES,
    "dosage": JSON_VALUES,
    "component": JSON_VALUES,
}


def fhir_resource(resource_type: str) -> st.SearchStrategy[dict[str, Any]]:
    """A resource of this type with an id and any subset of the elements above."""
    return st.fixed_dictionaries(
        {"resourceType": st.just(resource_type), "id": st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)},
        optional=ELEMENTS,
    )


def entries(resources: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[list[Any]]:
    """Bundle entries: mostly well-formed, some without a resource, some not objects."""
    entry = st.one_of(
        resources.map(lambda r: {"resource": r, "search": {"mode": "match"}}),
        resources.map(lambda r: {"resource": r, "search": {"mode": "include"}}),
        st.fixed_dictionaries({"search": st.just({"mode": "outcome"})}),
        JSON_VALUES,
    )
    return st.lists(entry, max_size=4)


def bundles(resource_type: str) -> st.SearchStrategy[dict[str, Any]]:
    """A Bundle of any type, with any `next` link, holding resources of this type."""
    links = st.lists(
        st.fixed_dictionaries(
            {
                "relation": st.sampled_from(["next", "self", "previous"]),
                "url": st.sampled_from(
                    [f"{FHIR_BASE}?page=2", "https://attacker.example.net/fhir?page=2", f"{FHIR_BASE}/../x", "page=2"]
                )
                | JSON_VALUES,
            }
        ),
        max_size=2,
    )
    return st.fixed_dictionaries(
        {"resourceType": st.just("Bundle")},
        optional={
            "type": st.sampled_from(["searchset", "collection", "transaction", "batch", "history", "document"])
            | JSON_VALUES,
            "entry": entries(fhir_resource(resource_type)) | JSON_VALUES,
            "link": links | JSON_VALUES,
            "total": JSON_VALUES,
        },
    )


def paths_in(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and list indexes) to an element of a JSON value."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths_in(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths_in(item, (*prefix, index)))
    return found


def base_request(name: str) -> dict[str, Any]:
    body = copy.deepcopy(demo_request(name, AS_OF))
    body["fhirServer"] = FHIR_BASE
    body["fhirAuthorization"] = {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "scope": "patient/*.read"}
    return body


@pytest.fixture
def post(app: Flask) -> Callable[..., Any]:
    """Post to the hook endpoint and check the answer's invariants; return the response."""
    client = app.test_client()

    def send(**kwargs: Any) -> Any:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as fhir:
            response = client.post(SERVICE_URL, **kwargs)
        assert response.status_code in {200, 400, 412, 413}, response.get_data(as_text=True)
        body = json.loads(response.get_data())
        if response.status_code == 200:
            assert isinstance(body["cards"], list)
        else:
            assert body["resourceType"] == "OperationOutcome" and body["issue"]
        assert all(str(call.request.url).startswith(FHIR_BASE + "/") for call in fhir.calls)
        return response

    return send


@FUZZ_SETTINGS
@given(raw=st.binary(max_size=200))
def test_any_bytes(post, raw):
    post(data=raw, content_type="application/json")


@FUZZ_SETTINGS
@given(value=JSON_VALUES)
def test_any_json_document(post, value):
    post(json=value)


@FUZZ_SETTINGS
@given(name=st.sampled_from(demo_names()), data=st.data())
def test_valid_request_with_one_element_replaced_or_removed(post, name, data):
    body = base_request(name)
    path = data.draw(st.sampled_from(paths_in(body)))
    *parents, last = path
    holder = body
    for step in parents:
        holder = holder[step]
    if data.draw(st.booleans()):
        holder[last] = data.draw(JSON_VALUES)
    elif isinstance(holder, dict):
        del holder[last]
    else:
        holder.pop(last)
    post(json=body)


@FUZZ_SETTINGS
@given(
    name=st.sampled_from(demo_names()),
    key=st.sampled_from(sorted(BUNDLE_KEYS)),
    data=st.data(),
)
def test_fhir_shaped_resources_in_prefetch(post, name, key, data):
    body = base_request(name)
    resources = data.draw(st.lists(fhir_resource(BUNDLE_KEYS[key]), min_size=1, max_size=4))
    bundle = body["prefetch"][key] or {"resourceType": "Bundle", "type": "searchset", "entry": []}
    bundle["entry"] = [*bundle["entry"], *({"resource": r} for r in resources)]
    body["prefetch"][key] = bundle
    post(json=body)


@FUZZ_SETTINGS
@given(key=st.sampled_from(sorted(BUNDLE_KEYS)), data=st.data())
def test_bundles_of_any_type_and_links(post, key, data):
    body = base_request("eligible")
    body["prefetch"][key] = data.draw(bundles(BUNDLE_KEYS[key]))
    post(json=body)


@FUZZ_SETTINGS
@given(patient=fhir_resource("Patient").map(lambda p: {**p, "id": "demo-eligible"}), birth=JSON_VALUES | DATES)
def test_any_patient_resource(post, patient, birth):
    body = base_request("eligible")
    body["prefetch"]["patient"] = {**patient, "birthDate": birth, "gender": "female"}
    post(json=body)
