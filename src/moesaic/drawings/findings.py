"""What a drawing check finds: one :class:`Finding` per problem, and the :class:`CheckResult` of a sheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moesaic.drawings.summary import DrawingSummary

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem found. ``subject`` is the field, part number or dimension it is about."""

    rule: str
    severity: str
    message: str
    subject: str = ""
    box: tuple[int, int, int, int] | None = None
    bom_line: int | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"`severity` must be one of {SEVERITIES}, got {self.severity!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "subject": self.subject,
            "box": list(self.box) if self.box else None,
            "bom_line": self.bom_line,
        }


@dataclass(frozen=True)
class CheckResult:
    """The findings on one drawing, with the summary they were computed from."""

    summary: DrawingSummary
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.summary.path,
            "passed": self.passed,
            "findings": [f.to_json() for f in self.findings],
            "summary": self.summary.to_json(),
        }
