"""Cards per trial before and after the evidence gate (issue 13, "No alert without evidence").

Runs the service (the Flask app with the production card settings, through its test
client) on every patient of the public data in ../shared/data/external/ and on the demo
patients, each as a patient-view call with full prefetch, at a fixed date, twice: once
with every configured trial file as it is, once with each file's `card_requires` taken
out. Prints, per trial and per patient set, the cards each run returns, by kind.

    .venv/bin/python -m bench.card_counts [--external DIR] [--trials-dir DIR] [--as-of YYYY-MM-DD]

Every trial file of the folder is counted (the shipped ones by default, as the service
loads them). TRIALCDS_CARD_MAX is set to the number of trials, so no card is folded into
another's "Also possible" line and each trial's count is its own.
"""

from __future__ import annotations

import argparse
import datetime
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import Flask

from bench.generate import server_returns
from cds import create_app
from cds.cards import EVALUATION_EXTENSION
from cds.demo.requests import demo_names, demo_request, searchset
from cds.fhir_loader import as_put_transaction, read_bundle
from cds.http.routes import EXTENSION_KEY
from cds.record.templates import PrefetchTemplate
from cds.trials.loader import TRIALS_DIR, load_trials

REPO_ROOT = Path(__file__).resolve().parents[1]
EXTERNAL_DATA = REPO_ROOT.parent / "shared" / "data" / "external"
# The README's evaluation date (its first command pins the service to it): inside the
# generated lupus patients' data, so recent-result criteria have data to read.
AS_OF = datetime.date(2026, 6, 15)
SERVICE_URL = "/cds-services/trial-eligibility"
USER = "Practitioner/card-counts"
EXTERNAL, DEMO = "external", "demo"
# The kinds of card, as the evaluation a card carries tells them apart.
CANDIDATE, SOON, PARTIAL = "candidate", "may become a candidate", "not fully checked"
KINDS = (CANDIDATE, SOON, PARTIAL)

Resource = dict[str, Any]


@dataclass(frozen=True)
class PatientCall:
    """One patient's hook request and which set of patients it belongs to."""

    patient_set: str
    label: str
    request: dict[str, Any]


def prefetch_of(templates: tuple[PrefetchTemplate, ...], resources: list[Resource]) -> dict[str, Resource | None]:
    """Every prefetch key filled as a client with full prefetch fills it (null when no data)."""
    prefetch: dict[str, Resource | None] = {}
    for template in templates:
        found = [r for r in resources if server_returns(template, r)]
        if template.is_read:
            prefetch[template.key] = found[0] if found else None
        else:
            prefetch[template.key] = searchset(found) if found else None
    return prefetch


def external_calls(folder: Path, templates: tuple[PrefetchTemplate, ...]) -> Iterator[PatientCall]:
    """A call per patient bundle of the external data (bundles holding no patient, or several, are skipped)."""
    for path in sorted(folder.glob("*/*.json.gz")):
        bundle = as_put_transaction(read_bundle(path))
        resources = [entry["resource"] for entry in bundle.get("entry", []) if "resource" in entry]
        patients = [r for r in resources if r["resourceType"] == "Patient"]
        if len(patients) != 1:
            continue
        request = {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"userId": USER, "patientId": patients[0]["id"]},
            "prefetch": prefetch_of(templates, resources),
        }
        yield PatientCall(EXTERNAL, f"{path.parent.name}/{path.name}", request)


def demo_calls(as_of: datetime.date) -> Iterator[PatientCall]:
    """The shipped demo patients' calls (README "Demo")."""
    for name in demo_names():
        yield PatientCall(DEMO, name, demo_request(name, as_of))


def ungated_copy(trials_dir: Path, target: Path) -> Path:
    """The trial files of `trials_dir` without their `card_requires`, in `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(trials_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data.pop("card_requires", None)
        (target / path.name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def service_app(trials_dir: Path, as_of: datetime.date, workdir: Path, **overrides: Any) -> Flask:
    """The service with its production settings, but for what a measurement needs: no client
    authentication (the test client signs no JWT), the date pinned, a throwaway feedback
    store, and a card cap no trial can reach; `overrides` set more."""
    trials = load_trials(trials_dir)
    return create_app({
        "AUTH": "off",
        "AS_OF": as_of.isoformat(),
        "TRIALS_DIR": str(trials_dir),
        "FEEDBACK_DATABASE": str(workdir / f"feedback-{uuid.uuid4().hex}.sqlite3"),
        "CARD_MAX": len(trials),
        "LOG_LEVEL": "WARNING",
        **overrides,
    })


def card_kind(evaluation: dict[str, Any]) -> str:
    """Which kind of card carries this evaluation."""
    if evaluation["decision"] != "potentially_eligible":
        return SOON
    return PARTIAL if evaluation.get("missing_data") else CANDIDATE


def count_cards(app: Flask, calls: list[PatientCall]) -> Counter[tuple[str, str, str]]:
    """Cards by (trial id, patient set, kind).

    :raise RuntimeError: a call is not answered with 200.
    """
    counts: Counter[tuple[str, str, str]] = Counter()
    client = app.test_client()
    for call in calls:
        response = client.post(SERVICE_URL, json=call.request)
        if response.status_code != 200:
            raise RuntimeError(f"{call.label}: the service answered {response.status_code}: {response.get_data(as_text=True)}")
        for card in response.json["cards"]:
            evaluation = card["extension"][EVALUATION_EXTENSION]
            counts[evaluation["trial"], call.patient_set, card_kind(evaluation)] += 1
    return counts


def _cell(counts: Counter[tuple[str, str, str]], trial: str, patient_set: str) -> str:
    by_kind = [counts[trial, patient_set, kind] for kind in KINDS]
    return f"{sum(by_kind)} ({' / '.join(str(n) for n in by_kind)})"


def table(
    trials: dict[str, Any], calls: list[PatientCall], before: Counter[tuple[str, str, str]],
    after: Counter[tuple[str, str, str]],
) -> str:
    """The counts as a Markdown table: per trial and patient set, cards before and after the gate."""
    patients = Counter(call.patient_set for call in calls)
    lines = [
        f"| trial | patients | cards before the gate ({' / '.join(KINDS)}) | cards after the gate |",
        "|---|---|---|---|",
    ]
    for trial_id, trial in sorted(trials.items()):
        for patient_set in (EXTERNAL, DEMO):
            lines.append(
                f"| {trial.nct_id} ({trial.short_title}) | {patients[patient_set]} {patient_set} "
                f"| {_cell(before, trial_id, patient_set)} | {_cell(after, trial_id, patient_set)} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--external", type=Path, default=EXTERNAL_DATA, help="the external FHIR data folder")
    parser.add_argument("--trials-dir", type=Path, default=TRIALS_DIR, help="the trial files (default: the shipped ones)")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=AS_OF, help="evaluation date")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        gated = service_app(args.trials_dir, args.as_of, workdir)
        ungated = service_app(ungated_copy(args.trials_dir, workdir / "ungated"), args.as_of, workdir)
        templates = gated.extensions[EXTENSION_KEY].templates
        calls = [*external_calls(args.external, templates), *demo_calls(args.as_of)]
        before, after = count_cards(ungated, calls), count_cards(gated, calls)
    print(f"Cards per trial at {args.as_of.isoformat()}, before and after the evidence gate (card_requires):\n")
    print(table(load_trials(args.trials_dir), calls, before, after))


if __name__ == "__main__":
    main()
