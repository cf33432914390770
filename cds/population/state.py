"""The work folder of a run, so that a stopped run resumes without redoing finished work.

Every unit of work (an input file grouped, a bucket of patients evaluated) writes its output
under a temporary name and renames it when complete; a rename is atomic, so after a stop
(Ctrl-C, a kill, a power cut) each unit is either wholly there or not at all. `run.json`
holds what the run is (input files with sizes and dates, trials, date, engine): a folder
left by another run is never mixed into this one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from cds.population.export import Export
from cds.trials.schema import Trial

STATE_DIR_NAME = ".trialcds-screen"


class StateError(ValueError):
    """The output folder holds an unfinished run of other input or options."""


def trials_digest(trials_folder: Path, trial_ids: tuple[str, ...]) -> str:
    """A digest of the trial files' text: a resumed run must use the same criteria."""
    digest = hashlib.sha256()
    for path in sorted(trials_folder.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(",".join(trial_ids).encode())
    return digest.hexdigest()[:16]


def run_fingerprint(export: Export, trials: tuple[Trial, ...], digest: str, as_of: str, engine: str, buckets: int) -> dict[str, Any]:
    """What makes two runs the same run."""
    return {
        "source": str(export.folder.resolve()),
        "files": [[f.path.name, f.resource_type, f.size, f.path.stat().st_mtime_ns] for f in export.files],
        "trials": [t.id for t in trials],
        "trials_digest": digest,
        "as_of": as_of,
        "engine": engine,
        "buckets": buckets,
    }


@dataclass(frozen=True)
class RunState:
    """Paths of a run's work folder."""

    root: Path

    @classmethod
    def open(cls, out_dir: Path, fingerprint: dict[str, Any]) -> tuple[RunState, bool]:
        """The run's work folder, and whether it resumes an earlier, stopped run.

        :raise StateError: the folder holds an unfinished run with another fingerprint.
        """
        root = out_dir / STATE_DIR_NAME
        run_file = root / "run.json"
        if run_file.is_file():
            try:
                earlier = orjson.loads(run_file.read_bytes())
            except orjson.JSONDecodeError:
                earlier = None
            if earlier != fingerprint:
                raise StateError(
                    f"{out_dir} holds an unfinished screening run of other input or options ({root}); "
                    "run the same command as before to resume it, or choose another --out"
                )
            return cls(root), True
        root.mkdir(parents=True, exist_ok=True)
        write_atomic(run_file, orjson.dumps(fingerprint, option=orjson.OPT_INDENT_2))
        return cls(root), False

    def path(self, *parts: str) -> Path:
        """A path inside the work folder (its parent made)."""
        path = self.root.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def remove(self) -> None:
        """Drop the work folder once the outputs are written."""
        shutil.rmtree(self.root, ignore_errors=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a whole file under a temporary name, then rename it into place."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
