"""Write docs/performance.md from one benchmark run: machine, table, targets, changes."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from bench.fetch_mode import FetchResult
from bench.fetch_scale import CONCURRENT_CALLS, ScaleResult
from bench.load import LoadResult
from bench.population import kept_section
from bench.stats import Summary

TARGETS_PATH = Path(__file__).with_name("targets.yaml")
CHANGES_PATH = Path(__file__).with_name("changes.md")
# Fetch mode at scale measured once on the service before issue 11 (bench/fetch_scale.py, run alone).
SCALE_BEFORE_PATH = Path(__file__).with_name("fetch_scale_before.yaml")


@dataclass(frozen=True)
class TrialCounts:
    """The baseline trial alone, against every configured trial (the main measures)."""

    configured: list[str]
    baseline: str
    http: dict[int, Summary]
    http_errors: dict[int, int]
    engine: Summary  # in-process, at the throughput size


@dataclass(frozen=True)
class RunResults:
    """Everything one run measured."""

    sizes: list[int]
    body_mb: dict[int, float]
    engine: dict[int, Summary]
    http: dict[int, Summary]
    http_errors: dict[int, int]
    parse: dict[int, Summary]
    fetch: FetchResult | None
    scale: ScaleResult | None
    load: LoadResult
    cpu_ms_per_request: float
    peak_rss_mb: float
    workers: int
    command: str
    trial_counts: TrialCounts


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _machine() -> list[str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- Date (UTC): {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M')}",
        f"- Cores: {os.cpu_count()} ({cpu})",
        f"- Python: {platform.python_version()} ({platform.python_implementation()}), {platform.system()} {platform.release()}",
        f"- Load average at the end of the run (1 / 5 / 15 min): {load} (other work shares this machine)",
    ]


def _table(r: RunResults) -> list[str]:
    lines = [
        "| resources | body MB | engine p50 / p95 ms | HTTP p50 / p95 / p99 ms | orjson.loads p50 ms "
        "| service / parse (p50) | HTTP errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in r.sizes:
        e, h, p = r.engine[size], r.http[size], r.parse[size]
        lines.append(
            f"| {size:,} | {r.body_mb[size]:.2f} | {_ms(e.p50)} / {_ms(e.p95)} | "
            f"{_ms(h.p50)} / {_ms(h.p95)} / {_ms(h.p99)} | {_ms(p.p50)} | {h.p50 / p.p50:.2f}× | "
            f"{r.http_errors[size]} |"
        )
    lines += ["", f"Engine: in-process `evaluate_trials` over every configured trial (facts extracted once), from a built record "
              f"({r.engine[r.sizes[0]].count}+ runs per size). HTTP: one client, sequential calls, gunicorn with "
              f"{r.workers} sync workers, full prefetch. Service / parse: HTTP p50 over the `orjson.loads` p50 of "
              "the same body (parsed in a fresh process)."]
    lines += ["", "| other measure | value |", "|---|---:|"]
    lines.append(
        f"| throughput, ~1,000-resource patient ({r.load.tool}, {r.load.clients} connections, "
        f"{r.load.seconds:.0f} s) | {r.load.requests_per_second:.1f} req/s, {r.load.errors} errors |"
    )
    lines.append(
        f"| worker CPU per request during that load | {r.cpu_ms_per_request:.1f} ms "
        f"({os.cpu_count()} cores at this cost: ~{os.cpu_count() * 1000 / r.cpu_ms_per_request:.0f} req/s) |"
    )
    lines.append(f"| peak worker RSS (VmHWM) after serving the 10,000-resource patient | {r.peak_rss_mb:.0f} MB |")
    if r.fetch is not None:
        f = r.fetch
        lines.append(f"| fetch mode: hook without prefetch, p50 / p95 | {_ms(f.hook.p50)} / {_ms(f.hook.p95)} ms "
                     f"({f.errors} errors) |")
        lines.append(f"| fetch mode: slowest single search alone (`{f.slowest_key}`), p50 | "
                     f"{_ms(f.searches[f.slowest_key].p50)} ms |")
        lines.append(f"| fetch mode: hook / slowest search | {f.ratio:.2f}× |")
        summed = sum(search.p50 for search in f.searches.values())
        lines.append(f"| fetch mode: the searches alone, one after another (sum of p50) | {_ms(summed)} ms "
                     f"(hook / sum {f.hook.p50 / summed:.2f}×) |")
        searches = ", ".join(f"{k} {_ms(s.p50)}" for k, s in f.searches.items())
        lines += ["", f"Each search alone, p50 ms: {searches}."]
    return lines


def _outcomes(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))


def _scale_column(result: ScaleResult) -> list[str]:
    concurrent = ", ".join(f"{seconds:.2f} s {outcome}" for seconds, outcome in
                           zip(result.concurrent_seconds, result.concurrent_outcomes, strict=True))
    cpu = (
        f"{result.service_cpu_ms_per_call:.0f} / {result.server_cpu_ms_per_call:.0f} ms"
        if result.service_cpu_ms_per_call is not None and result.server_cpu_ms_per_call is not None
        else "not measured"
    )
    return [
        f"{_ms(result.sequential.p50)} / {_ms(result.sequential.p95)} ms ({result.sequential.count} calls)",
        _outcomes(result.sequential_outcomes),
        cpu,
        concurrent,
    ]


def _scale(r: RunResults) -> list[str]:
    """The section of its own: fetch mode on 10,000-resource patients, before issue 11 and now."""
    assert r.scale is not None
    before_file = yaml.safe_load(SCALE_BEFORE_PATH.read_text(encoding="utf-8"))
    before = ScaleResult.from_yaml(before_file["result"])
    now = _scale_column(r.scale)
    then = _scale_column(before)
    lines = [
        "## Fetch mode at EHR scale",
        "",
        (
            f"Hook calls without prefetch for generated patients of {r.scale.size:,} resources loaded into sekmet-fhir "
            "(which pages search results by 20 unless asked otherwise, and by at most 1,000), the service with its "
            f"production FHIR settings (4.5 s budget per call, 4 s read timeout) and {r.workers} sync workers "
            "(`bench/fetch_scale.py`). Each answer is classed by the service's log line: `ok` is complete, "
            "`partial_data` lacks what the call's budget did not reach, `TRIALCDS-PREFETCH-412` had no answer."
        ),
        "",
        f"| measure | before (commit {before_file['commit']}, {before_file['date']}) | now |",
        "|---|---|---|",
        f"| one patient, calls one after another: p50 / p95 | {then[0]} | {now[0]} |",
        f"| the same calls by outcome | {then[1]} | {now[1]} |",
        f"| CPU per call of those: the service's workers / the FHIR server | {then[2]} | {now[2]} |",
        f"| {CONCURRENT_CALLS} calls at once, one per patient: seconds and outcome of each | {then[3]} | {now[3]} |",
        "",
        f"Before: {before_file['note']}",
    ]
    return lines


def _trial_count_table(r: RunResults) -> list[str]:
    """HTTP and engine times with the baseline trial alone and with every configured trial."""
    t = r.trial_counts
    mid, big = min(t.http), max(t.http)
    every = f"every configured trial ({len(t.configured)}: {', '.join(t.configured)})"
    rows = [
        (f"{t.baseline} only", t.http, t.http_errors, t.engine),
        (every, {size: r.http[size] for size in t.http}, {size: r.http_errors[size] for size in t.http}, r.engine[mid]),
    ]
    lines = [
        f"| trials | HTTP p50 / p95 ms, {mid:,} resources | engine p50 ms, {mid:,} | HTTP p50 ms, {big:,} resources "
        f"| service / parse (p50), {big:,} | HTTP errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, http, errors, engine in rows:
        lines.append(
            f"| {name} | {_ms(http[mid].p50)} / {_ms(http[mid].p95)} | {_ms(engine.p50)} | {_ms(http[big].p50)} | "
            f"{http[big].p50 / r.parse[big].p50:.2f}× | {sum(errors.values())} |"
        )
    lines += ["", "Both services answer the same requests: the full prefetch every configured trial needs (as discovery "
              f"publishes it), {t.baseline} alone in one trials folder (`TRIALCDS_TRIALS_DIR`), every trial in the "
              "other (the measures above). Facts are extracted once per request, whatever the number of trials."]
    return lines


def _targets(r: RunResults) -> list[str]:
    t = yaml.safe_load(TARGETS_PATH.read_text(encoding="utf-8"))["targets"]
    big, mid = max(r.sizes), t["http_p95_ms"]["size"]
    rows = [
        (f"~1,000-resource patient over HTTP: p95 < {t['http_p95_ms']['max']} ms",
         f"{_ms(r.http[mid].p95)} ms", r.http[mid].p95 < t["http_p95_ms"]["max"]),
        (f"10,000-resource patient: service time ≤ {t['service_over_parse']['max']}× orjson.loads",
         f"{r.http[big].p50 / r.parse[big].p50:.2f}×", r.http[big].p50 / r.parse[big].p50 <= t["service_over_parse"]["max"]),
        (f"10,000-resource patient: peak worker RSS < {t['peak_rss_mb']['max']} MB",
         f"{r.peak_rss_mb:.0f} MB", r.peak_rss_mb < t["peak_rss_mb"]["max"]),
        (f"throughput on the ~1,000-resource patient ≥ {t['requests_per_second']['min']} req/s, no errors",
         f"{r.load.requests_per_second:.1f} req/s, {r.load.errors} errors",
         r.load.requests_per_second >= t["requests_per_second"]["min"] and r.load.errors == 0),
    ]
    every, n = t["every_trial"], len(r.trial_counts.configured)
    size, large = every["http_p95_ms"]["size"], every["service_over_parse"]["size"]
    rows += [
        (f"every configured trial ({n}), ~{size:,}-resource patient over HTTP: p95 < {every['http_p95_ms']['max']} ms",
         f"{_ms(r.http[size].p95)} ms", r.http[size].p95 < every["http_p95_ms"]["max"]),
        (f"every configured trial ({n}), {large:,}-resource patient: service time ≤ {every['service_over_parse']['max']}× "
         "orjson.loads", f"{r.http[large].p50 / r.parse[large].p50:.2f}×",
         r.http[large].p50 / r.parse[large].p50 <= every["service_over_parse"]["max"]),
    ]
    if r.fetch is not None:
        rows.append((f"fetch mode: wall time ≤ {t['fetch_over_slowest_search']['max']}× the slowest single search",
                     f"{r.fetch.ratio:.2f}×", r.fetch.ratio <= t["fetch_over_slowest_search"]["max"]))
    if r.scale is not None:
        p95, limit = r.scale.sequential.p95, t["fetch_scale_p95_ms"]["max"]
        answered = r.scale.sequential_outcomes.get("ok", 0) == r.scale.sequential.count
        name = f"fetch mode, {t['fetch_scale_p95_ms']['size']:,}-resource patient, no prefetch: p95 < {limit} ms"
        rows.append((f"{name}, every answer complete", f"{_ms(p95)} ms, {_outcomes(r.scale.sequential_outcomes)}",
                     p95 < limit and answered))
        calls = t["fetch_scale_concurrent"]["calls"]
        rows.append((f"fetch mode: {calls} such calls at once all answered (200, nothing missing)",
                     ", ".join(r.scale.concurrent_outcomes),
                     len(r.scale.concurrent_outcomes) == calls and r.scale.concurrent_all_answered))
    lines = ["| target | measured | result |", "|---|---:|---|"]
    lines += [f"| {name} | {value} | {'PASS' if ok else 'FAIL'} |" for name, value, ok in rows]
    lines += ["", f"Targets and their source: `bench/targets.yaml` ({yaml.safe_load(TARGETS_PATH.read_text())['source']})."]
    return lines


def write_report(results: RunResults, path: Path) -> None:
    """Write the whole performance page; the changes section comes from bench/changes.md."""
    lines = [
        "# Performance",
        "",
        "Generated by `" + results.command + "` (see README, \"Benchmarks\"); every number below comes "
        "from one run on one machine. Edit `bench/changes.md` for the changes section, not this file.",
        "",
        "## Machine",
        "",
        *_machine(),
        "",
        "## Results",
        "",
        *_table(results),
        "",
        "## One trial and every configured trial",
        "",
        *_trial_count_table(results),
        "",
        "## Targets",
        "",
        *_targets(results),
        "",
        *(_scale(results) + [""] if results.scale is not None else []),
        CHANGES_PATH.read_text(encoding="utf-8").rstrip(),
        "",
    ]
    # The population-screening section is written by `python -m bench.population`: kept as it is.
    kept = kept_section(path)
    if kept:
        lines += [kept, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
