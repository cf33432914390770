"""NCT03543839 I10, E11, E12 and E14 (criteria-nct03543839.md with G12, G15): the serum
pregnancy test, hepatitis B/C serology, HIV history and live vaccines, through the
shipped trial file. D = 2026-11-25.

Results are shaped like the US Core Observation Lab examples (a SNOMED CT qualifier value,
or a UCUM quantity), Oracle Health (Cerner) results (valueString "Reactive" as US
hepatitis and HIV reports write it) and Synthea's HIV screen (7917-8 with a coded value);
conditions like Epic's problem list and Synthea's; immunizations like the US Core
Immunization example and Epic's Immunization.Read sample (CVX beside a local code and NDC,
or only an occurrenceString).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from ehr_shapes import at, epic_immunization, epic_problem, lab as oracle_lab
from fhir_builders import AS_OF, condition, days_before, immunization, observation, patient
from nct03543839_records import entry, lab, negative, positive, status
from yaml_probe import probe

SERUM_HCG = "2118-8"  # Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma
SERUM_HCG_QUANT = "19080-1"  # Choriogonadotropin [Units/volume] in Serum or Plasma
URINE_HCG = "2106-3"
HBSAG = "5196-1"
ANTI_HBC = "16933-4"
ANTI_HBC_IGM = "31204-1"
ANTI_HCV = "16128-1"
HIV_SCREEN = "7917-8"
HIV_COMBO = "56888-1"


def reported(loinc: str, text: str, on: str = "2025-04-03T11:20:00-05:00") -> dict:
    """A serology result as Oracle Health sends it: valueString in the lab's words."""
    return oracle_lab(loinc, effective=at(on), value={"valueString": text})


# I10: a negative serum hCG on the screening day, no positive hCG in 30 days, no current pregnancy.

def test_a_negative_serum_hcg_on_the_screening_day_is_met() -> None:
    result = entry("I10", negative(SERUM_HCG, AS_OF))
    assert result["status"] == "met"
    assert "serum hCG negative on 2026-11-25" in result["reason"]  # a window of 0 days is D, named


def test_a_window_of_0_days_names_the_day_whatever_the_status(tmp_path) -> None:
    """The serology kind's reason for `within_days: 0`: "on D", never "in the last 0 days"."""
    part = probe(tmp_path, "serology", "{analytes: [hcg_serum], label: serum hCG, select: any_within, within_days: 0}", "inclusion")
    for resources, words in [((), "no serum hCG result on 2026-11-25"), ((positive(SERUM_HCG, AS_OF),), "serum hCG positive on 2026-11-25")]:
        reason = part(*resources)["reason"]
        assert words in reason and "last 0 days" not in reason


@pytest.mark.parametrize(
    "resources",
    [
        [],
        [negative(SERUM_HCG, days_before(1))],  # not on the screening day
        [negative(URINE_HCG, AS_OF)],  # not a serum test
        [patient(gender="male")],  # applicability is manual
    ],
)
def test_without_a_negative_serum_hcg_on_d_it_is_unknown(resources) -> None:
    assert status("I10", *resources) == "unknown"


@pytest.mark.parametrize(
    "resources",
    [
        [positive(SERUM_HCG, AS_OF)],
        [positive(URINE_HCG, days_before(20)), negative(SERUM_HCG, AS_OF)],
        [positive(URINE_HCG, days_before(30))],
        [condition("snomed", "72892002", "Normal pregnancy", onset=days_before(60)), negative(SERUM_HCG, AS_OF)],
    ],
)
def test_a_positive_hcg_in_30_days_or_a_current_pregnancy_is_not_met(resources) -> None:
    assert status("I10", *resources) == "not_met"


def test_a_positive_hcg_before_the_30_days_does_not_count() -> None:
    assert status("I10", positive(URINE_HCG, days_before(31)), negative(SERUM_HCG, AS_OF)) == "met"


