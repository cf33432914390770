"""NCT03543839 I1-I5 and E3.1 (criteria-nct03543839.md): the SLE diagnosis, its recency,
ANA titer, anti-dsDNA, SLEDAI-2K, and active renal or nervous-system lupus, through the
shipped trial file.

Problems are shaped like Epic's FHIR R4 Condition.Read (Problems) sample (ICD-10-CM under
its OID, SNOMED CT, status coding and text), Oracle Health (Cerner) Conditions and
Synthea's (SNOMED CT 200936003); results like the US Core Observation Lab examples,
Oracle Health lab results (a code set 72 coding before LOINC) and Mayo's ANA titer as a
valueRatio.
"""

from __future__ import annotations

from datetime import date

import pytest
from ehr_shapes import at, lab as oracle_lab, lab_value, titer_ratio
from fhir_builders import condition, days_before, observation
from nct03543839_records import (
    cns_event,
    entry,
    icd_problem,
    negative,
    positive,
    sle,
    status,
    synthea_lupus,
)
from trial_eval import criterion
from trial_eval import evaluate as evaluate_with
from trial_files import trial_file_variant

from cds.trials.loader import TRIALS_DIR, load_trial

ANA_TITER = "5048-4"  # Antinuclear antibodies [Titer] in Serum by Immunofluorescence
ANA = "8061-4"  # Antinuclear antibodies [Presence] in Serum
DSDNA = "5130-0"  # DNA double strand Ab [Units/volume] in Serum


# I1: SLE diagnosis.

@pytest.mark.parametrize("clinical", ["active", "inactive", "resolved", None])
def test_an_sle_problem_is_met_whatever_its_clinical_status(clinical) -> None:
    result = entry("I1", sle(clinical=clinical))
    assert result["status"] == "met"
    assert {e["code"] for e in result["evidence"]} == {"http://hl7.org/fhir/sid/icd-10-cm|M32.9"}


@pytest.mark.parametrize(
    ("problem", "words"),
    [
        (synthea_lupus(), "without 'systemic'"),
        (icd_problem("L93.0", "Discoid lupus erythematosus"), "cutaneous"),
        (icd_problem("M32.0", "Drug-induced systemic lupus erythematosus"), "drug-induced"),
    ],
)
def test_only_bare_cutaneous_or_drug_induced_lupus_is_unknown_saying_so(problem, words) -> None:
    result = entry("I1", problem)
    assert result["status"] == "unknown"
    assert words in result["reason"]


def test_an_sle_code_beside_a_bare_lupus_code_decides() -> None:
    assert status("I1", synthea_lupus("2019-01-01"), sle()) == "met"


def test_lupus_nephritis_is_an_sle_subtype() -> None:
    assert status("I1", condition("snomed", "36402006", "Lupus nephritis - WHO Class IV", onset="2025-01-01")) == "met"


def test_an_unconfirmed_sle_diagnosis_never_meets_the_inclusion() -> None:
    result = entry("I1", sle(verification="provisional"))
    assert result["status"] == "unknown"
    assert "not confirmed" in result["reason"]


def test_no_lupus_record_is_not_met_and_a_refuted_one_is_no_record() -> None:
    assert status("I1") == "not_met"
    assert status("I1", sle(verification="refuted")) == "not_met"


# I2: SLE diagnosed within 2 years (G7 with G1's years).

@pytest.mark.parametrize(
    ("onset", "expected"),
    [("2024-11-25", "met"), ("2024-11-24", "not_met"), ("2026-11-25", "met"), ("2025", "met"), ("2024-11", "unknown")],
)
def test_the_window_is_the_same_day_two_years_before_inclusive(onset, expected) -> None:
    """D = 2026-11-25: 2024-11-25 is inside; a month that straddles the edge is unknown."""
    result = entry("I2", sle(onset))
    assert result["status"] == expected
    assert result["clears_on"] is None


@pytest.mark.parametrize(
    ("as_of", "onset", "expected"),
    [
        (date(2028, 2, 29), "2026-02-28", "met"),  # 29 February 2028 - 2 years = 28 February 2026
        (date(2028, 2, 29), "2026-02-27", "not_met"),
        (date(2026, 2, 28), "2024-02-29", "met"),
        (date(2026, 2, 28), "2024-02-28", "met"),
        (date(2026, 2, 28), "2024-02-27", "not_met"),
    ],
)
def test_two_years_before_a_29_february(as_of, onset, expected) -> None:
    assert status("I2", sle(onset), as_of=as_of) == expected


