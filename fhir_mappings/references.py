"""FHIR References in every form an EHR sends, reduced to one key per resource.

Ground rules, "Records as EHRs send them": a reference may be relative (`Type/id`),
versioned (`Type/id/_history/2`), an absolute URL (`https://ehr.example.org/fhir/Type/id`),
a `urn:uuid:` (a Bundle entry's fullUrl) or `#id` (a resource contained in the one that
refers to it); all of them resolve to the same resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

Resource = dict[str, Any]

# `Type/id` at the end of a (possibly absolute) URL, with an optional `/_history/vid`;
# FHIR R4 ids are [A-Za-z0-9\-\.]{1,64} and resource types start with a capital letter.
_TYPED_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?/?$")


def reference_key(reference: Any) -> str | None:
    """The key a reference points at: `Type/id`, or the `urn:uuid:`/`urn:oid:` itself.

    `#id` (contained) and anything that is not a string give None: a contained
    resource is found through its container (`contained_of`).
    """
    if not isinstance(reference, str):
        return None
    text = reference.strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith(("urn:uuid:", "urn:oid:")):
        return text
    match = _TYPED_ID.search(text.split("?", 1)[0])
    return f"{match.group(1)}/{match.group(2)}" if match else None


def reference_of(element: Any) -> str | None:
    """The `reference` string of a Reference element, if it has one."""
    if isinstance(element, dict) and isinstance(element.get("reference"), str):
        return element["reference"]
    return None


def contained_of(container: Resource, reference: Any) -> Resource | None:
    """The resource a `#id` reference names among `container.contained`, if any."""
    if not isinstance(reference, str) or not reference.startswith("#"):
        return None
    wanted = reference[1:]
    for item in container.get("contained") or []:
        if isinstance(item, dict) and item.get("id") == wanted:
            return item
    return None


def keys_of(resource: Resource, full_url: Any = None) -> list[str]:
    """Every key under which a resource can be referred to: `Type/id` and its fullUrl's key."""
    keys = []
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if isinstance(rtype, str) and isinstance(rid, str) and rid:
        keys.append(f"{rtype}/{rid}")
    url_key = reference_key(full_url)
    if url_key is not None and url_key not in keys:
        keys.append(url_key)
    return keys


def index_resources(entries: Iterable[tuple[Any, Resource]]) -> dict[str, Resource]:
    """Key -> resource for (fullUrl, resource) pairs; the first resource with a key keeps it."""
    index: dict[str, Resource] = {}
    for full_url, resource in entries:
        for key in keys_of(resource, full_url):
            index.setdefault(key, resource)
    return index


def resolve(reference: Any, index: Mapping[str, Resource], container: Resource | None = None) -> Resource | None:
    """The resource a reference string names: contained in `container`, or in the index."""
    if isinstance(reference, str) and reference.startswith("#"):
        return contained_of(container, reference) if container is not None else None
    key = reference_key(reference)
    return index.get(key) if key is not None else None


def points_to(reference: Any, resource_type: str, resource_id: str, aliases: Iterable[str] = ()) -> bool:
    """Whether a reference string names `resource_type/resource_id` (or one of its fullUrl keys)."""
    key = reference_key(reference)
    return key is not None and (key == f"{resource_type}/{resource_id}" or key in aliases)
