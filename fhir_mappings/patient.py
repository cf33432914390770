"""Patient -> demographics the criteria read: age at a date, administrative sex, death."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir_mappings.dates import Span, date_range, date_span


@dataclass(frozen=True)
class Demographics:
    """Birth date bounds (a partial birthDate is a range), gender, and whether the
    record says the patient died (`deceased_on`: the deceasedDateTime, when readable)."""

    reference: str
    birth_earliest: date | None
    birth_latest: date | None
    birth_text: str | None
    gender: str | None
    deceased: bool = False
    deceased_on: Span | None = None

    @property
    def birth(self) -> Span | None:
        """The birthDate as the span of days it can mean."""
        if self.birth_earliest is None or self.birth_latest is None:
            return None
        return Span(self.birth_earliest, self.birth_latest, self.birth_text or self.birth_earliest.isoformat())

    def age_range(self, as_of: date) -> tuple[int, int] | None:
        """Completed years at `as_of`, youngest and oldest the birthDate allows; None if unknown."""
        if self.birth_earliest is None or self.birth_latest is None:
            return None
        return completed_years(self.birth_latest, as_of), completed_years(self.birth_earliest, as_of)

    def dead_at(self, as_of: date) -> bool:
        """Whether the patient may have died on or before `as_of`.

        Ground rules, "Patient deceased": deceasedBoolean true, or a deceasedDateTime on
        or before D. A partial deceasedDateTime counts when any day of its period is on or
        before D, and one that cannot be read as a date counts too: a record that says the
        patient died is never shown as a candidate on a guess that the death is later.
        """
        if not self.deceased:
            return False
        return self.deceased_on is None or self.deceased_on.first <= as_of


def completed_years(born: date, as_of: date) -> int:
    """Age in completed years (a birthday on 29 February counts from 1 March in common years)."""
    return as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))


def _deceased(patient: dict[str, Any]) -> tuple[bool, Span | None]:
    """(the record says the patient died, the date of death when it can be read)."""
    flag = patient.get("deceasedBoolean")
    if flag is True or (isinstance(flag, str) and flag.strip().lower() == "true"):
        return True, None
    when = patient.get("deceasedDateTime")
    if when is None or when == "":
        return False, None
    return True, date_span(when)


def extract_demographics(patient: dict[str, Any]) -> Demographics:
    """Read Patient.birthDate, Patient.gender and Patient.deceased[x]."""
    birth = patient.get("birthDate")
    low, high = date_range(birth) if isinstance(birth, str) else (None, None)
    gender = patient.get("gender") if isinstance(patient.get("gender"), str) else None
    deceased, deceased_on = _deceased(patient)
    return Demographics(
        f"Patient/{patient.get('id', '?')}", low, high, birth if low else None, gender, deceased, deceased_on
    )
