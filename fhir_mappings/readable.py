"""Reading untrusted FHIR JSON one resource at a time.

An EHR can send a resource whose elements have the wrong JSON type (a `coding` that is
not a list, a `status` that is an object). Extraction never raises for it and never
silently drops it: the resource is set aside as `Unreadable`, with the reason, and the
engine makes every criterion that reads that resource type `unknown` rather than
`not_met` (a dropped record could be the one that excludes the patient).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import InvalidOperation
from typing import Any, TypeVar

from fhir_mappings.immutable import immutable

T = TypeVar("T")
Resource = dict[str, Any]


class MalformedResourceError(ValueError):
    """An element of a resource does not have the JSON type FHIR R4 gives it."""


@immutable
class Unreadable:
    """A resource the mapping could not read, and why (no patient data in `problem`)."""

    reference: str
    problem: str


# What reading a malformed JSON structure can raise; anything else is a bug and propagates.
READ_ERRORS = (MalformedResourceError, TypeError, AttributeError, KeyError, ValueError, InvalidOperation)


def reference_of(resource: Resource) -> str:
    """`Type/id` of a resource, as evidence names it."""
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"


def read_each(resources: Iterable[Resource], read: Callable[[Resource], Iterable[T]]) -> tuple[list[T], list[Unreadable]]:
    """Apply `read` to each resource; set aside the ones it cannot read."""
    facts: list[T] = []
    unreadable: list[Unreadable] = []
    for resource in resources:
        try:
            facts.extend(read(resource))
        except READ_ERRORS as exc:
            unreadable.append(Unreadable(reference_of(resource), f"{type(exc).__name__}: {exc}"[:200]))
    return facts, unreadable


def element(resource: Resource, name: str, kind: type) -> Any:
    """An element that must be of JSON type `kind` when present; None when absent.

    :raise MalformedResourceError: present with another type.
    """
    value = resource.get(name)
    if value is not None and not isinstance(value, kind):
        raise MalformedResourceError(f"{name} is not a {'list' if kind is list else 'JSON ' + kind.__name__}")
    return value


def status_of(resource: Resource) -> str | None:
    """The resource's `status` code (a string when present)."""
    return element(resource, "status", str)