def test_a_diagnosis_before_the_window_gives_its_date_and_no_clearing_date() -> None:
    result = entry("I2", sle("2019-06-15"))
    assert result["status"] == "not_met"
    assert "2019-06-15" in result["reason"]
    assert result["clears_on"] is None


def test_the_earliest_sle_condition_is_the_diagnosis_date() -> None:
    """A flare recorded this year does not make an old diagnosis recent."""
    assert status("I2", sle("2026-03-01"), sle("2020-05-01", clinical="inactive")) == "not_met"


def test_recorded_date_stands_in_for_a_missing_onset() -> None:
    problem = sle("2025-01-01")
    del problem["onsetDateTime"]
    problem["recordedDate"] = "2025-06-01"
    assert status("I2", problem) == "met"


def test_no_usable_date_is_unknown() -> None:
    problem = sle("2025-01-01")
    del problem["onsetDateTime"]
    assert status("I2", problem) == "unknown"


def test_only_synthea_lupus_is_unknown_naming_its_earliest_date() -> None:
    result = entry("I2", synthea_lupus("2021-03-04"), synthea_lupus("2025-08-01"))
    assert result["status"] == "unknown"
    assert "2021-03-04" in result["reason"]


def test_bare_lupus_recorded_before_the_window_makes_a_recent_sle_date_unknown() -> None:
    result = entry("I2", synthea_lupus("2018-01-10"), sle("2025-09-10"))
    assert result["status"] == "unknown"
    assert "confirm the SLE diagnosis date" in result["reason"]
    assert "2018-01-10" in result["reason"]


def test_bare_lupus_inside_the_window_before_sle_is_met() -> None:
    assert status("I2", synthea_lupus("2025-01-10"), sle("2025-09-10")) == "met"


def test_no_lupus_at_all_is_not_met() -> None:
    assert status("I2") == "not_met"


def test_an_unconfirmed_recent_sle_diagnosis_is_unknown() -> None:
    assert status("I2", sle(verification="unconfirmed")) == "unknown"


# I3: ANA titer of 1:80 or more (any date on or before D; a titer decides over an interpretation).

def oracle_titer(text: str, **kwargs) -> dict:
    """An ANA titer as Oracle Health's lab results send it: valueString "1:80"."""
    return oracle_lab(ANA_TITER, effective=at("2025-10-02T08:15:00-05:00"), value={"valueString": text}, **kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1:80", "met"), ("1:640", "met"), ("> 1:80", "met"), ("> 1:40", "unknown"), ("1:40", "not_met"), ("<1:80", "not_met"), ("<1:160", "unknown")],
)
def test_titer_strings(text, expected) -> None:
    assert status("I3", oracle_titer(text)) == expected


def test_a_titer_of_1_40_the_lab_calls_positive_is_below_1_80() -> None:
    result = entry("I3", oracle_titer("1:40", interpretation="POS"))
    assert result["status"] == "not_met"
    assert "1:40" in result["reason"]


def test_a_titer_as_a_ratio_or_a_titer_quantity() -> None:
    """Mayo's valueRatio 1/160, and a valueQuantity in {titer}."""
    assert status("I3", lab_value(ANA_TITER, titer_ratio(160), effective=at("2025-03-03T10:00:00Z"))) == "met"
    assert status("I3", observation(ANA_TITER, 80, "{titer}", on="2025-03-03")) == "met"
    assert status("I3", observation(ANA_TITER, 40, "{titer}", on="2025-03-03")) == "not_met"


def test_a_positive_ana_without_a_titer_is_unknown() -> None:
    result = entry("I3", positive(ANA))
    assert result["status"] == "unknown"
    assert "without a titer" in result["reason"]


def test_any_titer_ever_meets_and_every_result_negative_or_low_is_not_met() -> None:
    assert status("I3", oracle_titer("1:320"), negative(ANA, "2026-11-01")) == "met"
    assert status("I3", negative(ANA, "2026-11-01"), oracle_titer("1:40")) == "not_met"


def test_no_ana_result_or_a_titer_after_d_is_unknown() -> None:
    assert status("I3") == "unknown"
    assert status("I3", observation(ANA_TITER, value_string="1:160", on="2026-12-01")) == "unknown"


def test_an_equivocal_ana_alone_is_unknown() -> None:
    assert status("I3", observation(ANA, value_string="Equivocal", on="2025-03-03")) == "unknown"


