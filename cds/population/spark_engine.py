"""The Spark engine: the same reading and the same per-patient evaluation, grouped by Spark.

Each export file is read by one Spark task with the local engine's reader (`FileReading`);
records are grouped by patient key (`groupByKey`), the shared resources a patient's records
name are joined in (as many rounds as `max_reference_depth`), and `evaluate_group` is mapped
over the groups. Runs on `local[N]` or any Spark master: executors need trialcds installed
and the export and the output folder at the same path (a shared file system). A run whose
Spark job finished keeps its output in the work folder, so a stopped run redoes only the
outputs.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from pyspark import RDD, StorageLevel
from pyspark.sql import SparkSession

from cds.population import collector
from cds.population.job import EngineResult, Job, JobSpec, unread_summary
from cds.population.local_engine import BUCKET_TARGET_BYTES, GZIP_EXPANSION
from cds.population.patient_group import Item, evaluate_group
from cds.population.reader import FileReading
from cds.population.routing import PATIENT_RESOURCE, SHARED_RESOURCE
from cds.population.state import RunState

EVALUATION_TAG = "E\t"
GROUP_TAG = "G\t"
SUMMARY_TAG = "F"
# Spark's own settings for a run: no web UI, no console progress bar (the run reports its
# own), Python workers reused between tasks (each loads the trial files once).
SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.python.worker.reuse": "true",
}


def spark_session(master: str, app_name: str = "trialcds-screen") -> SparkSession:
    """A SparkSession on `master` (`local[N]`, `spark://host:port`, …).

    Executors run `PYSPARK_PYTHON`, by default the Python that runs trialcds (PySpark's own
    default is whatever `python3` is first on the PATH, which may not have trialcds).
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def run_spark(job: Job, state: RunState, master: str) -> EngineResult:
    """Run the job on Spark: in the process's active SparkSession if there is one (a notebook,
    `pyspark`, a test), else in one made on `master` and stopped after."""
    out = state.path("spark", "output")
    summaries_path = state.path("spark", "summaries.json")
    if not (out / "_SUCCESS").is_file() or not summaries_path.is_file():
        session = SparkSession.getActiveSession()
        own = session is None
        session = session or spark_session(master)
        try:
            shutil.rmtree(out, ignore_errors=True)
            summaries = _run_job(session, job, out)
        finally:
            if own:
                session.stop()
        summaries_path.write_bytes(orjson.dumps(summaries))
    summaries = orjson.loads(summaries_path.read_bytes())
    evaluations, groups = _split_output(out, state)
    return EngineResult([evaluations], [groups], summaries)


def _run_job(session: SparkSession, job: Job, out: Path) -> list[dict[str, Any]]:
    """The Spark job; returns the file summaries in file order."""
    sc = session.sparkContext
    spec = job.spec
    files = [f.index for f in job.files_to_read]
    routed = sc.parallelize(files, max(len(files), 1)).flatMap(lambda index: _read_file(spec, index))
    routed.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        patient_items = routed.filter(lambda r: r[0] == PATIENT_RESOURCE).map(lambda r: (r[1], ("R", r[2])))
        # Shared resources by key; the first line in export order keeps a key, as in a Bundle.
        shared = (routed.filter(lambda r: r[0] == SHARED_RESOURCE).map(lambda r: (r[1], (r[2], r[3])))
                  .reduceByKey(lambda a, b: a if a[0][:2] <= b[0][:2] else b, sc.defaultParallelism))
        attached = _shared_attachments(job, routed, shared, sc.defaultParallelism) if any(
            job.compartment.is_shared(f.resource_type) for f in job.files_to_read) else []
        groups = sc.union([patient_items, *attached]).groupByKey(_group_partitions(job, sc.defaultParallelism))
        groups.mapPartitions(lambda part: _evaluate_partition(spec, part)).saveAsTextFile(str(out))
        summaries = dict(routed.filter(lambda r: r[0] == SUMMARY_TAG).map(lambda r: (r[1], r[2])).collect())
    finally:
        routed.unpersist()
    return [summaries.get(f.index) or unread_summary(f) for f in spec.files]


