"""An evaluation leaves nothing for the cyclic collector: once its results are dropped,
reference counting frees every object it built.

Why it matters: the service's workers and the screening workers keep the collector off
while they evaluate (cds/gunicorn_conf.py, cds/population/local_engine.py). A reference
cycle anywhere in the engine (a closure that names itself, say) keeps the whole patient's
facts and parsed resources alive until a collection walks them: on the screening workers
that was a collection of about 1 s per 1,000 patients, and on the service a growing heap
between requests. Run on every public bundle in ../shared/data/external/ (Synthea, US Core
and the generated lupus patients, whose records reach the lab, renal and dose kinds)
against every configured trial.
"""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

from external_bundles import patient_records

from cds.pipeline import evaluate_trials
from cds.trials.loader import load_trials

AS_OF = date(2026, 11, 25)


def test_evaluating_every_trial_leaves_no_cyclic_garbage(external_data: Path) -> None:
    trials = list(load_trials().values())
    assert len(list(external_data.glob("*/*.json.gz"))) > 100
    found: dict[str, int] = {}
    was_enabled = gc.isenabled()
    gc.disable()
    gc.collect()
    gc.freeze()  # each collection below then walks only what the last evaluation left
    try:
        for path, record in patient_records(external_data):
            if not found:
                evaluate_trials(record, trials, AS_OF)  # start-up caches (value sets, tables) filled first
                gc.collect()
            results = evaluate_trials(record, trials, AS_OF)
            assert len(results) == len(trials)
            del record, results
            found[path.name] = gc.collect()
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
    left = {name: n for name, n in found.items() if n}
    assert len(found) >= 120
    assert not left, f"objects only the cyclic collector could free, per bundle: {left}"
