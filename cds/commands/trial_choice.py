"""The trials a command works on: `--trial ID|all` over the folder `--trials-dir` names.

Shared by `trialcds evaluate` and `trialcds export`, so both read the same folder the
service reads (TRIALCDS_TRIALS_DIR) and name trials the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cds.trials.loader import TrialDefinitionError, load_trials
from cds.trials.schema import Trial

# The --trial value that selects every configured trial.
ALL_TRIALS = "all"
F = TypeVar("F", bound=Callable[..., Any])


class TrialChoiceError(ValueError):
    """The trials cannot be had: a bad trial file, or an id no trial file has."""


def trial_options(function: F) -> F:
    """Add `--trial` (default all) and `--trials-dir` (default TRIALCDS_TRIALS_DIR) to a command."""
    function = click.option(
        "--trials-dir", type=click.Path(path_type=Path, file_okay=False), envvar="TRIALCDS_TRIALS_DIR",
        default=None, help="Folder of trial files (default: TRIALCDS_TRIALS_DIR, else the shipped trials).",
    )(function)
    return click.option(
        "--trial", "trial_id", default=ALL_TRIALS, show_default=True,
        help="A trial id (the `id` of a trial file), or `all`: every configured trial, in id order.",
    )(function)


def chosen_trials(trial_id: str, trials_dir: Path | None) -> list[Trial]:
    """The trial named, or every trial in trial-id order for `all`.

    :raise TrialChoiceError: a trial file cannot be loaded, or no trial has that id.
    """
    try:
        trials = load_trials(trials_dir)
    except TrialDefinitionError as exc:
        raise TrialChoiceError(str(exc)) from None
    if trial_id == ALL_TRIALS:
        return [trials[key] for key in sorted(trials)]
    if trial_id not in trials:
        raise TrialChoiceError(f"unknown trial {trial_id!r} (configured: {', '.join(sorted(trials))}, or {ALL_TRIALS})")
    return [trials[trial_id]]