def test_a_pregnancy_open_for_more_than_42_weeks_is_unknown() -> None:
    stale = condition("snomed", "72892002", "Normal pregnancy", onset=days_before(300))
    result = entry("I10", stale, negative(SERUM_HCG, AS_OF))
    assert result["status"] == "unknown"
    assert "confirm whether it is current" in result["reason"]


def test_a_resolved_pregnancy_does_not_count() -> None:
    ended = condition("snomed", "72892002", "Normal pregnancy", onset=days_before(200), abatement=days_before(20), clinical_status="resolved")
    assert status("I10", ended, negative(SERUM_HCG, AS_OF)) == "met"


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(3, "m[IU]/mL", "met"), (4.9, "m[IU]/mL", "met"), (5, "m[IU]/mL", "unknown"), (24, "m[IU]/mL", "unknown"),
     (25, "m[IU]/mL", "not_met"), (2, "[IU]/L", "met"), (10, "[IU]/L", "unknown")],
)
def test_a_quantitative_serum_hcg_without_interpretation(value, unit, expected) -> None:
    """G12: < 5 m[IU]/mL negative, ≥ 25 positive, between equivocal; m[IU]/mL = [IU]/L."""
    assert status("I10", lab(SERUM_HCG_QUANT, value, unit, days=0)) == expected


# E11: HBsAg, anti-HBc or anti-HCV most recent positive, or a hepatitis B/C diagnosis.

ALL_NEGATIVE = [negative(HBSAG), negative(ANTI_HBC), negative(ANTI_HCV)]


def test_all_three_most_recent_negative_is_not_met() -> None:
    assert status("E11", *ALL_NEGATIVE) == "not_met"


@pytest.mark.parametrize("loinc", [HBSAG, ANTI_HBC, ANTI_HCV])
def test_any_test_most_recent_positive_is_met(loinc) -> None:
    others = [r for r in ALL_NEGATIVE if r["code"]["coding"][0]["code"] != loinc]
    result = entry("E11", *others, positive(loinc, "2025-09-01"))
    assert result["status"] == "met"
    assert result["clears_on"] is None


def test_anti_hbc_alone_excludes_with_hbsag_negative() -> None:
    """No HBV DNA step, unlike NCT05247203."""
    assert status("E11", negative(HBSAG), reported(ANTI_HBC, "Reactive"), negative(ANTI_HCV)) == "met"


def test_a_test_never_done_leaves_its_part_unknown() -> None:
    assert status("E11", negative(HBSAG), negative(ANTI_HCV)) == "unknown"
    assert status("E11") == "unknown"


def test_the_most_recent_result_decides() -> None:
    assert status("E11", positive(HBSAG, "2015-01-01"), negative(HBSAG, "2024-01-01"), negative(ANTI_HBC), negative(ANTI_HCV)) == "not_met"


def test_an_equivocal_result_is_skipped_for_the_one_before() -> None:
    equivocal = reported(ANTI_HCV, "Equivocal", on="2026-10-01T08:00:00-05:00")
    assert status("E11", negative(HBSAG), negative(ANTI_HBC), negative(ANTI_HCV, "2024-01-01"), equivocal) == "not_met"


def test_anti_hbc_igm_counts_only_when_positive_and_more_recent() -> None:
    later_igm_positive = positive(ANTI_HBC_IGM, "2026-01-01")
    later_igm_negative = negative(ANTI_HBC_IGM, "2026-01-01")
    assert status("E11", negative(HBSAG), negative(ANTI_HBC, "2024-01-01"), later_igm_positive, negative(ANTI_HCV)) == "met"
    assert status("E11", negative(HBSAG), negative(ANTI_HBC, "2024-01-01"), later_igm_negative, negative(ANTI_HCV)) == "not_met"
    assert status("E11", negative(HBSAG), later_igm_negative, negative(ANTI_HCV)) == "unknown"  # a negative IgM alone


def test_non_reactive_words_are_negative() -> None:
    words = [reported(HBSAG, "Non-reactive"), reported(ANTI_HBC, "NONREACTIVE"), reported(ANTI_HCV, "Nonreactive")]
    assert status("E11", *words) == "not_met"


