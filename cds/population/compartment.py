"""Whose resource is this? The patient a resource belongs to, and the shared resources it names.

A Bulk export is one file per resource type, not one per patient: grouping it per patient
needs, for each type, the element that names the patient (`patient_elements.yaml`), read in
every reference form of the ground rules through `fhir_mappings.references`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any


from fhir_mappings.references import reference_key
from fhir_mappings.yaml_data import load_yaml

ELEMENTS_PATH = Path(__file__).with_name("patient_elements.yaml")
# A FHIR R4 id: what `urn:uuid:X` must be for X to be read as the id of the resource it names.
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")

Resource = dict[str, Any]


class CompartmentError(ValueError):
    """A resource type the trials read has no entry in `patient_elements.yaml`."""


@dataclass(frozen=True)
class TypeElements:
    """For one resource type: the element naming its patient, and those naming shared resources."""

    patient: str | None
    refers_to: tuple[tuple[str, tuple[str, ...]], ...]


# Reference strings remembered per process: every resource of a patient names the patient
# with the same string, so most are seen before (bounded, cleared when full).
KEY_MEMO_SIZE = 65_536


@dataclass(frozen=True)
class Compartment:
    """The per-type table, with the readers built on it."""

    types: dict[str, TypeElements]
    max_reference_depth: int
    _patient_keys: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def referring_types(self) -> frozenset[str]:
        """The types that can name shared resources."""
        return frozenset(name for name, elements in self.types.items() if elements.refers_to)

    def check_known(self, resource_types: set[str] | frozenset[str]) -> None:
        """Fail for a type the trials read that the table does not describe.

        :raise CompartmentError: naming the types and the file to add them to.
        """
        unknown = sorted(set(resource_types) - self.types.keys())
        if unknown:
            raise CompartmentError(f"{ELEMENTS_PATH.name} does not say which element names the patient of: {', '.join(unknown)}")

    def is_shared(self, resource_type: str) -> bool:
        """Whether resources of this type belong to no patient (found through references)."""
        elements = self.types.get(resource_type)
        return elements is not None and elements.patient is None and resource_type != "Patient"

    def patient_element(self, resource_type: str) -> str | None:
        """The element that names the patient of a resource of this type."""
        elements = self.types.get(resource_type)
        return elements.patient if elements is not None else None

    def patient_of(self, resource: Resource) -> tuple[str | None, str | None]:
        """(`Patient/id`, None) for the patient a resource belongs to, or (None, why not).

        A Patient belongs to itself. `urn:uuid:X` in the patient element is read as
        `Patient/X`: a Bulk export has no Bundle fullUrls, so the id is all it can name.
        """
        resource_type = resource.get("resourceType")
        if resource_type == "Patient":
            rid = resource.get("id")
            return (f"Patient/{rid}", None) if isinstance(rid, str) and _FHIR_ID.fullmatch(rid) else (None, "Patient without a valid id")
        element = self.patient_element(str(resource_type))
        if element is None:
            return None, f"no patient element is known for {resource_type}"
        value = resource.get(element)
        reference = value.get("reference") if isinstance(value, dict) else None
        if not isinstance(reference, str):
            return None, f"no {element}.reference"
        key = self._patient_keys.get(reference, "")
        if key == "":
            if len(self._patient_keys) >= KEY_MEMO_SIZE:
                self._patient_keys.clear()
            key = self._patient_keys[reference] = canonical_key(reference, "Patient")
        if key is None:
            return None, f"{element}.reference is not a reference to a resource"
        if not key.startswith("Patient/"):
            return None, f"{element} is a {key.split('/', 1)[0]}, not a Patient"
        return key, None

    def shared_references(self, resource: Resource) -> Iterator[tuple[str, str]]:
        """(key of the shared resource, reference as written) for each shared resource it names.

        `#id` references name a contained resource: nothing to look up.
        """
        resource_type = resource.get("resourceType")
        if resource_type not in self.referring_types:
            return
        elements = self.types[resource_type]
        for target, paths in elements.refers_to:
            for path in paths:
                for value in _walk(resource, path.split(".")):
                    reference = value.get("reference") if isinstance(value, dict) else None
                    if isinstance(reference, str) and not reference.startswith("#"):
                        key = canonical_key(reference, target)
                        if key is not None and key.startswith(f"{target}/"):
                            yield key, reference


def canonical_key(reference: str, target_type: str) -> str | None:
    """`Type/id` a reference names, in any form; `urn:uuid:X` as `target_type/X`."""
    key = reference_key(reference)
    if key is None:
        return None
    if key.startswith("urn:uuid:"):
        rid = key[len("urn:uuid:"):]
        return f"{target_type}/{rid}" if _FHIR_ID.fullmatch(rid) else None
    if key.startswith("urn:"):
        return None
    return key


def _walk(value: Any, path: list[str]) -> Iterator[Any]:
    """The values at a dotted path, lists walked at every step."""
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, path)
        return
    if not path:
        yield value
        return
    if isinstance(value, dict) and path[0] in value:
        yield from _walk(value[path[0]], path[1:])


@cache
def compartment() -> Compartment:
    """The table of `patient_elements.yaml`, read once."""
    raw = load_yaml(ELEMENTS_PATH.read_text(encoding="utf-8"))
    types = {
        name: TypeElements(
            body.get("patient"),
            tuple((target, tuple(paths)) for target, paths in (body.get("refers_to") or {}).items()),
        )
        for name, body in raw["types"].items()
    }
    return Compartment(types, int(raw["max_reference_depth"]))
