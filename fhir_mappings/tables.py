"""Every code list and table under `fhir_mappings/valuesets/`, read in one call.

Each table is read from its YAML file (the drug catalog also from its two generated JSON
tables) on first use and then kept (`functools.cache`). The service reads them all before
it serves: a malformed data file then stops the start instead of failing a clinician's hook
call, no hook call pays for the reading (the drug catalog, the largest, takes ~0.06 s), and
the worker's `gc.freeze()` keeps them out of every later garbage collection
(cds/gunicorn_conf.py).
"""

from __future__ import annotations

from fhir_mappings.drugs import drug_catalog
from fhir_mappings.labs import analyte_by_code
from fhir_mappings.medication_doses import dose_units
from fhir_mappings.medication_periods import status_rules
from fhir_mappings.positivity import rules
from fhir_mappings.terminology import coded_valuesets
from fhir_mappings.timing import timing_table
from fhir_mappings.units import unit_table


def load_tables() -> None:
    """Read every table now (each is kept after its first reading).

    :raise ValueSetError: a value-set file is malformed.
    """
    coded_valuesets()
    analyte_by_code()
    drug_catalog()
    unit_table()
    timing_table()
    dose_units()
    status_rules()
    rules()
