"""Benchmarks of trialcds: generated long-record patients, timings, load and memory (see docs/performance.md)."""
