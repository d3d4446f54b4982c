"""One error root, diagnostics with positions, and the exit codes that scripts and cron see."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal


class ExitCode(IntEnum):
    OK = 0
    SEGMENTS_FAILED = 1
    BAD_DEFINITION = 2  # also bad usage
    BAD_INPUT = 3
    LOCKED = 75  # another run holds the output folder's lock (EX_TEMPFAIL)
    INTERNAL = 70


@dataclass(frozen=True, slots=True)
class Span:
    """A position in a source file; line and column are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    level: Literal["error", "warning"] = "error"  # warnings come from linting against the data

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span else ""
        text = f"{where}{self.level}[{self.code}] {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class SegcliError(Exception):
    """Root of every error segcli raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UsageError(SegcliError):
    exit_code = ExitCode.BAD_DEFINITION


class DefinitionError(SegcliError):
    """One or more problems in segment definitions, collected and raised once."""

    exit_code = ExitCode.BAD_DEFINITION

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class ConfigError(DefinitionError):
    """One or more problems in the project config file, each at its position, raised once: they
    are shown as a definition's are."""


class InputError(SegcliError):
    """A data file cannot be read as promised; the message names file, row and column."""

    exit_code = ExitCode.BAD_INPUT


class SnapshotError(SegcliError):
    """A snapshot cannot be written or does not verify."""

    exit_code = ExitCode.SEGMENTS_FAILED


class LockedError(SegcliError):
    exit_code = ExitCode.LOCKED


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """A hint naming the closest known word, or None when nothing is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
