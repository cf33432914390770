"""Population pre-screening: every configured trial over a whole FHIR Bulk Data export.

The export is read file by file, grouped per patient on disk, and each patient's record goes
through `cds.pipeline.evaluate_trials`, the path `trialcds evaluate` takes: a local pool of
processes or Apache Spark maps that one function over the patients. Outputs (evaluations,
candidates, attrition, report) follow from the evaluations alone.
"""
