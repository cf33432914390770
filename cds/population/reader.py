"""Read one export file: the records to group, and the file's counts and problems.

Both engines read files this way (the local engine in its worker processes, Spark in its
tasks), so they see the same records and report the same problems.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cds.population.compartment import Compartment
from cds.population.export import ExportFile, ExportReadError, read_line_chunks
from cds.population.patient_group import PROBLEM_MARK, Item
from cds.population.problems import LISTED_PER_FILE, Problem
from cds.population.routing import (
    BLANK,
    MALFORMED,
    PATIENT_RESOURCE,
    SHARED_RESOURCE,
    SKIPPED_CODE,
    SKIPPED_TYPE,
    ReadPlan,
    route_line,
)

# (kind, key, item, shared keys named): kind PATIENT_RESOURCE or SHARED_RESOURCE; a line
# that is not JSON but names its patient comes as a PATIENT_RESOURCE whose item is a problem.
Record = tuple[str, str, Item, tuple[str, ...]]


class FileReading:
    """Reads one file once, counting what each line was."""

    def __init__(self, file: ExportFile, plan: ReadPlan, compartment: Compartment) -> None:
        self.file = file
        self.plan = plan
        self.compartment = compartment
        self.counts = dict.fromkeys(("lines", PATIENT_RESOURCE, SHARED_RESOURCE, SKIPPED_CODE, SKIPPED_TYPE, BLANK, "problems"), 0)
        self.listed: list[dict[str, Any]] = []

    def _problem(self, line: int | None, message: str) -> None:
        self.counts["problems"] += 1
        if len(self.listed) < LISTED_PER_FILE:
            self.listed.append(Problem(self.file.name, line, message).to_json())

    def records(self) -> Iterator[Record]:
        """The file's records to group, in line order; a file that stops being readable is a
        problem naming the line reached, and what was read before it is kept.

        The loop runs once per line of the export: Observation lines no criterion reads are
        passed over before anything else is done with them, and counts are kept in locals.
        """
        file, plan, compartment = self.file, self.plan, self.compartment
        shared_file = compartment.is_shared(file.resource_type)
        may_matter = plan.observation_may_matter if file.resource_type == "Observation" else None
        counts = self.counts
        number = skipped = 0
        try:
            for lines in read_line_chunks(file.path):
                for line in lines:
                    number += 1
                    if may_matter is not None and not may_matter(line):
                        skipped += 1
                        continue
                    kind, key, detail = route_line(line, file.resource_type, plan, compartment)
                    if kind == PATIENT_RESOURCE or (kind == SHARED_RESOURCE and shared_file):
                        counts[kind] += 1
                        yield kind, key, (file.index, number, line), detail  # type: ignore[misc]
                    elif kind == SHARED_RESOURCE:  # read only through its own type's files
                        counts[SKIPPED_TYPE] += 1
                    elif kind == MALFORMED and key is not None:
                        self._problem(number, f"{detail}; its patient is reported as not evaluated")
                        yield PATIENT_RESOURCE, key, (file.index, number, PROBLEM_MARK + str(detail).encode()), ()
                    elif kind in counts:
                        counts[kind] += 1
                    else:
                        self._problem(number, str(detail))
        except ExportReadError as exc:
            self._problem(None, str(exc))
        finally:
            counts["lines"] += number
            counts[SKIPPED_CODE] += skipped

    def summary(self) -> dict[str, Any]:
        """The file's counts and first problems, once `records` is exhausted."""
        return {"file": self.file.name, "type": self.file.resource_type, "read": True, **self.counts,
                "listed_problems": self.listed}