def _group_partitions(job: Job, parallelism: int) -> int:
    """Partitions of patients: two per core, more when the export is large, so that one
    partition's groups stay near `BUCKET_TARGET_BYTES` as in the local engine."""
    estimate = sum(f.size * (GZIP_EXPANSION if f.path.name.endswith(".gz") else 1) for f in job.files_to_read)
    return max(2 * parallelism, math.ceil(estimate / BUCKET_TARGET_BYTES))


def _shared_attachments(job: Job, routed: RDD, shared: RDD, partitions: int) -> list[RDD]:
    """(patient key, ("S", shared key, item)) for every shared resource a patient's records
    name, directly or through the shared resources they name (`max_reference_depth` deep,
    one join per level; deeper levels only when some shared resource names another)."""
    named = routed.filter(lambda r: r[0] == PATIENT_RESOURCE and r[3]).flatMap(lambda r: [(k, r[1]) for k in r[3]])
    levels = job.compartment.max_reference_depth if not shared.filter(lambda kv: kv[1][1]).isEmpty() else 1
    attached = []
    for _ in range(levels):
        found = named.distinct(partitions).join(shared, partitions)  # (key, (patient, (item, keys it names)))
        attached.append(found.map(lambda kv: (kv[1][0], ("S", kv[0], kv[1][1][0]))))
        named = found.flatMap(lambda kv: [(k, kv[1][0]) for k in kv[1][1][1]])
    return attached


# --- inside the executors ------------------------------------------------------------------

_jobs: dict[str, Job] = {}


def _job(spec: JobSpec) -> Job:
    """The job's trials loaded once per executor Python process."""
    if spec.digest not in _jobs:
        _jobs[spec.digest] = spec.load()
        collector.settle()
    return _jobs[spec.digest]


def _read_file(spec: JobSpec, index: int) -> Iterator[tuple[Any, ...]]:
    """One file's records, then its summary as a record of its own."""
    job = _job(spec)
    reading = FileReading(spec.files[index], job.plan, job.compartment)
    yield from reading.records()
    yield SUMMARY_TAG, index, reading.summary(), ()


def _evaluate_partition(spec: JobSpec, groups: Iterable[tuple[str, Iterable[tuple[Any, ...]]]]) -> Iterator[str]:
    """Evaluation lines and group lines of one partition of patients, tagged."""
    with collector.paused():
        yield from _evaluated_lines(_job(spec), groups)


def _evaluated_lines(job: Job, groups: Iterable[tuple[str, Iterable[tuple[Any, ...]]]]) -> Iterator[str]:
    """The tagged lines of each group in turn, then the shared resources named but not found."""
    unresolved: Counter[str] = Counter()
    for key, values in groups:
        items: list[Item] = []
        shared: dict[str, Item] = {}
        for value in values:
            if value[0] == "R":
                items.append(value[1])
            else:
                shared[value[1]] = value[2]
        outcome = evaluate_group(key, items, shared.get, job.group_context)
        for line in outcome.evaluations:
            yield EVALUATION_TAG + line.decode()
        if outcome.not_evaluated is not None:
            yield GROUP_TAG + orjson.dumps({"kind": "not_evaluated", **outcome.not_evaluated}).decode()
        if outcome.orphan is not None:
            yield GROUP_TAG + orjson.dumps({"kind": "orphan", **outcome.orphan}).decode()
        unresolved.update(outcome.unresolved)
    for reference, patients in sorted(unresolved.items()):
        yield GROUP_TAG + orjson.dumps({"kind": "unresolved", "reference": reference, "patients": patients}).decode()


def _split_output(out: Path, state: RunState) -> tuple[Path, Path]:
    """The job's tagged part files split into an evaluation file and a group file."""
    evaluations = state.path("spark", "evaluations.ndjson")
    groups = state.path("spark", "groups.ndjson")
    with open(evaluations, "wb") as ev, open(groups, "wb") as gr:
        for part in sorted(out.glob("part-*")):
            with open(part, "rb") as fh:
                for line in fh:
                    (ev if line.startswith(EVALUATION_TAG.encode()) else gr).write(line[2:])
    return evaluations, groups
