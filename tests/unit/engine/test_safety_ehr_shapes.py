"""Safety properties over generated patients written the way EHRs send records
(hypothesis): partial and missing dates, OIDs, local codings first, onsetAge, status
text, units without codes, censored strings, deceased patients.

- No patient is potentially_eligible while an exclusion is met or an inclusion not met,
  and no deceased patient ever is (decision ineligible, no eligible_from, the reason).
- A partial date never makes a part more certain than the exact dates it stands for:
  when every day of a partial date gives the same status, so does the partial date.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ehr_shapes import (
    OID_ICD10CM,
    OID_SNOMED,
    age,
    epic_immunization,
    lab,
    procedure_on,
    quantity,
)
from fhir_builders import AS_OF, condition, patient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from trial_eval import evaluate

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONDITION_CODES = [("icd10cm", "M32.9"), ("snomed", "91175000"), ("icd10cm", "F32.9"), ("snomed", "77386006"),
                   ("icd10cm", "B20"), ("icd10cm", "K25.9"), ("snomed", "200936003")]
LAB_CODES = [("718-7", "g/L"), ("2160-0", "mg/dL"), ("777-3", "10*3/uL"), ("6690-2", "10*9/L"), ("2889-4", "g/(24.h)")]

days = st.integers(min_value=-40, max_value=500)


@st.composite
def dates(draw: st.DrawFn) -> str:
    """A date as sent: a day, a year-month or a year around D."""
    day = AS_OF - timedelta(days=draw(days))
    return draw(st.sampled_from([day.isoformat(), day.isoformat()[:7], day.isoformat()[:4], f"{day.isoformat()}T10:00:00Z"]))


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    system, code = draw(st.sampled_from(CONDITION_CODES))
    record = condition(system, code, clinical_status=draw(st.sampled_from(["active", "resolved", "inactive", None])),
                       verification=draw(st.sampled_from(["confirmed", "provisional", "unconfirmed", "differential", None])))
    onset = draw(st.sampled_from(["dateTime", "age", "string", "none"]))
    if onset == "dateTime":
        record["onsetDateTime"] = draw(dates())
    elif onset == "age":
        record["onsetAge"] = age(draw(st.integers(0, 60)), draw(st.sampled_from(["a", "mo", "d"])))
    elif onset == "string":
        record["onsetString"] = "childhood"
    if draw(st.booleans()):
        record["recordedDate"] = draw(dates())
    if draw(st.booleans()):
        record["abatementDateTime"] = draw(dates())
    if draw(st.booleans()):
        record["code"]["coding"].insert(0, {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.696871", "code": "1"})
        record["code"]["coding"][1]["system"] = OID_ICD10CM if system == "icd10cm" else OID_SNOMED
    if draw(st.booleans()):
        record.pop("clinicalStatus", None)
        record["clinicalStatus"] = {"text": draw(st.sampled_from(["Active", "resolved", "chronic"]))}
    return record


@st.composite
def labs(draw: st.DrawFn) -> dict[str, Any]:
    code, unit = draw(st.sampled_from(LAB_CODES))
    value = draw(st.floats(min_value=0, max_value=300, allow_nan=False).map(lambda v: round(v, 1)))
    form = draw(st.sampled_from(["coded", "unit-only", "string"]))
    if form == "coded":
        sent = quantity(value, unit, unit)
    elif form == "unit-only":
        sent = quantity(value, draw(st.sampled_from([unit, unit.lower(), unit.upper(), "gm/dL"])))
    else:
        sent = {"valueString": f"{draw(st.sampled_from(['<', '>', '>=']))}{value}"}
    effective = draw(st.sampled_from(["dateTime", "period", "none"]))
    when = {"effectiveDateTime": draw(dates())} if effective == "dateTime" else (
        {"effectivePeriod": {"start": draw(dates())}} if effective == "period" else {})
    return lab(code, effective=when, value=sent, status=draw(st.sampled_from(["final", "amended", "preliminary"])))


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        occurrence = {"occurrenceDateTime": draw(dates())} if draw(st.booleans()) else {"occurrenceString": "unknown"}
        return epic_immunization(draw(st.sampled_from(["03", "21", "140", "87"])), occurrence=occurrence)
    return procedure_on(draw(st.sampled_from(["302497006", "265764009"])), {"performedDateTime": draw(dates())})


@st.composite
def patients(draw: st.DrawFn) -> list[dict[str, Any]]:
    person = patient(birth_date=draw(st.sampled_from(["1980-03-02", "1980", "1999-07", None])))
    death = draw(st.sampled_from([None, "boolean", "date"]))
    if death == "boolean":
        person["deceasedBoolean"] = draw(st.booleans())
    elif death == "date":
        person["deceasedDateTime"] = draw(dates())
    return [person, *draw(st.lists(conditions(), max_size=5)), *draw(st.lists(labs(), max_size=6)),
            *draw(st.lists(events(), max_size=3))]


def _dead_by_d(person: dict[str, Any]) -> bool:
    """deceasedBoolean true, or a deceasedDateTime whose first possible day is on or before D."""
    if person.get("deceasedBoolean") is True:
        return True
    when = person.get("deceasedDateTime")
    if when is None:
        return False
    first_day = {4: f"{when}-01-01", 7: f"{when}-01"}.get(len(when), when[:10])
    return first_day <= AS_OF.isoformat()


@SETTINGS
@given(patients())
def test_no_candidate_with_a_blocking_criterion_or_a_death(resources: list[dict[str, Any]]) -> None:
    result = evaluate(*resources)
    blocking = [c for c in result["criteria"]
                if (c["kind"] == "exclusion" and c["status"] == "met") or (c["kind"] == "inclusion" and c["status"] == "not_met")]
    dead = _dead_by_d(resources[0])
    assert (result["not_candidate_reason"] == "deceased") == dead
    assert (result["decision"] == "ineligible") == (bool(blocking) or dead)
    if dead:
        assert result["eligible_from"] is None


@SETTINGS
@given(st.sampled_from(CONDITION_CODES[:5]), st.integers(min_value=-14, max_value=2), st.sampled_from(["active", "resolved"]))
@example(("icd10cm", "F32.9"), 0, "active")  # November 2026 straddles D (2026-11-25)
@example(("snomed", "91175000"), -2, "resolved")  # September 2026 straddles E2's window start
@example(("snomed", "77386006"), -9, "active")  # February 2026 straddles D - 294 days
def test_a_partial_onset_decides_only_what_all_its_days_decide(code: tuple[str, str], months: int, clinical: str) -> None:
    """A Condition dated by month, around D, against the same Condition on each day of that month."""
    system, value = code
    index = 2026 * 12 + 10 + months  # months after November 2026
    first = date(index // 12, index % 12 + 1, 1)
    following = date((index + 1) // 12, (index + 1) % 12 + 1, 1)
    partial = evaluate(condition(system, value, clinical_status=clinical, onset=first.isoformat()[:7]))
    by_day = [evaluate(condition(system, value, clinical_status=clinical, onset=(first + timedelta(days=n)).isoformat()))
              for n in range((following - first).days)]
    for position, entry in enumerate(partial["criteria"]):
        statuses = {day["criteria"][position]["status"] for day in by_day}
        if len(statuses) == 1:
            assert entry["status"] == statuses.pop(), entry["id"]
        else:
            assert entry["status"] == "unknown", entry["id"]
