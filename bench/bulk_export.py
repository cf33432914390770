"""Lay FHIR Bundles out as a FHIR Bulk Data export, as a client downloads one.

    .venv/bin/python -m bench.bulk_export ../shared/data/external /tmp/external-export

A server that stored the Bundles (Synthea's transaction Bundles, with `urn:uuid:` fullUrls)
and then answered `$export` writes one ndjson file per resource type, a large type split over
several files, references rewritten to the stored resources (FHIR R4 http.html#trules: a
transaction's `urn:uuid:` references become the ids the server assigned, here the resources'
own ids), and a completion manifest whose `output[].url` names each file (FHIR Bulk Data
Access IG 2.0.0, "Response - Complete Status"). EHRs write references in several forms, so
the rewritten references rotate over the forms of the ground rules: relative, absolute URL,
versioned, and `urn:uuid:` where the id is a UUID.
"""

from __future__ import annotations

import gzip
import itertools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
import orjson

Resource = dict[str, Any]
EXPORT_BASE = "https://bulk.example.org/fhir"
EHR_BASE = "https://ehr.example.org/fhir"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


BUNDLE_SUFFIXES = (".json", ".json.gz")


def read_bundle(path: Path) -> Resource:
    """A Bundle file, gzip'd or not."""
    raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return orjson.loads(raw)


def _forms(reference_type: str, rid: str) -> list[bytes]:
    forms = [f"{reference_type}/{rid}", f"{EHR_BASE}/{reference_type}/{rid}", f"{reference_type}/{rid}/_history/1"]
    if _UUID.fullmatch(rid):
        forms.append(f"urn:uuid:{rid}")
    return [form.encode() for form in forms]


_REFERENCE = re.compile(rb'"reference":"([^"]+)"')


def stored_lines(bundles: Iterable[Path]) -> list[tuple[str, bytes]]:
    """(resource type, ndjson line) of every resource of the Bundles as the server stores it,
    in Bundle order: References to Bundle entries name the stored resources."""
    counter = itertools.count()
    lines = []
    for path in bundles:
        bundle = read_bundle(path)
        entries = [e for e in bundle.get("entry") or [] if isinstance(e.get("resource"), dict)]
        targets = {
            e["fullUrl"].encode(): _forms(e["resource"]["resourceType"], e["resource"]["id"])
            for e in entries if isinstance(e.get("fullUrl"), str)
        }

        def rewrite(match: re.Match[bytes], targets: dict[bytes, list[bytes]] = targets) -> bytes:
            forms = targets.get(match.group(1))
            if forms is None:
                return match.group(0)
            return b'"reference":"' + forms[next(counter) % len(forms)] + b'"'

        lines.extend((e["resource"]["resourceType"], _REFERENCE.sub(rewrite, orjson.dumps(e["resource"]))) for e in entries)
    return lines


def resource_lines(resources: Iterable[Resource]) -> list[tuple[str, bytes]]:
    """(resource type, ndjson line) of resources written as they are."""
    return [(r["resourceType"], orjson.dumps(r)) for r in resources]


def write_export(lines: list[tuple[str, bytes]], folder: Path, *, manifest: bool = True, per_file: int = 20_000,
                 gzip_every_other: bool = True) -> list[Path]:
    """Write the lines as ndjson, one type per file and at most `per_file` lines a file.

    Files alternate between `.ndjson.gz` and `.ndjson` (both are in the wild); with
    `manifest`, a completion manifest lists them with absolute URLs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[bytes]] = {}
    for resource_type, line in lines:
        by_type.setdefault(resource_type, []).append(line)
    written: list[Path] = []
    outputs = []
    for number, (resource_type, items) in enumerate(sorted(by_type.items())):
        for part, start in enumerate(range(0, len(items), per_file), start=1):
            body = b"".join(line + b"\n" for line in items[start:start + per_file])
            gz = gzip_every_other and (number + part) % 2 == 0
            path = folder / f"{resource_type}.{part:03d}.ndjson{'.gz' if gz else ''}"
            path.write_bytes(gzip.compress(body, 1) if gz else body)
            written.append(path)
            outputs.append({"type": resource_type, "url": f"{EXPORT_BASE}/bulk-files/{path.name.removesuffix('.gz')}",
                            "count": len(items[start:start + per_file])})
    if manifest:
        (folder / "manifest.json").write_bytes(orjson.dumps({
            "transactionTime": "2026-11-25T08:00:00Z",
            "request": f"{EXPORT_BASE}/$export?_outputFormat=application/fhir+ndjson",
            "requiresAccessToken": True,
            "output": outputs,
            "error": [],
        }, option=orjson.OPT_INDENT_2))
    return written


@click.command()
@click.argument("bundles", type=click.Path(path_type=Path, exists=True))
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
def main(bundles: Path, out: Path) -> None:
    """Write the Bundles under BUNDLES (a file or a folder, searched recursively) as a Bulk export in OUT."""
    paths = [bundles] if bundles.is_file() else sorted(p for p in bundles.rglob("*") if p.name.endswith(BUNDLE_SUFFIXES)
                                                      and p.name != "manifest.json")
    lines = stored_lines(paths)
    written = write_export(lines, out)
    click.echo(f"{len(paths)} Bundles, {len(lines):,} resources -> {len(written)} ndjson files and manifest.json in {out}")


if __name__ == "__main__":
    main()
