"""One criterion whose logic a test writes as a trial file does, in YAML flow style.

`probe(folder, "drug_exposure", "{groups: [anti_cd20], label: anti-CD20, within_months: 9}")`
loads a trial of that one leaf through the real loader (`kind_trials.KindProbe`), so the
parameters are validated as at start-up; calling the probe with a patient's resources
gives the criterion's entry of the evaluation JSON.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from kind_trials import KindProbe


def probe(folder: Path, kind: str, logic: str, criterion_kind: str = "exclusion") -> KindProbe:
    """The criterion `C1` of one leaf `{kind: logic}`."""
    return KindProbe(folder, {kind: yaml.safe_load(logic)}, criterion_kind)
