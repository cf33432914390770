"""Generate a population as a FHIR Bulk Data export: `.ndjson.gz` per resource type and a manifest.

Two kinds of population: the mixed one of `population_profile.yaml` (most patients without
lupus, shaped like Synthea's), and an all-lupus one where every patient has a long generated
SLE record (`bench/generate.py`). Output is deterministic for a given size, date and seed.

    .venv/bin/python -m bench.population_generate OUT_DIR --patients 10000
"""

from __future__ import annotations

import gzip
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import IO, Any

import click
import orjson
import yaml

from bench.generate import CONDITION_CLINICAL, OBSERVATION_CATEGORY, generate_patient
from fhir_mappings.codes import CVX, LOINC, RXNORM, SNOMED, UCUM

Resource = dict[str, Any]
PROFILE_PATH = Path(__file__).with_name("population_profile.yaml")
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
ENCOUNTER_CLASS = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
EXPORT_URL = "https://bulk.example.org/fhir/bulk-files"
DAYS_OF_HISTORY = 3650


@cache
def load_profile() -> dict[str, Any]:
    """The population profile, read once."""
    return yaml.safe_load(PROFILE_PATH.read_text(encoding="utf-8"))


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


@dataclass
class _Person:
    """Lays out one patient's resources over the last ten years."""

    pid: str
    as_of: date
    rng: random.Random
    counter: int = 0
    encounters: list[str] = field(default_factory=list)

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def new(self, resource_type: str) -> Resource:
        self.counter += 1
        return {"resourceType": resource_type, "id": f"{self.pid}-{self.counter}"}

    def day(self) -> date:
        return self.as_of - timedelta(days=self.rng.randrange(1, DAYS_OF_HISTORY))

    def pick(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        return self.rng.choices(items, weights=[i["weight"] for i in items])[0]

    def patient(self) -> Resource:
        profile = load_profile()
        age = self.rng.randrange(1, 90)
        found: Resource = {
            "resourceType": "Patient", "id": self.pid,
            "name": [{"use": "official", "family": f"Family{self.rng.randrange(9999)}", "given": ["Pat"]}],
            "gender": self.rng.choice(("female", "male")),
            "birthDate": (self.as_of - timedelta(days=365 * age + self.rng.randrange(365))).isoformat(),
            "address": [{"city": "Springfield", "state": "MA", "country": "US"}],
        }
        if self.rng.random() < profile["deceased_share"]:
            found["deceasedDateTime"] = f"{self.day().isoformat()}T12:00:00+00:00"
        return found

    def observation(self) -> Resource:
        spec = self.pick(load_profile()["observations"])
        low, high = spec["range"]
        when = self.day().isoformat()
        found = self.new("Observation")
        found.update(
            status="final",
            category=[{"coding": [{"system": OBSERVATION_CATEGORY, "code": spec["category"]}]}],
            code=_concept(LOINC, spec["code"], spec["display"]),
            subject=self.subject,
            effectiveDateTime=f"{when}T09:30:00+00:00",
            issued=f"{when}T14:00:00.000+00:00",
            valueQuantity={"value": round(self.rng.uniform(low, high), 1), "unit": spec["unit"], "system": UCUM,
                           "code": spec["unit"]},
        )
        return found

    def condition(self) -> Resource:
        spec = self.pick(load_profile()["conditions"])
        onset = self.day()
        found = self.new("Condition")
        resolves = spec.get("resolves_after_days")
        found.update(
            clinicalStatus={"coding": [{"system": CONDITION_CLINICAL, "code": "resolved" if resolves else "active"}]},
            code=_concept(SNOMED, spec["code"], spec["display"]), subject=self.subject,
            onsetDateTime=onset.isoformat(), recordedDate=onset.isoformat(),
        )
        if resolves:
            found["abatementDateTime"] = (onset + timedelta(days=resolves)).isoformat()
        return found

    def medication_request(self) -> Resource:
        spec = self.pick(load_profile()["medications"])
        found = self.new("MedicationRequest")
        found.update(status="completed", intent="order", medicationCodeableConcept=_concept(RXNORM, spec["code"], spec["display"]),
                     subject=self.subject, authoredOn=self.day().isoformat())
        return found

    def procedure(self) -> Resource:
        spec = self.pick(load_profile()["procedures"])
        found = self.new("Procedure")
        found.update(status="completed", code=_concept(SNOMED, spec["code"], spec["display"]), subject=self.subject,
                     performedDateTime=f"{self.day().isoformat()}T10:00:00+00:00")
        return found

    def immunization(self) -> Resource:
        spec = self.pick(load_profile()["immunizations"])
        found = self.new("Immunization")
        found.update(status="completed", vaccineCode=_concept(CVX, spec["code"], spec["display"]), patient=self.subject,
                     occurrenceDateTime=f"{self.day().isoformat()}T10:00:00+00:00", primarySource=True)
        return found

    def allergy(self) -> Resource:
        spec = self.pick(load_profile()["allergies"])
        found = self.new("AllergyIntolerance")
        found.update(type="allergy", category=["food"], code=_concept(SNOMED, spec["code"], spec["display"]), patient=self.subject,
                     recordedDate=self.day().isoformat())
        return found

    def encounter(self) -> Resource:
        found = self.new("Encounter")
        start = self.day().isoformat()
        found.update(status="finished", **{"class": {"system": ENCOUNTER_CLASS, "code": "AMB"}},
                     type=[_concept(SNOMED, "185349003", "Encounter for check up (procedure)")], subject=self.subject,
                     period={"start": f"{start}T09:00:00+00:00", "end": f"{start}T09:30:00+00:00"})
        self.encounters.append(found["id"])
        return found

    def claim(self, resource_type: str = "Claim") -> Resource:
        """A Claim (or ExplanationOfBenefit) of a check-up, with its items and total."""
        found = self.new(resource_type)
        start = self.day().isoformat()
        items = [{"sequence": n, "productOrService": _concept(SNOMED, "185349003", "Encounter for check up (procedure)"),
                  "net": {"value": round(self.rng.uniform(50, 400), 2), "currency": "USD"}} for n in range(1, 4)]
        found.update(status="active", type={"coding": [{"system": CLAIM_TYPE, "code": "professional"}]}, use="claim",
                     patient=self.subject, created=f"{start}T10:00:00+00:00",
                     billablePeriod={"start": f"{start}T09:00:00+00:00", "end": f"{start}T09:30:00+00:00"},
                     provider={"display": "Springfield Clinic"}, priority={"coding": [{"code": "normal"}]},
                     insurance=[{"sequence": 1, "focal": True, "coverage": {"display": "Medicaid"}}], item=items,
                     total={"value": sum(i["net"]["value"] for i in items), "currency": "USD"})
        if resource_type == "ExplanationOfBenefit":
            del found["priority"], found["total"]
            found["insurance"] = [{"focal": True, "coverage": {"display": "Medicaid"}}]
            found.update(outcome="complete", insurer={"display": "Medicaid"}, claim={"reference": f"Claim/{found['id']}"},
                         total=[{"category": {"coding": [{"code": "submitted"}]}, "amount": {"value": 200.0, "currency": "USD"}}])
            for item in found["item"]:
                item["adjudication"] = [{"category": {"coding": [{"code": "submitted"}]}, "amount": item["net"]}]
        return found

    def report(self) -> Resource:
        found = self.new("DiagnosticReport")
        found.update(status="final", code=_concept(LOINC, "51990-0", "Basic metabolic panel - Blood"), subject=self.subject,
                     effectiveDateTime=f"{self.day().isoformat()}T09:30:00+00:00")
        return found

    def care_plan(self) -> Resource:
        found = self.new("CarePlan")
        found.update(status="completed", intent="order", subject=self.subject, category=[_concept(SNOMED, "53950000", "Respiratory therapy")])
        return found

    def goal(self) -> Resource:
        found = self.new("Goal")
        found.update(lifecycleStatus="completed", description={"text": "Improve and maintain optimal health"}, subject=self.subject)
        return found

    def resources(self, count: int) -> Iterator[Resource]:
        """The Patient, then `count` resources of the profile's types, drawn by their shares."""
        yield self.patient()
        shares = load_profile()["type_shares"]
        makers = {
            "Observation": self.observation, "Claim": self.claim, "Encounter": self.encounter,
            "ExplanationOfBenefit": lambda: self.claim("ExplanationOfBenefit"), "Procedure": self.procedure,
            "Immunization": self.immunization, "DiagnosticReport": self.report, "Condition": self.condition,
            "MedicationRequest": self.medication_request, "CarePlan": self.care_plan, "Goal": self.goal,
            "AllergyIntolerance": self.allergy,
        }
        kinds = self.rng.choices(list(shares), weights=list(shares.values()), k=count)
        for kind in kinds:
            yield makers[kind]()


def mixed_patient(number: int, as_of: date, rng: random.Random) -> Iterator[Resource]:
    """One patient of the mixed population: a long lupus record for `lupus_share` of them."""
    profile = load_profile()
    pid = f"pop-{number:07d}"
    if rng.random() < profile["lupus_share"]:
        low, high = profile["lupus_record_sizes"]
        yield from lupus_patient(pid, rng.randrange(low, high + 1), as_of, seed=number)
        return
    spec = profile["resources_per_patient"]
    count = int(min(spec["max"], max(spec["min"], rng.lognormvariate(math.log(spec["median"]), spec["sigma"]))))
    yield from _Person(pid, as_of, random.Random(rng.random())).resources(count)


def lupus_patient(pid: str, size: int, as_of: date, seed: int) -> Iterator[Resource]:
    """A generated long SLE record (bench/generate.py) given to patient `pid`."""
    template = f"bench-{size}"
    for resource in generate_patient(size, as_of, seed=seed):
        resource["id"] = resource["id"].replace(template, pid, 1)
        for element in ("subject", "patient"):
            if element in resource:
                resource[element] = {"reference": f"Patient/{pid}"}
        yield resource


class _ExportWriter:
    """One `.ndjson.gz` file per type at a time, a new file every `lines_per_file` lines."""

    def __init__(self, folder: Path, lines_per_file: int) -> None:
        self.folder = folder
        self.lines_per_file = lines_per_file
        self.open: dict[str, tuple[IO[bytes], int, int]] = {}
        self.outputs: list[dict[str, Any]] = []
        self.resources = 0

    def write(self, resource: Resource) -> None:
        kind = resource["resourceType"]
        handle, part, lines = self.open.get(kind) or (None, 0, 0)
        if handle is None or lines >= self.lines_per_file:
            if handle is not None:
                self._close(kind, handle, part, lines)
            part += 1
            handle = gzip.open(self.folder / f"{kind}.{part:03d}.ndjson.gz", "wb", compresslevel=1)  # noqa: SIM115 - closed in _close
            lines = 0
        handle.write(orjson.dumps(resource) + b"\n")
        self.open[kind] = (handle, part, lines + 1)
        self.resources += 1

    def _close(self, kind: str, handle: IO[bytes], part: int, lines: int) -> None:
        handle.close()
        self.outputs.append({"type": kind, "url": f"{EXPORT_URL}/{kind}.{part:03d}.ndjson", "count": lines})

    def finish(self, as_of: date) -> None:
        for kind, (handle, part, lines) in sorted(self.open.items()):
            self._close(kind, handle, part, lines)
        manifest = {"transactionTime": f"{as_of.isoformat()}T00:00:00Z", "request": "https://bulk.example.org/fhir/$export",
                    "requiresAccessToken": True, "output": sorted(self.outputs, key=lambda o: o["url"]), "error": []}
        (self.folder / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))


