"""FHIR R4 resources -> normalized facts that eligibility criteria read.

This package knows FHIR and terminologies, never a trial: the engine in `cds.engine`
reads the facts built here and the trial files say which value sets matter.
"""
