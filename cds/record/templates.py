"""Prefetch templates: which ones a set of trials needs, and how their tokens are filled."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from urllib.parse import quote

from cds.config import DEFAULTS
from fhir_mappings.yaml_data import load_yaml

_TOKEN = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


@dataclass(frozen=True)
class PrefetchTemplate:
    """One discovery prefetch entry: its key, the resource types it returns, its query."""

    key: str
    resource_types: tuple[str, ...]
    query: str

    @property
    def resource_type(self) -> str:
        """The type searched for or read (the query's first segment)."""
        return self.query.split("?", 1)[0].split("/", 1)[0]

    @property
    def is_read(self) -> bool:
        """True for an instance read (`Type/id`), false for a search (`Type?…`)."""
        return "?" not in self.query

    def fill(self, context: Mapping[str, object]) -> str:
        """Substitute `{{context.x}}` tokens, URL-quoting each value.

        CDS Hooks 2.0 §Prefetch tokens: only root-level context fields with a
        primitive value can be tokens.

        :raise KeyError: the token names a context field that is absent or not primitive.
        """

        def substitute(match: re.Match[str]) -> str:
            path = match.group(1)
            name = path.removeprefix("context.")
            value = context.get(name) if path.startswith("context.") else None
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise KeyError(path)
            return quote(str(value), safe="")

        return _TOKEN.sub(substitute, self.query)


def load_templates(
    observation_codes: Iterable[tuple[str, str]] = (),
    count: int | None = None,
    code_parameter: str | None = DEFAULTS["FHIR_OBSERVATION_CODE_PARAMETER"],
) -> tuple[PrefetchTemplate, ...]:
    """Read every known template from the package's prefetch_templates.yaml.

    A template marked `observation_codes` gets `&<code_parameter>=` with the given (system,
    code) pairs, sorted so the published query is stable: `combo-code` matches them in
    Observation.code or a component's code, `code` in Observation.code only (cds/config.py
    FHIR_OBSERVATION_CODE_PARAMETER); None leaves the search unfiltered. With `count`, every search asks
    for pages of that many results (`&_count=`, in the CDS Hooks 2.0 recommended
    subset): a server's default page is often 20 (HAPI FHIR, sekmet), and a long
    record then takes hundreds of round trips. The server may cap it; `next` links
    are followed either way.
    """
    text = resources.files("cds.record").joinpath("prefetch_templates.yaml").read_text("utf-8")
    data = load_yaml(text)["templates"]
    codes = ",".join(f"{system}|{code}" for system, code in sorted(observation_codes))
    templates = []
    for key, entry in data.items():
        query = entry["query"]
        if entry.get("observation_codes") and codes and code_parameter:
            query = f"{query}&{code_parameter}={codes}"
        if count is not None and "?" in query:
            query = f"{query}&_count={count}"
        templates.append(PrefetchTemplate(key, tuple(entry["resource_types"]), query))
    return tuple(templates)


def templates_for(
    resource_types: Iterable[str],
    observation_codes: Iterable[tuple[str, str]] = (),
    count: int | None = None,
    code_parameter: str | None = DEFAULTS["FHIR_OBSERVATION_CODE_PARAMETER"],
) -> tuple[PrefetchTemplate, ...]:
    """The templates that cover the given resource types, in file order (`count`, `code_parameter`:
    as `load_templates`).

    :raise ValueError: a resource type has no template, so its data could never be had.
    """
    wanted = set(resource_types)
    known = load_templates(observation_codes, count, code_parameter)
    uncovered = wanted.difference(*(template.resource_types for template in known))
    if uncovered:
        raise ValueError(f"no prefetch template for resource types: {', '.join(sorted(uncovered))}")
    return tuple(template for template in known if wanted.intersection(template.resource_types))
