"""The local engine: worker processes over the CPU cores, grouping on disk, bounded memory.

Phase 1 reads the export's files in parallel (one file per task) and routes each line to a
bucket by patient (`partition.py`). Phase 2 evaluates one bucket per task: its lines are
grouped per patient in memory and each group goes through `evaluate_group`. No phase holds
more than one file's read buffer or one bucket (at most `BUCKET_LIMIT_BYTES`) per worker,
whatever the export's size. Every finished file and bucket is kept in the run's work folder,
so a stopped run resumes where it stopped.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
from tqdm import tqdm

from cds.population import collector
from cds.population.job import EngineResult, Job, JobSpec, unread_summary
from cds.population.partition import (
    SUMMARY,
    SharedStore,
    bucket_name,
    bucket_of,
    partition_file,
    read_bucket,
)
from cds.population.patient_group import Item, evaluate_group
from cds.population.state import RunState, write_atomic

# Bucket sizes aimed at and allowed. The number of buckets is set before reading, from the
# files' sizes and an expansion bound for gzip'd FHIR JSON; a bucket that still comes out
# above the limit is split on disk before it is evaluated.
BUCKET_TARGET_BYTES = 16 * 1024 * 1024
BUCKET_LIMIT_BYTES = 64 * 1024 * 1024
GZIP_EXPANSION = 40
MAX_BUCKETS = 4096


def bucket_count(job: Job, workers: int) -> int:
    """Buckets for this export: enough to keep each near the target size, at least a few per worker."""
    estimate = sum(f.size * (GZIP_EXPANSION if f.path.name.endswith(".gz") else 1) for f in job.files_to_read)
    return max(4 * workers, min(MAX_BUCKETS, math.ceil(estimate / BUCKET_TARGET_BYTES)))


def run_local(job: Job, state: RunState, workers: int, buckets: int) -> EngineResult:
    """Run both phases in a pool of `workers` processes; resume what an earlier run finished."""
    global _job
    _job = job  # forked workers start with the trials this process loaded
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(job.spec,)) as pool:
        try:
            summaries = _partition_all(pool, job, state, buckets)
            files = _evaluate_all(pool, state, summaries, buckets)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return EngineResult([f for f, _ in files], [g for _, g in files], summaries)


def _partition_all(pool: ProcessPoolExecutor, job: Job, state: RunState, buckets: int) -> list[dict[str, Any]]:
    """Phase 1: every file a trial reads, routed to buckets; summaries in file order."""
    summaries: dict[int, dict[str, Any]] = {}
    todo = []
    for file in job.spec.files:
        folder = partition_folder(state, file.index)
        if file not in job.files_to_read:
            summaries[file.index] = unread_summary(file)
        elif (folder / SUMMARY).is_file():
            summaries[file.index] = orjson.loads((folder / SUMMARY).read_bytes())
        else:
            todo.append(file)
    todo.sort(key=lambda f: -f.size)  # largest first, so no worker ends with one big file alone
    with tqdm(total=sum(f.size for f in todo), unit="B", unit_scale=True, desc="reading export", disable=None) as bar:
        futures: dict[Future[dict[str, Any]], Any] = {
            pool.submit(_partition_task, file.index, str(partition_folder(state, file.index)), buckets): file for file in todo
        }
        for future in as_completed(futures):
            file = futures[future]
            summaries[file.index] = future.result()
            bar.update(file.size)
    return [summaries[f.index] for f in job.spec.files]


def _evaluate_all(
    pool: ProcessPoolExecutor, state: RunState, summaries: list[dict[str, Any]], buckets: int
) -> list[tuple[Path, Path]]:
    """Phase 2: every non-empty bucket evaluated; its output files, in bucket order."""
    sizes = [0] * buckets
    for summary in summaries:
        for bucket, size in enumerate(summary.get("bucket_bytes") or []):
            sizes[bucket] += size
    wanted = [b for b in range(buckets) if sizes[b]]
    todo = [b for b in wanted if not bucket_done(state, b).is_file()]
    with tqdm(total=sum(sizes[b] for b in todo), unit="B", unit_scale=True, desc="evaluating patients", disable=None) as bar:
        futures = {pool.submit(_evaluate_task, b, str(state.root)): b for b in todo}
        for future in as_completed(futures):
            future.result()
            bar.update(sizes[futures[future]])
    return [(bucket_output(state, b, "ndjson"), bucket_output(state, b, "groups.ndjson")) for b in wanted]


def partition_folder(state: RunState, index: int) -> Path:
    """Where phase 1 keeps one input file's buckets."""
    return state.path("partition", f"f{index:05d}")


