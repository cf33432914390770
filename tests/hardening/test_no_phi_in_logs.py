"""No PHI in logs (issue 5, item 5): everything logged during a full run, by any logger at
DEBUG, is one JSON object per line, carries the hookInstance, timings and outcome, and
holds no name, patient id, birth date, value, record code or token.

The patient is the eligible demo patient given identifiers and values that occur
nowhere else (so a match can only be a leak), served once from prefetch and once with
labs fetched from the FHIR server, then feedback and several error paths.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

from hook_settings import (
    ACCESS_TOKEN,
    BEARER,
    FHIR_BASE,
    SERVICE_URL,
    observations_url,
    resources_of,
    searchset,
)
from responses import matchers

from cds.log import JsonLineFormatter

PATIENT_ID = "pt-q7x9zk"
FAMILY, GIVEN = "Quennellworth", "Zephyrine"
# Added to every measured value: each stays in its normal range and becomes unique text.
VALUE_OFFSET = 0.0137
LABS_URL = observations_url(PATIENT_ID)


def distinctive(body: dict[str, Any]) -> dict[str, Any]:
    """The request with the patient's id, name and values replaced by unique text."""
    text = json.dumps(body).replace("demo-eligible", PATIENT_ID)
    text = text.replace('"Demo"', f'"{FAMILY}"').replace('"Alex"', f'"{GIVEN}"')
    body = json.loads(text)
    for value in body["prefetch"].values():
        for resource in resources_of(value) if value and value["resourceType"] == "Bundle" else []:
            if "valueQuantity" in resource:
                resource["valueQuantity"]["value"] = round(resource["valueQuantity"]["value"] + VALUE_OFFSET, 4)
    return body


def secrets_of(body: dict[str, Any]) -> set[str]:
    """Every piece of the request that must not be logged."""
    patient = body["prefetch"]["patient"]
    found = {PATIENT_ID, FAMILY, GIVEN, patient["birthDate"], ACCESS_TOKEN}
    for value in body["prefetch"].values():
        for resource in resources_of(value) if value and value["resourceType"] == "Bundle" else []:
            found.add(resource["id"])
            if "valueQuantity" in resource:
                found.add(str(resource["valueQuantity"]["value"]))
            for concept_key in ("code", "medicationCodeableConcept", "vaccineCode"):
                for coding in resource.get(concept_key, {}).get("coding", []):
                    found.add(coding["code"])
    return found


@contextlib.contextmanager
def json_lines_on_stderr() -> Iterator[None]:
    """Render every record reaching the root logger on stderr, as the deployment does (cds.log).

    Made inside the test, so the handler writes to the stderr that capfd captures.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLineFormatter())
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)


def run_everything(client, hook_request, fhir) -> list[dict[str, Any]]:
    """Serve the patient every way the service can, and return the requests sent."""
    from_prefetch = distinctive(hook_request())
    assert client.post(SERVICE_URL, json=from_prefetch).status_code == 200

    fetched = distinctive(hook_request())
    fetched["hookInstance"] = str(uuid.uuid4())
    labs = resources_of(fetched["prefetch"].pop("observations"))
    fhir.get(LABS_URL, json=searchset(labs), match=[matchers.header_matcher(BEARER)])
    answered = client.post(SERVICE_URL, json=fetched)
    assert answered.status_code == 200

    card = answered.json["cards"][0]
    feedback = {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {"userComment": f"{GIVEN} {FAMILY} declined"},
        "outcomeTimestamp": "2026-06-15T10:05:31Z",
    }
    assert client.post(SERVICE_URL + "/feedback", json={"feedback": [feedback]}).status_code == 200

    failing = distinctive(hook_request())
    failing["hookInstance"] = str(uuid.uuid4())
    del failing["prefetch"]["observations"]
    fhir.get(LABS_URL, status=503, body=f"upstream error for {PATIENT_ID}")
    assert client.post(SERVICE_URL, json=failing).status_code == 200  # answered from the rest of the record

    no_patient = distinctive(hook_request())
    no_patient["hookInstance"] = str(uuid.uuid4())
    del no_patient["prefetch"]["patient"]
    fhir.get(f"{FHIR_BASE}/Patient/{PATIENT_ID}", status=503, body=f"upstream error for {PATIENT_ID}")
    assert client.post(SERVICE_URL, json=no_patient).status_code == 412

    other_patient = distinctive(hook_request())
    other_patient["context"]["patientId"] = "pt-other-1"
    assert client.post(SERVICE_URL, json=other_patient).status_code == 400
    assert client.post("/cds-services/nope", json=from_prefetch).status_code == 404
    bad_feedback = {"feedback": [{**feedback, "card": PATIENT_ID}]}
    assert client.post(SERVICE_URL + "/feedback", json=bad_feedback).status_code == 400
    return [from_prefetch, fetched, failing, no_patient]


def test_a_full_run_logs_json_lines_without_phi(make_app, hook_request, fhir, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()
    with json_lines_on_stderr():
        client = make_app(LOG_LEVEL="DEBUG").test_client()
        sent = run_everything(client, hook_request, fhir)
    out, err = capfd.readouterr()

    lines = err.splitlines()
    assert len(lines) == len(caplog.records) > 0
    entries = [json.loads(line) for line in lines]
    assert all(isinstance(entry, dict) for entry in entries)

    hook_calls = {entry["hookInstance"]: entry for entry in entries if entry["event"] == "hook call"}
    assert set(hook_calls) == {body["hookInstance"] for body in sent}
    outcomes = [hook_calls[body["hookInstance"]]["outcome"] for body in sent]
    assert outcomes == ["ok", "ok", "partial_data", "TRIALCDS-PREFETCH-412"]
    # The log names what could not be had and why, and nothing of what the server said.
    reason = "the FHIR server failed (503 Service Unavailable)"
    assert hook_calls[sent[2]["hookInstance"]]["missing_data"] == [{"key": "observations", "reason": reason}]
    assert hook_calls[sent[3]["hookInstance"]]["missing_data"] == [{"key": "patient", "reason": reason}]
    assert all(isinstance(entry["total_ms"], int) for entry in hook_calls.values())
    assert all(isinstance(entry["gather_ms"], int) for entry in list(hook_calls.values())[:2])

    raw = [record.getMessage() + repr(getattr(record, "fields", "")) + repr(record.args) for record in caplog.records]
    everything = "\n".join([out, err, caplog.text, *raw])
    leaked = sorted(secret for secret in secrets_of(sent[0]) if secret in everything)
    assert leaked == []
