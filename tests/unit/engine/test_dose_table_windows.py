"""A dose table over a narrower window is a view of the widest one built for the same
records and policy (cds/engine/daily_doses.py `dose_table`): it must hold exactly what a
table built for that window holds, day by day and record by record.

Run on the external lupus-module patients (pysynthea-lupus-forced: steroid courses with
tapers, renewals and overlapping prescriptions) and the benchmark's generated 1,000-resource
patient, with the policies the trial files use.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from external_bundles import patient_records

from bench.generate import generate_patient
from cds.engine.context import EvaluationContext
from cds.engine.daily_doses import DoseTable, DosePolicy, dose_table
from cds.engine.drugs import RouteRule, group_members
from fhir_mappings.facts import Facts, extract_facts
from fhir_mappings.record import PatientRecord

AS_OF = date(2026, 6, 15)
POLICIES = (
    DosePolicy(RouteRule("systemic", unknown_counts=True), "highest", as_needed_unknown=False, prednisone_equivalent=True),
    DosePolicy(RouteRule("systemic"), "latest_start", as_needed_unknown=True, prednisone_equivalent=True),
    DosePolicy(),
)
GROUPS = ("systemic_corticosteroid", "glucocorticoid", "antimalarial", "immunosuppressant")


@pytest.fixture(scope="module")
def patients(external_data: Path) -> list[Facts]:
    records = [record for _, record in patient_records(external_data, "pysynthea-lupus-forced/*.json.gz")]
    records.append(PatientRecord.from_entries([(None, r) for r in generate_patient(1000, AS_OF, 0)]))
    return [extract_facts(record) for record in records]


def test_a_narrower_window_holds_what_its_own_table_holds(patients: list[Facts]) -> None:
    compared = 0
    for facts in patients:
        ctx = EvaluationContext(facts, AS_OF)
        for group in GROUPS:
            members = group_members(facts, [group])
            for policy in POLICIES:
                widest = dose_table(ctx, [group], policy, AS_OF - timedelta(days=102))
                for days in (68, 40, 27, 0):
                    first = AS_OF - timedelta(days=days)
                    view = dose_table(ctx, [group], policy, first)
                    own = DoseTable(members, policy, first, AS_OF)
                    assert view.first == own.first and view.last == own.last
                    assert view.days == own.days
                    assert [(view.surely(e), view.possibly(e), view.problem(e)) for e in members] == [
                        (own.surely(e), own.possibly(e), own.problem(e)) for e in members
                    ]
                    runs = [(first, AS_OF)]
                    assert view.covering(runs, surely=True) == own.covering(runs, surely=True)
                    assert view.covering(runs, surely=False) == own.covering(runs, surely=False)
                    compared += bool(members)
                assert dose_table(ctx, [group], policy, AS_OF - timedelta(days=102)) is widest
    assert compared > 100  # the patients do have these drugs