def bucket_output(state: RunState, bucket: int, suffix: str) -> Path:
    """An output file of one evaluated bucket."""
    return state.path("evaluated", f"b{bucket:05d}.{suffix}")


def bucket_done(state: RunState, bucket: int) -> Path:
    """The marker written last when a bucket is evaluated."""
    return bucket_output(state, bucket, "done")


# --- inside the worker processes -------------------------------------------------------

_job: Job | None = None


def _init_worker(spec: JobSpec) -> None:
    """Have the job's trials in this worker (a forked worker has the parent's already), then
    keep the collector off what stays (`collector.settle`)."""
    global _job
    if _job is None or _job.spec != spec:
        _job = spec.load()
    collector.settle()


def _partition_task(index: int, out: str, buckets: int) -> dict[str, Any]:
    assert _job is not None
    file = _job.spec.files[index]
    return partition_file(file, _job.plan, _job.compartment, Path(out), buckets)


def _evaluate_task(bucket: int, root: str) -> None:
    """Evaluate one bucket and write its outputs, the done marker last."""
    assert _job is not None
    state = RunState(Path(root))
    folders = sorted((int(p.name[1:]), p) for p in state.root.joinpath("partition").glob("f?????") if p.is_dir())
    paths = [folder / bucket_name(bucket) for _, folder in folders if (folder / bucket_name(bucket)).is_file()]
    store = SharedStore(folders)
    evaluations: list[bytes] = []
    groups: list[bytes] = []
    unresolved: Counter[str] = Counter()
    patients = 0
    scratch = state.path("evaluated", f"b{bucket:05d}.split")
    # No collection while the bucket is evaluated (8 % of its CPU on long lupus records).
    try:
        with collector.paused():
            for batch in _bounded_batches(paths, scratch, salt=bucket + 1):
                for key, items in batch.items():
                    outcome = evaluate_group(key.decode(), items, store.get, _job.group_context)
                    patients += outcome.orphan is None
                    evaluations.extend(outcome.evaluations)
                    if outcome.not_evaluated is not None:
                        groups.append(orjson.dumps({"kind": "not_evaluated", **outcome.not_evaluated}))
                    if outcome.orphan is not None:
                        groups.append(orjson.dumps({"kind": "orphan", **outcome.orphan}))
                    unresolved.update(outcome.unresolved)
    finally:
        store.close()
        shutil.rmtree(scratch, ignore_errors=True)
    groups.extend(orjson.dumps({"kind": "unresolved", "reference": k, "patients": n}) for k, n in sorted(unresolved.items()))
    write_atomic(bucket_output(state, bucket, "ndjson"), b"\n".join(evaluations) + b"\n" if evaluations else b"")
    write_atomic(bucket_output(state, bucket, "groups.ndjson"), b"\n".join(groups) + b"\n" if groups else b"")
    write_atomic(bucket_done(state, bucket), orjson.dumps({"patients": patients, "pid": os.getpid()}))


def _bounded_batches(paths: list[Path], scratch: Path, salt: int, splittable: bool = True) -> Iterator[dict[bytes, list[Item]]]:
    """The bucket's groups, in batches of at most `BUCKET_LIMIT_BYTES` of lines.

    A bucket over the limit is split on disk by another hash of the key (a patient's lines
    stay together), and each part in turn, until every part fits. A part that does not
    shrink is one patient larger than the limit: it is evaluated whole.
    """
    total = sum(p.stat().st_size for p in paths)
    if total <= BUCKET_LIMIT_BYTES or not splittable:
        yield _groups(paths)
        return
    parts = math.ceil(2 * total / BUCKET_LIMIT_BYTES)
    scratch.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        handles = [stack.enter_context(open(scratch / f"{salt}-{n}.tsv", "wb")) for n in range(parts)]
        for path in paths:
            with open(path, "rb") as fh:
                for record in fh:
                    handles[bucket_of(record.split(b"\t", 1)[0], parts, salt)].write(record)
    for n in range(parts):
        part = scratch / f"{salt}-{n}.tsv"
        yield from _bounded_batches([part], scratch, salt + parts, splittable=part.stat().st_size < total)
        part.unlink()


def _groups(paths: list[Path]) -> dict[bytes, list[Item]]:
    """Every line of the files, grouped by patient key."""
    groups: dict[bytes, list[Item]] = {}
    for key, item in read_bucket(paths):
        group = groups.get(key)
        if group is None:
            groups[key] = [item]
        else:
            group.append(item)
    return groups
