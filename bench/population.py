"""Benchmark of population screening (`trialcds screen`), written into docs/performance.md.

    .venv/bin/python -m bench.population            # full run: 10,000 mixed + 400 all-lupus patients
    .venv/bin/python -m bench.population --quick    # smaller populations, to try the harness
    .venv/bin/python -m bench.population --skip-spark

Generates the two populations as Bulk exports (`bench/population_generate.py`), runs the
command as a user does (a subprocess, from .ndjson.gz to every output), and samples the
memory of its whole process tree. Replaces the section between the population markers of
docs/performance.md; `python -m bench.run` keeps that section when it rewrites the page.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import click
import orjson
import yaml

from bench import REPO_ROOT
from bench.population_generate import Generated, write_population

AS_OF = date(2026, 6, 15)
BEGIN = "<!-- population-screening:begin -->"
END = "<!-- population-screening:end -->"
TARGETS_PATH = Path(__file__).with_name("population_targets.yaml")
CHANGES_PATH = Path(__file__).with_name("population_changes.md")
LUPUS_RECORD = 1_000
SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Plan:
    """Population sizes of a run."""

    mixed_patients: int
    lupus_patients: int


FULL = Plan(10_000, 400)
QUICK = Plan(1_000, 60)


@dataclass(frozen=True)
class Run:
    """One `trialcds screen` run: what it was given, its wall time and the tree's peak memory."""

    label: str
    workers: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    summary: dict


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, in kB (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _screen(label: str, export: Path, out: Path, workers: int, *extra: str) -> Run:
    """Run `trialcds screen` in a subprocess; wall time and peak memory of its process tree."""
    shutil.rmtree(out, ignore_errors=True)
    command = [str(REPO_ROOT / ".venv" / "bin" / "trialcds"), "screen", str(export), "--out", str(out),
               "--as-of", AS_OF.isoformat(), "--workers", str(workers), *extra]
    peak = 0
    log = out.with_name(out.name + ".log")
    started = time.perf_counter()
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_kb(process.pid))
                time.sleep(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4: the CPU time of the command and of the workers it waited for.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(errors="replace")
    if process.returncode not in (0, 1):
        raise click.ClickException(f"{label}: trialcds screen failed ({process.returncode}):\n{text[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    click.echo(f"  {label}: {wall:.1f} s, CPU {cpu:.1f} s, peak {peak / 1024:.0f} MB — {text.strip().splitlines()[-2]}")
    return Run(label, workers, wall, cpu, peak / 1024, orjson.loads((out / "run_summary.json").read_bytes()))


def _per_core(count: int, run: Run) -> float:
    """Per core on the wall clock: as if each worker had a core to itself."""
    return count / run.wall_seconds / run.workers


def _per_cpu_second(count: int, run: Run) -> float:
    """Per CPU second of the command and its workers: what a core delivers, whatever else runs."""
    return count / run.cpu_seconds


def _section(mixed: Generated, lupus: Generated, runs: dict[str, Run], command: str) -> str:
    targets = yaml.safe_load(TARGETS_PATH.read_text(encoding="utf-8"))
    t = targets["targets"]
    m1, m2, l1, l2 = runs["mixed-1"], runs["mixed-2"], runs["lupus-1"], runs["lupus-2"]
    spark = runs.get("spark-2")
    rows = [
        ("mixed population, 1 worker", mixed, m1), ("mixed population, 2 workers", mixed, m2),
        ("all-lupus population, 1 worker", lupus, l1), ("all-lupus population, 2 workers", lupus, l2),
    ]
    if spark is not None:
        rows.append(("mixed population, Spark `local[2]`", mixed, spark))
    lines = [
        BEGIN,
        "## Population screening (`trialcds screen`)",
        "",
        (f"Generated by `{command}` (README, \"Population screening\"); {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC, "
         f"{os.cpu_count()} cores, Python {platform.python_version()}, load average at the end "
         f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine is shared with other work)."),
        "",
        (f"Populations (`bench/population_generate.py`, `bench/population_profile.yaml`): **mixed**: {mixed.patients:,} "
         f"patients, {mixed.resources:,} resources, {mixed.gz_bytes / 1e6:.0f} MB of `.ndjson.gz` (Synthea-like, 2 % "
         f"with a long SLE record); **all-lupus**: {lupus.patients:,} patients of {LUPUS_RECORD:,} resources each "
         f"({lupus.resources:,} resources, {lupus.gz_bytes / 1e6:.0f} MB). Each run is the command as a user runs it "
         "(a new process: Python start, reading the export, grouping, evaluating, every output). Wall: the wall clock; "
         "CPU: user + system time of the command and its worker processes (`wait4`); per core on the wall clock "
         "divides by the workers, per CPU second by the CPU time, which is what a core delivers whatever else the "
         "machine runs. Peak memory: the largest sum of the resident memory of the command and all its processes "
         "(workers, Spark's JVM), sampled every 50 ms."),
        "",
        "| run | wall s | CPU s | resources per CPU s | resources/s per core (wall) | patients per CPU s | patients/s per core (wall) | peak memory MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, population, run in rows:
        cpu = f"{run.cpu_seconds:.1f}" if run is not spark else "(JVM not counted)"
        per_cpu = f"{_per_cpu_second(population.resources, run):,.0f}" if run is not spark else ""
        patients_cpu = f"{_per_cpu_second(population.patients, run):,.1f}" if run is not spark else ""
        lines.append(f"| {name} | {run.wall_seconds:.1f} | {cpu} | {per_cpu} | {_per_core(population.resources, run):,.0f} | "
                     f"{patients_cpu} | {_per_core(population.patients, run):,.1f} | {run.peak_rss_mb:.0f} |")
    summary = m2.summary
    lines += ["", (f"Lines read in the mixed export: {summary['lines_read']:,} of {mixed.resources:,} (files of types no "
                   f"trial reads are not opened); Observation lines not parsed: {summary['observations_skipped_by_code']:,}; "
                   f"resources grouped per patient: {summary['resources_grouped']:,}.")]
    lines.append(f"Speed-up from 1 to 2 workers on the mixed population (wall): {m1.wall_seconds / m2.wall_seconds:.2f}×; "
                 f"on the all-lupus population: {l1.wall_seconds / l2.wall_seconds:.2f}×.")
    if spark is not None:
        lines.append(f"Spark `local[2]` against the local engine with 2 workers, same input: {spark.wall_seconds / m2.wall_seconds:.2f}× "
                     "the wall time (Spark's start included).")
    lines += ["", "| target | measured | result |", "|---|---:|---|"]
    mixed_rate, lupus_rate = _per_cpu_second(mixed.resources, m2), _per_cpu_second(lupus.patients, l2)
    checks = [
        (f"≥ {t['mixed_resources_per_second_per_core']:,} resources/s per core end to end, mixed population (per CPU s, 2 workers)",
         f"{mixed_rate:,.0f}", mixed_rate >= t["mixed_resources_per_second_per_core"]),
        (f"≥ {t['lupus_patients_per_second_per_core']} patients/s per core, all-lupus population (per CPU s, 2 workers)",
         f"{lupus_rate:,.1f}", lupus_rate >= t["lupus_patients_per_second_per_core"]),
        (f"peak memory ≤ {t['peak_memory_mb']} MB with 2 workers (the bound below)",
         f"{max(m2.peak_rss_mb, l2.peak_rss_mb):.0f} MB", max(m2.peak_rss_mb, l2.peak_rss_mb) <= t["peak_memory_mb"]),
    ]
    if spark is not None:
        ratio = spark.wall_seconds / m2.wall_seconds
        checks.append((f"Spark `local[2]` within {t['spark_over_local']}× of the local engine on 2 cores (wall)", f"{ratio:.2f}×",
                       ratio <= t["spark_over_local"]))
    lines += [f"| {name} | {value} | {'PASS' if ok else 'FAIL'} |" for name, value, ok in checks]
    lines += ["", f"Targets and their source: `bench/population_targets.yaml` ({targets['source']}).", "",
              CHANGES_PATH.read_text(encoding="utf-8").rstrip(), END]
    return "\n".join(lines)


def write_section(section: str, path: Path) -> None:
    """Put the section into the page, in place of the one there, else at its end."""
    page = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if BEGIN in page and END in page:
        before, rest = page.split(BEGIN, 1)
        page = before + section + rest.split(END, 1)[1]
    else:
        page = page.rstrip() + "\n\n" + section + "\n"
    path.write_text(page, encoding="utf-8")


def kept_section(path: Path) -> str:
    """The population section of an existing page ("" when there is none), for bench.run."""
    if not path.exists():
        return ""
    page = path.read_text(encoding="utf-8")
    if BEGIN not in page or END not in page:
        return ""
    return BEGIN + page.split(BEGIN, 1)[1].split(END, 1)[0] + END


@click.command()
@click.option("--quick", is_flag=True, help="Smaller populations: checks the harness, numbers are rough.")
@click.option("--skip-spark", is_flag=True, help="Leave out the Spark run (no spark extra installed).")
@click.option("--out", type=click.Path(path_type=Path), default=REPO_ROOT / "docs" / "performance.md", show_default=True)
def main(quick: bool, skip_spark: bool, out: Path) -> None:
    """Generate the populations, screen them, write the section of docs/performance.md."""
    plan = QUICK if quick else FULL
    workdir = Path(tempfile.mkdtemp(prefix="trialcds-population-"))
    try:
        click.echo("generating the populations…")
        mixed = write_population(workdir / "mixed", plan.mixed_patients, AS_OF)
        lupus = write_population(workdir / "lupus", plan.lupus_patients, AS_OF, all_lupus_size=LUPUS_RECORD)
        click.echo("screening…")
        runs = {
            "mixed-1": _screen("mixed, 1 worker", mixed.folder, workdir / "out-m1", 1),
            "mixed-2": _screen("mixed, 2 workers", mixed.folder, workdir / "out-m2", 2),
            "lupus-1": _screen("all-lupus, 1 worker", lupus.folder, workdir / "out-l1", 1),
            "lupus-2": _screen("all-lupus, 2 workers", lupus.folder, workdir / "out-l2", 2),
        }
        if not skip_spark:
            runs["spark-2"] = _screen("mixed, Spark local[2]", mixed.folder, workdir / "out-s2", 2, "--engine", "spark")
            local, spark = (workdir / "out-m2" / "attrition.csv").read_bytes(), (workdir / "out-s2" / "attrition.csv").read_bytes()
            if local != spark:
                raise click.ClickException("the Spark and local engines gave different attrition counts")
        command = ".venv/bin/python -m bench.population" + (" --quick" if quick else "") + (" --skip-spark" if skip_spark else "")
        write_section(_section(mixed, lupus, runs, command), out)
        click.echo(f"wrote the population section of {out}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
