"""Group on disk: one export file -> per-bucket files of lines keyed by patient (local engine).

A patient's resources are spread over every file of the export. Each line is routed to a
bucket by a stable hash of its patient key (`Patient/id`), so all of one patient's lines land
in the same bucket, whichever file they come from; a bucket is later evaluated alone, in
memory. Shared resources (Medications) go to a SQLite table, looked up by key.

Bucket file lines: `key TAB file-index TAB line-number TAB raw-json`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from cds.population.compartment import Compartment
from cds.population.export import ExportFile
from cds.population.patient_group import Item
from cds.population.reader import FileReading
from cds.population.routing import SHARED_RESOURCE, ReadPlan

# Lines buffered per worker before they are appended to the bucket files.
FLUSH_BYTES = 8 * 1024 * 1024
SHARED_DB = "shared.sqlite"
SUMMARY = "summary.json"
SHARED_BATCH = 2000


def bucket_of(key: bytes, buckets: int, salt: int = 0) -> int:
    """The bucket of a patient key: stable across processes and runs (unlike `hash`)."""
    return zlib.crc32(key, salt) % buckets


def bucket_name(bucket: int) -> str:
    """The file name of one bucket inside a partition folder."""
    return f"b{bucket:05d}.tsv"


def partition_file(file: ExportFile, plan: ReadPlan, compartment: Compartment, out: Path, buckets: int) -> dict[str, Any]:
    """Route every line of one file to its bucket; return the file's summary.

    Written into `out.tmp` and renamed to `out` when complete, so a stopped run redoes only
    the files it had not finished.
    """
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    reading = FileReading(file, plan, compartment)
    writer = _BucketWriter(tmp, buckets)
    shared = _SharedWriter(tmp / SHARED_DB) if compartment.is_shared(file.resource_type) else None
    prefix = b"\t%d\t" % file.index
    for kind, key, (_, number, raw), _refs in reading.records():
        if kind == SHARED_RESOURCE and shared is not None:
            shared.add(key, number, raw)
        else:
            writer.add(key.encode(), prefix + b"%d\t" % number + raw)
    writer.close()
    if shared is not None:
        shared.close()
    summary = {**reading.summary(), "bucket_bytes": writer.sizes}
    (tmp / SUMMARY).write_bytes(orjson.dumps(summary))
    os.replace(tmp, out)
    return summary


class _BucketWriter:
    """Appends lines to per-bucket files, buffered so each write moves megabytes."""

    def __init__(self, folder: Path, buckets: int) -> None:
        self.folder = folder
        self.buckets = buckets
        self.pending: dict[int, list[bytes]] = {}
        self.pending_bytes = 0
        self.sizes = [0] * buckets

    def add(self, key: bytes, rest: bytes) -> None:
        bucket = bucket_of(key, self.buckets)
        record = key + rest + b"\n"
        self.pending.setdefault(bucket, []).append(record)
        self.pending_bytes += len(record)
        self.sizes[bucket] += len(record)
        if self.pending_bytes >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        for bucket, records in self.pending.items():
            with open(self.folder / bucket_name(bucket), "ab") as fh:
                fh.write(b"".join(records))
        self.pending.clear()
        self.pending_bytes = 0

    def close(self) -> None:
        self.flush()


class _SharedWriter:
    """Shared resources by key in SQLite; the first line with a key keeps it, as in a Bundle."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE shared (key TEXT PRIMARY KEY, line INTEGER, body BLOB) WITHOUT ROWID")
        self.batch: list[tuple[str, int, bytes]] = []

    def add(self, key: str, line: int, body: bytes) -> None:
        self.batch.append((key, line, body))
        if len(self.batch) >= SHARED_BATCH:
            self._write()

    def _write(self) -> None:
        self.db.executemany("INSERT OR IGNORE INTO shared VALUES (?, ?, ?)", self.batch)
        self.batch.clear()

    def close(self) -> None:
        self._write()
        self.db.commit()
        self.db.close()


class SharedStore:
    """Looks shared resources up across the finished partition folders, first file first."""

    def __init__(self, folders: list[tuple[int, Path]]) -> None:
        self.dbs = [
            (index, sqlite3.connect(f"file:{folder / SHARED_DB}?mode=ro", uri=True))
            for index, folder in sorted(folders)
            if (folder / SHARED_DB).is_file()
        ]
        self.memo: dict[str, Item | None] = {}

    def get(self, key: str) -> Item | None:
        """The stored line of `key`, or None; remembered (many patients name the same drugs)."""
        if key in self.memo:
            return self.memo[key]
        found = None
        for index, db in self.dbs:
            row = db.execute("SELECT line, body FROM shared WHERE key = ?", (key,)).fetchone()
            if row is not None:
                found = (index, int(row[0]), bytes(row[1]))
                break
        if len(self.memo) >= SHARED_MEMO:
            self.memo.clear()
        self.memo[key] = found
        return found

    def close(self) -> None:
        for _, db in self.dbs:
            db.close()


# Shared resources remembered per worker (bounded: a formulary is thousands, not millions).
SHARED_MEMO = 20_000


def read_bucket(paths: list[Path]) -> Iterator[tuple[bytes, Item]]:
    """(patient key, item) for every line of one bucket's files."""
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        for record in data.split(b"\n"):
            if record:
                key, file_index, line_number, raw = record.split(b"\t", 3)
                yield key, (int(file_index), int(line_number), raw)
