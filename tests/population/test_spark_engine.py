"""The Spark engine (local[2]) gives what the local engine gives, and keeps a finished job.

One SparkSession for the module (Spark takes seconds to start); `trialcds screen --engine
spark` runs in it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import orjson
import pytest
from screening import AS_OF, screen

pyspark_sql = pytest.importorskip("pyspark.sql", reason="the spark extra: pip install -e '.[spark]'")

# After the skip above: the Spark engine imports pyspark, an optional extra.
from cds.population.export import open_export  # noqa: E402
from cds.population.job import make_job  # noqa: E402
from cds.population.spark_engine import run_spark, spark_session  # noqa: E402
from cds.population.state import RunState  # noqa: E402
from cds.trials.loader import load_trials  # noqa: E402

OUTPUTS = ("attrition.csv", "candidates.csv", "not_evaluated.csv", "input_problems.csv")


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    session = spark_session("local[2]", "trialcds-tests")
    yield session
    session.stop()


def _evaluation_set(out: Path) -> set[bytes]:
    return set((out / "evaluations.ndjson").read_bytes().splitlines())


def test_spark_and_local_engines_give_the_same_outputs(spark: object, small_export: Path, tmp_path: Path) -> None:
    # One trial, so each of the 30 patients is one line of evaluations.ndjson.
    local = screen(small_export, tmp_path / "local", "--workers", "2", "--trial", "nct05247203")
    on_spark = screen(small_export, tmp_path / "spark", "--engine", "spark", "--workers", "2", "--trial", "nct05247203")
    assert local.exit_code == on_spark.exit_code == 1  # the broken line, the missing patient and Medication
    assert _evaluation_set(local.out) == _evaluation_set(on_spark.out)
    assert len(_evaluation_set(local.out)) == len(local.evaluations()) == 30
    for name in OUTPUTS:
        assert (local.out / name).read_bytes() == (on_spark.out / name).read_bytes(), name
    spark_summary, local_summary = on_spark.summary(), local.summary()
    for counts in (spark_summary, local_summary):
        del counts["engine"], counts["elapsed_seconds"]
    assert spark_summary == local_summary
    assert local_summary["orphan_patients"] == 1 and local_summary["unresolved_references"] == 1
    assert [r["patient"] for r in local.csv("not_evaluated.csv")] == ["Patient/p-broken"]
    i6 = next(c for c in on_spark.by_patient()["Patient/p-med"]["criteria"] if c["id"] == "I6")
    assert i6["status"] == "met"  # its hydroxychloroquine is a Medication named by reference


def test_a_finished_spark_job_is_not_run_again(spark: object, small_export: Path, tmp_path: Path) -> None:
    """A run stopped after its Spark job finished redoes only the outputs (the export is not read again)."""
    export = tmp_path / "export"
    shutil.copytree(small_export, export)
    trials = tuple(load_trials().values())
    job = make_job(open_export(export), trials, date.fromisoformat(AS_OF))
    state = RunState(tmp_path / "state")
    first = run_spark(job, state, "local[2]")
    evaluations = first.evaluation_files[0].read_bytes()
    shutil.rmtree(export)
    again = run_spark(job, state, "local[2]")
    assert again.evaluation_files[0].read_bytes() == evaluations
    assert again.summaries == first.summaries
    assert len({orjson.loads(line)["patient"] for line in evaluations.splitlines()}) == 30
