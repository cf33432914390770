"""The configured trials as FHIR: an R4 ResearchStudy with its enrollment Group, and an
R5 EvidenceVariable of the criteria (`trialcds export`). It reads trials and the code
tables; nothing in the engine or the service depends on it."""