# I4: anti-dsDNA positive, any date.

@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (positive(DSDNA, "2019-02-01"), "met"),
        (negative(DSDNA), "not_met"),
        (observation(DSDNA, 45, "[IU]/mL", on="2025-05-05", ref_high=30), "met"),  # above its reference range
        (observation(DSDNA, 12, "[IU]/mL", on="2025-05-05", ref_high=30), "not_met"),
        (observation(DSDNA, 45, "[IU]/mL", on="2025-05-05"), "unknown"),  # neither interpretation nor range
        (observation(DSDNA, 45, "[IU]/mL", on="2025-05-05", interpretation="H"), "met"),
    ],
)
def test_anti_dsdna_polarity(result, expected) -> None:
    assert status("I4", result) == expected


def test_an_old_positive_anti_dsdna_meets_despite_a_recent_negative() -> None:
    assert status("I4", positive(DSDNA, "2024-01-01"), negative(DSDNA, "2026-11-20")) == "met"


def test_no_anti_dsdna_result_is_unknown() -> None:
    assert status("I4") == "unknown"


# I5: SLEDAI-2K >= 4 (manual unless a site configures a local code).

def test_sledai_2k_without_a_local_code_is_confirmed_at_screening() -> None:
    result = entry("I5", observation("LA-SLEDAI", 6, None, on="2026-11-20"))
    assert result["status"] == "unknown"
    assert "SLEDAI-2K" in result["reason"] and "confirm" in result["reason"]


@pytest.mark.parametrize(("score", "days", "expected"), [(4, 10, "met"), (3, 10, "not_met"), (12, 10, "met"), (6, 91, "unknown")])
def test_a_site_local_sledai_2k_code_decides_by_the_recent_score(tmp_path, score, days, expected) -> None:
    local = "https://ehr.example.org/fhir/CodeSystem/disease-scores"
    path = trial_file_variant(
        tmp_path,
        ("  sledai_2k: []", f'  sledai_2k: [{{system: "{local}", code: "SLEDAI-2K"}}]'),
        shipped=TRIALS_DIR / "nct03543839.yaml",
    )
    score_obs = observation("0000-0", score, "{score}", on=days_before(days), category="survey")
    score_obs["code"] = {"coding": [{"system": local, "code": "SLEDAI-2K", "display": "SLEDAI-2K"}], "text": "SLEDAI-2K"}
    assert criterion(evaluate_with(score_obs, trial=load_trial(path)), "I5")["status"] == expected


# E3.1: active renal or nervous-system lupus; a CNS event not coded as lupus-related is unknown.

@pytest.mark.parametrize(
    "problem",
    [
        condition("snomed", "36402006", "Lupus nephritis - WHO Class IV", onset="2026-06-01"),
        condition("snomed", "68815009", "Lupus nephritis", onset="2026-06-01"),
        icd_problem("M32.14", "Glomerular disease in systemic lupus erythematosus", onset={"onsetDateTime": "2026-06-01"}),
        condition("snomed", "95644001", "Systemic lupus erythematosus encephalitis", onset="2026-06-01"),
    ],
)
def test_active_lupus_nephritis_or_npsle_is_met(problem) -> None:
    result = entry("E3.1", problem)
    assert result["status"] == "met"
    assert result["clears_on"] is None


def test_resolved_lupus_nephritis_is_not_met() -> None:
    problem = condition("snomed", "76521009", "Lupus nephritis - WHO Class III", onset="2020-01-01", clinical_status="resolved")
    assert status("E3.1", problem) == "not_met"


@pytest.mark.parametrize(
    ("code", "display"),
    [("91175000", "Seizure"), ("69322001", "Psychotic disorder"), ("230690007", "Cerebrovascular accident")],
)
def test_an_active_cns_event_not_coded_as_lupus_is_unknown(code, display) -> None:
    result = entry("E3.1", cns_event(code, display))
    assert result["status"] == "unknown"
    assert "confirm whether it is due to lupus" in result["reason"]


def test_a_resolved_cns_event_or_a_history_code_is_not_met() -> None:
    assert status("E3.1", cns_event("91175000", "Seizure", clinical="resolved")) == "not_met"
    assert status("E3.1", icd_problem("Z86.73", "Personal history of TIA", onset={"onsetDateTime": "2020-01-01"})) == "not_met"


def test_no_renal_or_cns_disease_is_not_met() -> None:
    assert status("E3.1", sle()) == "not_met"
