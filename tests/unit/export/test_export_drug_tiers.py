"""The FHIR export of a drug part with G13 tiers: the tier-(c) groups (`unknown_groups`)
only make the part unknown, so their drugs are never exported as codes that count."""

from __future__ import annotations

from pathlib import Path

from yaml_probe import probe

from cds.export.parts import part_of


def test_unknown_tier_drugs_are_a_note_not_codes_that_count(tmp_path: Path) -> None:
    drug = probe(
        tmp_path, "drug_exposure", "{groups: [b_cell], unknown_groups: [b_lineage_uncertain], label: B cell targeted therapy}"
    )
    part = part_of(drug.trial.criteria[0].logic, drug.trial)
    counted = {c["code"] for c in part.counted.codings}
    assert "121191" in counted  # rituximab counts
    assert "1442981" not in counted  # ibrutinib only makes the part unknown
    assert any("unknown_groups" in note and "b_lineage_uncertain" in note for note in part.notes)
