"""Exception types shared by every part of sna_lib."""

from __future__ import annotations

from dataclasses import dataclass


class SnaError(Exception):
    """Base class for errors the CLI reports as a message and a non-zero exit."""


@dataclass(frozen=True)
class Problem:
    """One input problem, located precisely enough for an analyst to fix it."""

    file: str
    column: str | None
    row: int | None  # 1-based data row (header excluded); None for whole-file/column problems
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.column:
            where += f", column '{self.column}'"
        if self.row is not None:
            where += f", row {self.row}"
        return f"{where}: {self.reason}"


class DataValidationError(SnaError):
    """Input data broke the contract; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n  ".join(str(p) for p in self.problems[:50])
        more = f"\n  … and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{len(self.problems)} problem(s) in input data:\n  {shown}{more}")


def require_data_folder(path) -> None:
    """Raise :class:`DataValidationError` (``data folder does not exist``) unless ``path`` is a folder."""
    from pathlib import Path

    if not Path(path).is_dir():
        raise DataValidationError([Problem(str(path), None, None, "data folder does not exist")])
