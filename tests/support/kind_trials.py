"""A small trial written in a test as YAML and loaded through the real loader.

Kind-level tests define the criteria they need the way a trial file author writes them,
so each kind's parameters are validated exactly as in production (a misspelt key, an
unknown drug group or route stops the load), then evaluate builder-made patients against
them and read the evaluation JSON.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path
from typing import Any

from fhir_builders import AS_OF, Resource
from trial_eval import criterion, evaluate

from cds.trials.loader import load_trial
from cds.trials.schema import Trial

HEADER = """\
id: kindtest
nct_id: NCT00000000
title: "Kind test trial"
short_title: "kind test"
sponsor: "trialcds tests"
url: "https://clinicaltrials.gov/"
eligibility_text: "criteria written by the test"
criteria:
"""


def trial_of(folder: Path, criteria: str) -> Trial:
    """Load a trial whose `criteria:` list is the given YAML (indentation is normalised)."""
    body = textwrap.indent(textwrap.dedent(criteria).strip("\n"), "  ")
    path = folder / "kindtest.yaml"
    path.write_text(HEADER + body + "\n", encoding="utf-8")
    return load_trial(path)


def one_criterion(folder: Path, kind: str, logic: str, *, criterion_kind: str = "exclusion") -> Trial:
    """A trial of one criterion `C1` whose logic is one leaf `{kind: {logic}}` (logic: YAML flow mapping)."""
    return trial_of(
        folder,
        f"""
        - id: C1
          kind: {criterion_kind}
          label: "criterion under test"
          statement: criterion under test
          source: "written by the test"
          logic:
            {kind}: {logic}
        """,
    )


def result(trial: Trial, *resources: Resource, as_of: date = AS_OF) -> dict[str, Any]:
    """The evaluation JSON entry of the trial's first criterion for a patient of `resources`."""
    return criterion(evaluate(*resources, as_of=as_of, trial=trial), trial.criteria[0].id)
