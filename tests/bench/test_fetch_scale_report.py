"""The fetch-at-scale part of the performance page: the stored "before" figures read back, and the
targets of issue 11 pass only for complete answers under the limit (the timing itself stays in bench/)."""

from __future__ import annotations

import yaml

from bench.fetch_scale import ScaleResult
from bench.load import LoadResult
from bench.report import SCALE_BEFORE_PATH, RunResults, TrialCounts, _scale, _targets
from bench.stats import Summary

SUMMARY = Summary(count=20, p50=10.0, p95=12.0, p99=13.0)


def run_with(scale: ScaleResult) -> RunResults:
    sizes = [1_000, 10_000]
    return RunResults(
        sizes=sizes, body_mb={s: 1.0 for s in sizes}, engine={s: SUMMARY for s in sizes},
        http={s: SUMMARY for s in sizes}, http_errors={s: 0 for s in sizes}, parse={s: SUMMARY for s in sizes},
        fetch=None, scale=scale, load=LoadResult("python", 4, 20.0, 4000, 0), cpu_ms_per_request=10.0,
        peak_rss_mb=100.0, workers=2, command="python -m bench.run",
        trial_counts=TrialCounts(["nct05247203"], "nct05247203", {s: SUMMARY for s in sizes}, {s: 0 for s in sizes}, SUMMARY),
    )


def scale(p95_ms: float, concurrent: list[str]) -> ScaleResult:
    return ScaleResult(
        10_000, Summary(20, p95_ms / 2, p95_ms, p95_ms), {"ok": 20}, [1.0] * len(concurrent), concurrent, 105.0, 375.0
    )


def scale_rows(run: RunResults) -> list[str]:
    return [line for line in _targets(run) if line.startswith("| fetch mode")]


def test_the_stored_before_figures_read_back() -> None:
    stored = yaml.safe_load(SCALE_BEFORE_PATH.read_text(encoding="utf-8"))
    before = ScaleResult.from_yaml(stored["result"])
    assert before.size == 10_000 and len(before.concurrent_outcomes) == 4
    assert ScaleResult.from_yaml(before.to_yaml()) == before


def test_targets_pass_for_complete_answers_under_a_second() -> None:
    rows = scale_rows(run_with(scale(900.0, ["ok"] * 4)))
    assert len(rows) == 2 and all(row.endswith("| PASS |") for row in rows)


def test_a_partial_answer_or_a_slow_p95_fails_its_target() -> None:
    slow, partial = scale_rows(run_with(scale(1200.0, ["ok", "ok", "partial_data", "ok"])))
    assert slow.endswith("| FAIL |") and partial.endswith("| FAIL |")


def test_the_section_shows_before_and_now_side_by_side() -> None:
    section = "\n".join(_scale(run_with(scale(900.0, ["ok"] * 4))))
    assert "| before (commit 9dee356" in section and "TRIALCDS-PREFETCH-412" in section
    assert "450.0 / 900.0 ms (20 calls)" in section and "1.00 s ok" in section
    assert "| not measured | 105 / 375 ms |" in section  # CPU: not in the stored figures, measured now