@dataclass(frozen=True)
class Generated:
    """What was written: where, how many patients and resources."""

    folder: Path
    patients: int
    resources: int
    gz_bytes: int


def write_population(folder: Path, patients: int, as_of: date, *, all_lupus_size: int | None = None) -> Generated:
    """Write a population export: the mixed profile, or every patient with an `all_lupus_size` record."""
    folder.mkdir(parents=True, exist_ok=True)
    profile = load_profile()
    rng = random.Random(profile["seed"])
    writer = _ExportWriter(folder, profile["lines_per_file"])
    for number in range(patients):
        if all_lupus_size is not None:
            people = lupus_patient(f"sle-{number:06d}", all_lupus_size, as_of, seed=number)
        else:
            people = mixed_patient(number, as_of, rng)
        for resource in people:
            writer.write(resource)
    writer.finish(as_of)
    size = sum(p.stat().st_size for p in folder.glob("*.ndjson.gz"))
    return Generated(folder, patients, writer.resources, size)


@click.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--patients", default=10_000, show_default=True)
@click.option("--all-lupus-size", type=int, default=None, help="Every patient a lupus record of this many resources.")
@click.option("--as-of", "as_of_text", default="2026-06-15", show_default=True)
def main(out: Path, patients: int, all_lupus_size: int | None, as_of_text: str) -> None:
    """Write a generated population as a Bulk export into OUT."""
    made = write_population(out, patients, date.fromisoformat(as_of_text), all_lupus_size=all_lupus_size)
    click.echo(f"{made.patients:,} patients, {made.resources:,} resources, {made.gz_bytes / 1e6:.1f} MB gzip'd in {out}")


if __name__ == "__main__":
    main()
