"""The patients the end-to-end suite loads: the demo patients and a selection of the shared data."""

from __future__ import annotations

import datetime
from pathlib import Path

from cds.demo.requests import demo_names, demo_resources, demo_transaction
from cds.fhir_loader import as_put_transaction, read_bundle

# The evaluation date the service is pinned to (TRIALCDS_AS_OF): inside the generated lupus
# patients' data, which reaches November 2026, so recent-result criteria have data to read.
AS_OF = datetime.date(2026, 6, 15)
DEMO_PREFIX = "demo/"
# A selection of ../shared/data/external small enough to load in well under a minute on the 2-core CI
# machine (sources: each folder's SOURCE.md and manifest.json).
EXTERNAL_BUNDLES = (
    # generated SLE patients (lupus onset 2016 and 2022) and a female control without lupus
    "pysynthea-lupus-forced/Chin_Fisher_f17cc14a.json.gz",
    "pysynthea-lupus-forced/Victoria_Aguirre_c61dd25d.json.gz",
    "pysynthea-lupus-forced/Yolanda_Ulloa_7921b4ce.json.gz",
    # US Core-profiled patients; 355's bundle holds a non-conformant Observation.effectivePeriod.stop
    "inferno-reference-server-uscore/uscore_bundle_patient_85.json.gz",
    "inferno-reference-server-uscore/uscore_bundle_patient_355.json.gz",
    # Synthea (SMART sample data): women of several ages, one deceased, and the patient with the most
    # observations in the set (456), whose searches span many pages
    "smart-generated-sample-data-r4/Samira_Parisian_0b00570a-5882-4bb7-98da-25109c3c001a.json.gz",
    "smart-generated-sample-data-r4/Veta_Nitzsche_2df90d6d-67fe-4c32-a43a-06562b9f7384.json.gz",
    "smart-generated-sample-data-r4/Loria_Jenkins_15680db8-cb5e-42bf-b6cf-43a92be01130.json.gz",
    "smart-generated-sample-data-r4/Stewart_Stanton_e1c92057-888b-4d8a-a459-5c1c4eed82c7.json.gz",
)
# SLE patients with hundreds of laboratory results (545 and 360) and a card at AS_OF: paging them
# finely spreads evidence the evaluation reads over many pages.
MANY_RESULTS_BUNDLES = (
    "pysynthea-lupus-forced/Chin_Fisher_f17cc14a.json.gz",
    "pysynthea-lupus-forced/Victoria_Aguirre_c61dd25d.json.gz",
)


def case_labels() -> list[str]:
    """Every patient the suite loads, by label: `demo/<name>`, then the external bundles' paths."""
    return [*(f"{DEMO_PREFIX}{name}" for name in demo_names()), *EXTERNAL_BUNDLES]


def case_patient_id(label: str, external_data: Path) -> str:
    """The patient id behind a label from `case_labels()`."""
    if label.startswith(DEMO_PREFIX):
        return demo_resources(label.removeprefix(DEMO_PREFIX), AS_OF)["patient"][0]["id"]
    (patient_id,) = patient_ids(external_data / label)
    return patient_id


def demo_bundle() -> dict:
    """The demo patients' transaction, dated for the service's evaluation date."""
    return demo_transaction(demo_names(), AS_OF)


def patient_ids(bundle_path: Path) -> list[str]:
    """The ids of the Patient resources a bundle file stores, as the loader keeps them."""
    bundle = as_put_transaction(read_bundle(bundle_path))
    return [
        entry["resource"]["id"]
        for entry in bundle.get("entry", [])
        if entry.get("resource", {}).get("resourceType") == "Patient"
    ]
