"""A FHIR Bulk Data export as a client receives it: which files hold which resource type.

Either the folder holds the `$export` completion manifest (FHIR Bulk Data Access IG 2.0.0,
"Response - Complete Status": `output[]` with `type` and `url`, files downloaded beside it), or
it holds only `.ndjson` / `.ndjson.gz` files, one resource type per file, a type possibly split
over several files. A manifest entry whose file is missing is a problem of the run, not the
end of it.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import orjson

from cds.population.problems import Problem

MANIFEST_NAME = "manifest.json"
NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz")
# A manifest is small (one entry per file); a .json file larger than this is not one.
MANIFEST_MAX_BYTES = 16 * 1024 * 1024
# Bytes decompressed or read per step: large enough to amortise each call, small enough
# that a worker's memory stays flat.
CHUNK_BYTES = 1 << 20
_TYPE_IN_NAME = re.compile(r"^(?:\d+[._-])?([A-Z][A-Za-z]+)")
_TYPE_IN_LINE = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]+)"')


class ExportError(ValueError):
    """The source cannot be read as an export at all (the run cannot start)."""


@dataclass(frozen=True)
class ExportFile:
    """One ndjson file of the export: its place in file order, path and resource type."""

    index: int
    path: Path
    resource_type: str
    size: int

    @property
    def name(self) -> str:
        """The file's name, as messages give it."""
        return self.path.name


@dataclass(frozen=True)
class Export:
    """The files of an export in the order their resources are read, and what was wrong."""

    folder: Path
    files: tuple[ExportFile, ...]
    problems: tuple[Problem, ...]
    manifest: Path | None


def open_export(folder: Path) -> Export:
    """Find the export's files and their resource types.

    :raise ExportError: no such folder, a manifest that is not JSON or has no `output`, or no
        ndjson file at all.
    """
    if not folder.exists():
        raise ExportError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ExportError(f"{folder}: not a folder (give the folder that holds the export's files)")
    manifest = _find_manifest(folder)
    if manifest is not None:
        files, problems = _from_manifest(folder, manifest)
    else:
        files, problems = _from_folder(folder)
    if not files:
        where = f"{manifest} lists no file that is in the folder" if manifest else f"{folder}: no .ndjson or .ndjson.gz files"
        raise ExportError(where)
    return Export(folder, tuple(files), tuple(problems), manifest)


def _find_manifest(folder: Path) -> Path | None:
    """`manifest.json`, else the one `*.json` holding an `output` list."""
    named = folder / MANIFEST_NAME
    if named.is_file():
        return named
    found = []
    for path in sorted(folder.glob("*.json")):
        if path.stat().st_size > MANIFEST_MAX_BYTES:
            continue
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("output"), list):
            found.append(path)
    return found[0] if len(found) == 1 else None


def _from_manifest(folder: Path, manifest: Path) -> tuple[list[ExportFile], list[Problem]]:
    try:
        data = orjson.loads(manifest.read_bytes())
    except OSError as exc:
        raise ExportError(f"{manifest}: cannot read: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError as exc:
        raise ExportError(f"{manifest}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("output"), list):
        raise ExportError(f"{manifest}: not a Bulk Data manifest (no `output` list)")
    files: list[ExportFile] = []
    problems: list[Problem] = []
    for number, entry in enumerate(data["output"]):
        where = f"output[{number}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) or not isinstance(entry.get("url"), str):
            problems.append(Problem(manifest.name, None, f"{where} has no `type` and `url`"))
            continue
        path = _local_file(folder, entry["url"])
        if path is None:
            problems.append(Problem(
                manifest.name, None,
                f"{where} ({entry['type']}) names {entry['url']}, but {_basename(entry['url'])} is not in {folder}",
            ))
            continue
        files.append(ExportFile(len(files), path, entry["type"], path.stat().st_size))
    for number, entry in enumerate(data.get("error") or []):
        url = entry.get("url") if isinstance(entry, dict) else None
        if isinstance(url, str):
            problems.append(Problem(manifest.name, None, f"error[{number}]: the server reported errors in {url} (OperationOutcome)"))
    return files, problems


def _basename(url: str) -> str:
    return Path(urlparse(url).path).name


def _local_file(folder: Path, url: str) -> Path | None:
    """The downloaded file a manifest URL stands for: its name in the folder (or gzipped)."""
    name = _basename(url)
    if not name:
        return None
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _from_folder(folder: Path) -> tuple[list[ExportFile], list[Problem]]:
    """Every ndjson file, by name; the type from the first resource, else from the name."""
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(NDJSON_SUFFIXES))
    files: list[ExportFile] = []
    problems: list[Problem] = []
    for path in paths:
        resource_type = _type_of(path)
        if resource_type is None:
            problems.append(Problem(path.name, None, "cannot tell its resource type (no resourceType on its first line or in its name)"))
            continue
        files.append(ExportFile(len(files), path, resource_type, path.stat().st_size))
    return files, problems


def _type_of(path: Path) -> str | None:
    """The resourceType of the file's first non-blank line, else the type its name starts with."""
    try:
        first = next((line for lines in read_line_chunks(path) for line in lines if line.strip()), b"")
    except ExportReadError:
        first = b""
    match = _TYPE_IN_LINE.search(first)
    if match:
        return match.group(1).decode()
    match = _TYPE_IN_NAME.match(path.name)
    return match.group(1) if match else None


class ExportReadError(OSError):
    """A file of the export cannot be read to its end (unreadable, corrupt or truncated gzip)."""


def read_line_chunks(path: Path) -> Iterator[list[bytes]]:
    """The file's lines (without newlines), a chunk of about `CHUNK_BYTES` at a time.

    Readers that go through millions of lines count them themselves: no tuple per line.

    :raise ExportReadError: naming the line reached, when the file stops being readable.
    """
    opener = gzip.open if path.name.endswith(".gz") else open
    number = 0
    rest = b""
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(CHUNK_BYTES):
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                number += len(lines)
                yield lines
    except (OSError, EOFError, zlib.error) as exc:
        raise ExportReadError(f"cannot read past line {number}: {exc}") from None
    if rest:
        yield [rest]
