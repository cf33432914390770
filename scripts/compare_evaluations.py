"""Compare `trialcds evaluate --format json` of two checkouts over the shared external patients.

A change to shared engine code must not move another trial's results by accident. Run the
command of each checkout over every patient bundle, then list each criterion whose status,
reason, `clears_on` or evidence differs (and the decision and `eligible_from`):

    .venv/bin/python scripts/compare_evaluations.py run /work/main/.venv/bin/trialcds /tmp/base
    .venv/bin/python scripts/compare_evaluations.py run .venv/bin/trialcds /tmp/head
    .venv/bin/python scripts/compare_evaluations.py diff /tmp/base /tmp/head

`run` writes one JSON file per bundle (`<folder>__<file>.json`) and takes `--trial`,
`--as-of` (default 2026-11-25, the engine tests' D) and `--data` (default
../shared/data/external). `diff` exits with status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "external"
CRITERION_FIELDS = ("status", "reason", "clears_on", "evidence")
TOP_FIELDS = ("decision", "eligible_from", "not_candidate_reason", "unidentified_medications")


def _bundles(data: Path) -> list[Path]:
    """Every patient bundle (the hospital and practitioner bundles hold no Patient)."""
    found = []
    for path in sorted(data.glob("*/*.json.gz")):
        with gzip.open(path, "rb") as handle:
            bundle = orjson.loads(handle.read())
        if any(e.get("resource", {}).get("resourceType") == "Patient" for e in bundle.get("entry", [])):
            found.append(path)
    return found


def run(trialcds: str, out: Path, trial: str, as_of: str, data: Path) -> int:
    """Evaluate every bundle with one checkout's command; a failing bundle is reported, not fatal."""
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "bundle.json"
        for path in _bundles(data):
            with gzip.open(path, "rb") as handle:
                plain.write_bytes(handle.read())
            command = [trialcds, "evaluate", str(plain), "--trial", trial, "--as-of", as_of, "--format", "json"]
            done = subprocess.run(command, capture_output=True, check=False)
            name = f"{path.parent.name}__{path.name.removesuffix('.json.gz')}.json"
            if done.returncode != 0:
                failures += 1
                print(f"{name}: exit {done.returncode}: {done.stderr.decode(errors='replace').strip()}", file=sys.stderr)
                continue
            (out / name).write_bytes(done.stdout)
    print(f"{len(list(out.glob('*.json')))} evaluations in {out}, {failures} failed")
    return 1 if failures else 0


def _differences(base: dict[str, Any], head: dict[str, Any]) -> list[str]:
    found = [f"{key}: {base.get(key)!r} -> {head.get(key)!r}" for key in TOP_FIELDS if base.get(key) != head.get(key)]
    before = {c["id"]: c for c in base["criteria"]}
    after = {c["id"]: c for c in head["criteria"]}
    for cid in dict.fromkeys([*before, *after]):
        old, new = before.get(cid), after.get(cid)
        if old is None or new is None:
            found.append(f"{cid}: {'added' if old is None else 'removed'}")
            continue
        for field in CRITERION_FIELDS:
            if old[field] != new[field]:
                found.append(f"{cid}.{field}: {old[field]!r} -> {new[field]!r}")
    return found


def diff(base_dir: Path, head_dir: Path) -> int:
    """Print what differs per patient; status 1 when anything does."""
    names = sorted({p.name for p in base_dir.glob("*.json")} | {p.name for p in head_dir.glob("*.json")})
    changed = 0
    for name in names:
        base_file, head_file = base_dir / name, head_dir / name
        if not base_file.exists() or not head_file.exists():
            changed += 1
            print(f"{name}: only in {'head' if not base_file.exists() else 'base'}")
            continue
        lines = _differences(orjson.loads(base_file.read_bytes()), orjson.loads(head_file.read_bytes()))
        if lines:
            changed += 1
            print(name)
            for line in lines:
                print(f"  {line}")
    print(f"{len(names)} patients compared, {changed} with differences")
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="evaluate every bundle with one checkout's trialcds")
    run_parser.add_argument("trialcds", help="path of that checkout's trialcds command")
    run_parser.add_argument("out", type=Path, help="folder for the JSON evaluations")
    run_parser.add_argument("--trial", default="nct05247203")
    run_parser.add_argument("--as-of", default="2026-11-25")
    run_parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    diff_parser = sub.add_parser("diff", help="list what differs between two `run` folders")
    diff_parser.add_argument("base", type=Path)
    diff_parser.add_argument("head", type=Path)
    args = parser.parse_args()
    if args.command == "run":
        return run(args.trialcds, args.out, args.trial, args.as_of, args.data)
    return diff(args.base, args.head)


if __name__ == "__main__":
    sys.exit(main())
