"""What a screening run does, as both engines receive it: the export, trials, date and plan.

A `Job` travels to worker processes and Spark executors as plain data (`JobSpec`), and each
of them loads the trial files itself and checks they are the ones the run started with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from cds.population.compartment import Compartment, compartment
from cds.population.export import Export, ExportFile
from cds.population.patient_group import GroupContext
from cds.population.routing import ReadPlan
from cds.population.state import trials_digest
from cds.trials.loader import TRIALS_DIR, load_trials
from cds.trials.schema import Trial


class TrialFilesChanged(RuntimeError):
    """A worker loaded other trial files than the run started with (another installation)."""


@dataclass(frozen=True)
class JobSpec:
    """The picklable description of a job."""

    files: tuple[ExportFile, ...]
    trial_ids: tuple[str, ...]
    # None: the trial files bundled with trialcds, wherever each process has it installed
    # (a cluster's executors need not install it at the driver's path).
    trials_folder: Path | None
    digest: str
    as_of: date

    def load(self) -> Job:
        """The job, with its trials loaded in this process.

        :raise TrialFilesChanged: the trial files here differ from the run's.
        """
        folder = self.trials_folder or TRIALS_DIR
        if trials_digest(folder, self.trial_ids) != self.digest:
            raise TrialFilesChanged(f"the trial files in {folder} differ from those the run started with")
        trials = load_trials(folder)
        return Job(self, tuple(trials[i] for i in self.trial_ids))


@dataclass(frozen=True)
class Job:
    """A job with its trials, read plan and grouping table."""

    spec: JobSpec
    trials: tuple[Trial, ...]

    @cached_property
    def plan(self) -> ReadPlan:
        """What the trials read."""
        return ReadPlan.for_trials(self.trials)

    @property
    def compartment(self) -> Compartment:
        """Which element names the patient, per type."""
        return compartment()

    @cached_property
    def group_context(self) -> GroupContext:
        """What each patient's group is evaluated with."""
        names = tuple(f.name for f in self.spec.files)
        return GroupContext(self.trials, self.spec.as_of, names, self.compartment)

    @property
    def files_to_read(self) -> list[ExportFile]:
        """The files whose resource type a trial reads."""
        return [f for f in self.spec.files if f.resource_type in self.plan.resource_types]


@dataclass(frozen=True)
class EngineResult:
    """What an engine leaves for the outputs: evaluation and group files, file summaries."""

    evaluation_files: list[Path]
    group_files: list[Path]
    summaries: list[dict[str, Any]]


def make_job(export: Export, trials: tuple[Trial, ...], as_of: date, trials_folder: Path | None = None) -> Job:
    """A job over an export for the given (already loaded) trials."""
    ids = tuple(t.id for t in trials)
    folder = None if trials_folder in (None, TRIALS_DIR) else trials_folder
    spec = JobSpec(export.files, ids, folder, trials_digest(folder or TRIALS_DIR, ids), as_of)
    return Job(spec, trials)


def unread_summary(file: ExportFile) -> dict[str, object]:
    """The summary of a file no trial reads (never opened)."""
    return {"file": file.name, "type": file.resource_type, "read": False}
