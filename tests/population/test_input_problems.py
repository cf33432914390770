"""Bad input is reported, naming the file and line, and the rest of the run goes on.

A missing folder stops the run (exit 2); everything else (a manifest naming a file that is
not there, lines that are not JSON, resources of patients not in the export, a truncated
gzip file) is a problem of the run (exit 1), listed in input_problems.csv, and every other
patient is evaluated.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
from click.testing import CliRunner
from fhir_builders import condition
from patients import SLE, healthy_patient, lupus_patient, of_patient
from screening import screen

from bench.bulk_export import resource_lines, write_export
from cds.cli import main


def _export(folder: Path, resources: list[dict], **kwargs: object) -> list[Path]:
    return write_export(resource_lines(resources), folder, **kwargs)  # type: ignore[arg-type]


def test_no_such_folder_stops_the_run_with_a_message(tmp_path: Path) -> None:
    result = screen(tmp_path / "missing", tmp_path / "out")
    assert result.exit_code == 2
    assert "missing: no such folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_folder_without_ndjson_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "notes.txt").write_text("not an export")
    result = screen(tmp_path / "export", tmp_path / "out")
    assert result.exit_code == 2
    assert "no .ndjson or .ndjson.gz files" in result.stderr


def test_a_manifest_naming_a_missing_file_is_reported_and_the_rest_is_screened(tmp_path: Path) -> None:
    export = tmp_path / "export"
    written = _export(export, lupus_patient("p1") + healthy_patient("p2"))
    condition_file = next(p for p in written if p.name.startswith("Condition."))
    condition_file.unlink()
    result = screen(export, tmp_path / "out")
    assert result.exit_code == 1
    problems = result.csv("input_problems.csv")
    assert any(p["file"] == "manifest.json" and "Condition" in p["problem"] and condition_file.name.removesuffix(".gz") in p["problem"]
               for p in problems), problems
    assert "manifest.json" in result.stderr
    # Without its Condition file the SLE diagnosis is not in the export: I3 is then not met.
    assert result.by_patient().keys() == {"Patient/p1", "Patient/p2"}


def test_malformed_lines_are_named_by_file_and_line_and_their_patient_is_not_evaluated(tmp_path: Path) -> None:
    export = tmp_path / "export"
    written = _export(export, lupus_patient("p1") + lupus_patient("p2") + lupus_patient("p3"), gzip_every_other=False)
    conditions = next(p for p in written if p.name.startswith("Condition."))
    lines = conditions.read_bytes().splitlines()
    # Line 2 (p2's SLE) cut short in transit; a line with no patient at all; a JSON array.
    broken = [lines[0], lines[1][: len(lines[1]) // 2 + 40], b"{this is not json", b"[1, 2]", lines[2]]
    conditions.write_bytes(b"\n".join(broken) + b"\n")
    result = screen(export, tmp_path / "out")
    assert result.exit_code == 1
    problems = {(p["file"], p["line"]): p["problem"] for p in result.csv("input_problems.csv")}
    assert "not valid JSON" in problems[(conditions.name, "2")]
    assert "not valid JSON" in problems[(conditions.name, "3")]
    assert "not a FHIR resource" in problems[(conditions.name, "4")]
    assert f"{conditions.name} line 2" in result.stderr
    not_evaluated = {r["patient"]: r["reason"] for r in result.csv("not_evaluated.csv")}
    assert not_evaluated.keys() == {"Patient/p2"}
    assert f"{conditions.name} line 2: not valid JSON" in not_evaluated["Patient/p2"]
    assert result.by_patient().keys() == {"Patient/p1", "Patient/p3"}
    funnel = {r["criterion"]: r for r in result.csv("attrition.csv")}
    assert (funnel[""]["remaining"], funnel["not_evaluated"]["removed"], funnel["not_evaluated"]["remaining"]) == ("3", "1", "2")


def test_resources_whose_patient_is_not_in_the_export_are_counted_and_reported(tmp_path: Path) -> None:
    stray = [of_patient(condition(*SLE, onset="2020-01-01", id=f"sle{n}"), "ghost") for n in range(2)]
    no_subject = of_patient(condition(*SLE, onset="2020-01-01", id="nosubj"), "p1")
    del no_subject["subject"]
    group_subject = of_patient(condition(*SLE, onset="2020-01-01", id="grp"), "p1", reference="Group/ward-7")
    export = tmp_path / "export"
    _export(export, lupus_patient("p1") + stray + [no_subject, group_subject], gzip_every_other=False)
    result = screen(export, tmp_path / "out")
    assert result.exit_code == 1
    summary = result.summary()
    assert summary["orphan_patients"] == 1 and summary["orphan_resources"] == {"Condition": 2}
    messages = [p["problem"] for p in result.csv("input_problems.csv")]
    assert "Patient/ghost is not in the export, but 2 Condition name it" in messages
    assert any("no subject.reference" in m for m in messages)
    assert any("subject is a Group, not a Patient" in m for m in messages)
    assert "1 patients that are not in the export" in result.stderr
    assert "ghost" not in result.stderr  # patient references stay in the output files
    assert result.by_patient().keys() == {"Patient/p1"}


def test_a_truncated_gzip_file_is_reported_and_what_it_held_before_is_read(tmp_path: Path) -> None:
    export = tmp_path / "export"
    people = [r for n in range(40) for r in healthy_patient(f"p{n}")]
    written = _export(export, people, gzip_every_other=False, manifest=False)
    observations = next(p for p in written if p.name.startswith("Observation."))
    packed = gzip.compress(observations.read_bytes())
    observations.unlink()
    cut = export / (observations.name + ".gz")
    cut.write_bytes(packed[: len(packed) // 2])
    result = screen(export, tmp_path / "out")
    assert result.exit_code == 1
    problems = [p for p in result.csv("input_problems.csv") if p["file"] == cut.name]
    assert problems and "cannot read past line" in problems[0]["problem"]
    assert len(result.by_patient()) == 40


def test_an_unfinished_run_of_other_options_is_not_mixed_in(tmp_path: Path) -> None:
    export = tmp_path / "export"
    _export(export, lupus_patient("p1"))
    state = tmp_path / "out" / ".trialcds-screen"
    state.mkdir(parents=True)
    (state / "run.json").write_bytes(orjson.dumps({"as_of": "1999-01-01"}))
    result = screen(export, tmp_path / "out")
    assert result.exit_code == 2
    assert "unfinished screening run of other input or options" in result.stderr


def test_an_unknown_trial_or_date_stops_the_run(tmp_path: Path) -> None:
    export = tmp_path / "export"
    _export(export, lupus_patient("p1"))
    assert "unknown trial 'nct0000'" in screen(export, tmp_path / "out", "--trial", "nct0000").stderr
    assert "--as-of '2026-13-01' is not a date" in CliRunner().invoke(
        main, ["screen", str(export), "--out", str(tmp_path / "out"), "--as-of", "2026-13-01"]).stderr
    result = screen(export, tmp_path / "out2", "--trial", "nct05247203", "--trial", "all")
    assert result.exit_code == 0
