"""Trial files as a site writes them: the shipped NCT05247203 file, copied with edits.

Edits are exact text replacements of lines as they stand in the shipped file, so a test
shows the very change an author would make (and fails loudly if the file changes under it).
"""

from __future__ import annotations

from pathlib import Path

from cds.trials.loader import TRIALS_DIR, load_trial
from cds.trials.schema import Trial

SHIPPED = TRIALS_DIR / "nct05247203.yaml"


def trial_file_variant(folder: Path, *edits: tuple[str, str], name: str = "variant.yaml", shipped: Path = SHIPPED) -> Path:
    """Copy the shipped trial file (`shipped`, by default NCT05247203's) into `folder` with
    each (old, new) text replaced once.

    :raise AssertionError: an `old` text is not in the file exactly once.
    """
    text = shipped.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {shipped.name}"
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def shipped_alone(folder: Path) -> Path:
    """A trials folder holding the shipped NCT05247203 file alone: the service the demo
    patients are written for, for tests of that trial's cards whatever other trial files
    ship beside it (each further trial gives those patients cards of its own)."""
    trial_file_variant(folder, name=SHIPPED.name)
    return folder


def shipped_trial() -> Trial:
    """The shipped NCT05247203 file alone, loaded (what a service on `shipped_alone` runs)."""
    return load_trial(SHIPPED)
