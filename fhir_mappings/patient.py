"""Patient -> demographics the criteria read: age at a date, and administrative sex."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir_mappings.dates import date_range


@dataclass(frozen=True)
class Demographics:
    """Birth date bounds (a partial birthDate is a range) and gender."""

    reference: str
    birth_earliest: date | None
    birth_latest: date | None
    birth_text: str | None
    gender: str | None

    def age_range(self, as_of: date) -> tuple[int, int] | None:
        """Completed years at `as_of`, youngest and oldest the birthDate allows; None if unknown."""
        if self.birth_earliest is None or self.birth_latest is None:
            return None
        return completed_years(self.birth_latest, as_of), completed_years(self.birth_earliest, as_of)


def completed_years(born: date, as_of: date) -> int:
    """Age in completed years (a birthday on 29 February counts from 1 March in common years)."""
    return as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))


def extract_demographics(patient: dict[str, Any]) -> Demographics:
    """Read Patient.birthDate and Patient.gender."""
    birth = patient.get("birthDate")
    low, high = date_range(birth) if isinstance(birth, str) else (None, None)
    gender = patient.get("gender") if isinstance(patient.get("gender"), str) else None
    return Demographics(f"Patient/{patient.get('id', '?')}", low, high, birth if low else None, gender)
