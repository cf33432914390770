"""Input problems: what could not be read, named by file and line, so a run can go on past them."""

from __future__ import annotations

from dataclasses import dataclass

# Problems listed line by line per input file; past this only their number is kept, so a
# file of nothing but broken lines does not fill the memory or the report.
LISTED_PER_FILE = 100


@dataclass(frozen=True)
class Problem:
    """One input problem: where (file, line when known) and what."""

    file: str
    line: int | None
    message: str

    def to_json(self) -> dict[str, object]:
        """As stored between phases and in the run summary."""
        return {"file": self.file, "line": self.line, "message": self.message}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Problem:
        """The inverse of `to_json`."""
        line = data.get("line")
        return cls(str(data["file"]), int(line) if isinstance(line, int) else None, str(data["message"]))

    def __str__(self) -> str:
        return f"{self.file}{f' line {self.line}' if self.line is not None else ''}: {self.message}"
