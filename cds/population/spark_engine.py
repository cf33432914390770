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

import shutil
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from pyspark import StorageLevel
from pyspark.sql import SparkSession

from cds.population.job import EngineResult, Job, JobSpec, unread_summary
from cds.population.patient_group import Item, evaluate_group
from cds.population.reader import FileReading
from cds.population.routing import PATIENT_RESOURCE, SHARED_RESOURCE
from cds.population.state import RunState

EVALUATION_TAG = "E\t"
GROUP_TAG = "G\t"
SUMMARY_TAG = "F"
# Spark's own settings for a run: no web UI, no console progress bar (the run reports its
# own), quiet logs; executors use this Python (the venv trialcds is installed in).
SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.python.worker.reuse": "true",
}


def spark_session(master: str, app_name: str = "trialcds-screen") -> SparkSession:
    """A SparkSession on `master` (`local[N]`, `spark://host:port`, …)."""
    builder = SparkSession.builder.master(master).appName(app_name).config("spark.pyspark.python", sys.executable)
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def run_spark(job: Job, state: RunState, master: str, session: SparkSession | None = None) -> EngineResult:
    """Run the job on Spark (a given session, or one made on `master` and stopped after)."""
    out = state.path("spark", "output")
    summaries_path = state.path("spark", "summaries.json")
    if not (out / "_SUCCESS").is_file() or not summaries_path.is_file():
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
                  .reduceByKey(lambda a, b: a if a[0][:2] <= b[0][:2] else b))
        named = routed.filter(lambda r: r[0] == PATIENT_RESOURCE and r[3]).flatMap(lambda r: [(k, r[1]) for k in r[3]])
        attached = []
        for _ in range(job.compartment.max_reference_depth):
            named = named.distinct()
            if named.isEmpty():
                break
            found = named.join(shared)  # (key, (patient, (item, keys it names)))
            attached.append(found.map(lambda kv: (kv[1][0], ("S", kv[0], kv[1][1][0]))))
            named = found.flatMap(lambda kv: [(k, kv[1][0]) for k in kv[1][1][1]])
        groups = sc.union([patient_items, *attached]).groupByKey(max(2 * sc.defaultParallelism, 1))
        groups.mapPartitions(lambda part: _evaluate_partition(spec, part)).saveAsTextFile(str(out))
        summaries = dict(routed.filter(lambda r: r[0] == SUMMARY_TAG).map(lambda r: (r[1], r[2])).collect())
    finally:
        routed.unpersist()
    return [summaries.get(f.index) or unread_summary(f) for f in spec.files]


# --- inside the executors ------------------------------------------------------------------

_jobs: dict[str, Job] = {}


def _job(spec: JobSpec) -> Job:
    """The job's trials loaded once per executor Python process."""
    if spec.digest not in _jobs:
        _jobs[spec.digest] = spec.load()
    return _jobs[spec.digest]


def _read_file(spec: JobSpec, index: int) -> Iterator[tuple[Any, ...]]:
    """One file's records, then its summary as a record of its own."""
    job = _job(spec)
    reading = FileReading(spec.files[index], job.plan, job.compartment)
    yield from reading.records()
    yield SUMMARY_TAG, index, reading.summary(), ()


def _evaluate_partition(spec: JobSpec, groups: Iterable[tuple[str, Iterable[tuple[Any, ...]]]]) -> Iterator[str]:
    """Evaluation lines and group lines of one partition of patients, tagged."""
    job = _job(spec)
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