@pytest.mark.parametrize(
    "problem",
    [
        epic_problem("B18.1", None, "Chronic viral hepatitis B", clinical="resolved", onset={"onsetDateTime": "2010-01-01"}),
        condition("snomed", "50711007", "Viral hepatitis type C", onset="2012-01-01", clinical_status="inactive"),
        epic_problem("B17.10", None, "Acute hepatitis C without hepatic coma", onset={"onsetDateTime": "2026-09-01"}),
    ],
)
def test_a_hepatitis_b_or_c_diagnosis_of_any_status_is_met(problem) -> None:
    assert status("E11", *ALL_NEGATIVE, problem) == "met"


# E12: history of positive HIV (closed world).

@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([], "not_met"),
        ([negative(HIV_SCREEN, "2020-01-01")], "not_met"),  # Synthea's HIV screen
        ([positive(HIV_SCREEN, "2009-01-01"), negative(HIV_SCREEN, "2025-01-01")], "met"),  # ever
        ([reported(HIV_COMBO, "Repeatedly reactive")], "met"),
        ([reported(HIV_COMBO, "Non-reactive")], "not_met"),
        ([epic_problem("B20", "86406008", "HIV disease", clinical="inactive", onset={"onsetDateTime": "2001-01-01"})], "met"),
        ([epic_problem("Z21", None, "Asymptomatic HIV infection status", onset={"onsetDateTime": "2015-01-01"})], "met"),
        ([epic_problem("R75", None, "Inconclusive laboratory evidence of HIV", onset={"onsetDateTime": "2026-01-01"})], "unknown"),
        ([reported(HIV_COMBO, "Indeterminate")], "unknown"),
    ],
)
def test_history_of_positive_hiv(resources, expected) -> None:
    assert status("E12", *resources) == expected


def test_an_r75_reason_names_what_to_confirm() -> None:
    result = entry("E12", epic_problem("R75", None, "Inconclusive laboratory evidence of HIV", onset={"onsetDateTime": "2026-01-01"}))
    assert "inconclusive laboratory evidence of HIV" in result["reason"]


def test_a_refuted_hiv_diagnosis_is_no_record() -> None:
    assert status("E12", epic_problem("B20", None, "HIV disease", verification="refuted", onset={"onsetDateTime": "2020-01-01"})) == "not_met"


# E14: a live vaccine in [D - 30, D]; clears on its date + 31 days.

@pytest.mark.parametrize(("days", "expected"), [(0, "met"), (30, "met"), (31, "not_met"), (-1, "not_met")])
def test_a_live_vaccine_within_30_days(days, expected) -> None:
    result = entry("E14", immunization("121", days_before(days)))  # zoster vaccine, live
    assert result["status"] == expected
    if expected == "met":
        assert result["clears_on"] == (days_before(days) + timedelta(days=31)).isoformat()


def test_a_recombinant_vaccine_is_not_live() -> None:
    assert status("E14", immunization("187", days_before(5))) == "not_met"  # Shingrix


def test_an_epic_immunization_with_cvx_beside_local_and_ndc_codes() -> None:
    mmr = epic_immunization("3", occurrence={"occurrenceDateTime": f"{days_before(12).isoformat()}T10:00:00-05:00"}, ndc="00006-4681-00")
    result = entry("E14", mmr)
    assert result["status"] == "met"
    assert result["clears_on"] == (days_before(12) + timedelta(days=31)).isoformat()


def test_an_immunization_dated_only_by_text_is_unknown() -> None:
    assert status("E14", epic_immunization("21", occurrence={"occurrenceString": "last month"})) == "unknown"


def test_a_vaccine_not_given_does_not_count() -> None:
    assert status("E14", immunization("21", days_before(5), status="not-done")) == "not_met"


def test_a_quantitative_hcg_with_a_reference_range_reads_the_cutoffs_first() -> None:
    """G12: without an interpretation, the cut-offs read a quantitative hCG (not its range)."""
    result = observation(SERUM_HCG_QUANT, 12, "m[IU]/mL", on=AS_OF, ref_high=5)
    assert status("I10", result) == "unknown"
