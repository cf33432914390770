"""The loader's rewrite of transaction bundles, on real public bundles (no server involved)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cds.fhir_loader import BundleLoadError, as_put_transaction, read_bundle

INFERNO_85 = "inferno-reference-server-uscore/uscore_bundle_patient_85.json.gz"
SYNTHEA = "smart-generated-sample-data-r4/Samira_Parisian_0b00570a-5882-4bb7-98da-25109c3c001a.json.gz"


@pytest.mark.parametrize("name", [INFERNO_85, SYNTHEA])
def test_every_entry_becomes_a_put_of_its_own_id_and_no_urn_reference_is_left(name: str, external_data: Path) -> None:
    original = read_bundle(external_data / name)

    rewritten = as_put_transaction(original)

    for before, after in zip(original["entry"], rewritten["entry"], strict=True):
        resource = after["resource"]
        assert after["request"] == {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
        if before["resource"].get("id"):
            assert resource["id"] == before["resource"]["id"]
    assert '"reference": "urn:' not in json.dumps(rewritten)
    assert original == read_bundle(external_data / name), "the caller's bundle must not be changed"


def test_references_to_a_put_patient_under_a_urn_fullurl_point_to_its_id(external_data: Path) -> None:
    """Inferno's bundle PUTs Patient/85 under a urn:uuid fullUrl that the other entries reference."""
    rewritten = as_put_transaction(read_bundle(external_data / INFERNO_85))

    subjects = {
        e["resource"]["subject"]["reference"]
        for e in rewritten["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    assert subjects == {"Patient/85"}


def test_a_resource_without_id_takes_the_uuid_of_its_fullurl() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{
            "fullUrl": "urn:uuid:0f1c2d3e-4b5a-4c6d-8e7f-901234567890",
            "resource": {"resourceType": "Patient", "gender": "female"},
            "request": {"method": "POST", "url": "Patient"},
        }],
    }

    (entry,) = as_put_transaction(bundle)["entry"]

    assert entry["resource"]["id"] == "0f1c2d3e-4b5a-4c6d-8e7f-901234567890"
    assert entry["request"]["url"] == "Patient/0f1c2d3e-4b5a-4c6d-8e7f-901234567890"


def test_a_collection_bundle_is_refused_with_its_type() -> None:
    with pytest.raises(BundleLoadError, match="Bundle.type is 'collection'"):
        as_put_transaction({"resourceType": "Bundle", "type": "collection", "entry": []})


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        ("broken.json.gz", b"not gzip", "cannot read a JSON bundle"),
        ("broken.json", b"{", "cannot read a JSON bundle"),
        ("patient.json", json.dumps({"resourceType": "Patient"}).encode(), "not a FHIR Bundle"),
    ],
)
def test_an_unreadable_file_is_a_load_error(tmp_path: Path, file_name: str, content: bytes, message: str) -> None:
    path = tmp_path / file_name
    path.write_bytes(content)

    with pytest.raises(BundleLoadError, match=message):
        read_bundle(path)


def test_a_gzipped_bundle_reads_like_a_plain_one(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(json.dumps(bundle).encode()))

    assert read_bundle(tmp_path / "b.json.gz") == read_bundle(tmp_path / "b.json") == bundle
