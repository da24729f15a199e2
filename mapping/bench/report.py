"""Benchmark results and the markdown report (docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

MET, MISSED, NOT_MEASURED = "MET", "MISSED", "NOT MEASURED"


@dataclass
class Measurement:
    """One target: the figure, its baseline from the same run, and the verdict.

    value and baseline share a unit; ratio is value / baseline. `check` decides the
    target from (value, ratio). value None means it could not be measured: `note`
    says what is missing rather than a figure being made up.
    """

    name: str
    title: str
    target: str
    unit: str
    value: float | None = None
    baseline: float | None = None
    baseline_name: str = ""
    check: Callable[[float, float | None], bool] | None = field(default=None, repr=False)
    detail: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        if self.value is None or self.check is None:
            return NOT_MEASURED
        return MET if self.check(self.value, self.ratio) else MISSED

    @classmethod
    def not_measured(cls, name: str, title: str, target: str, unit: str, why: str):
        return cls(name, title, target, unit, note=f"not measured: {short(why)}")


def short(text: str, limit: int = 400) -> str:
    """One line, at most limit characters: the end of an error says most."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else "..." + flat[-limit:]


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if value >= 1000 and unit not in {"ms", "s", "MB"}:
        return f"{value:,.0f} {unit}"
    return f"{value:,.3g} {unit}" if value < 100 else f"{value:,.0f} {unit}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def results_table(measurements: list[Measurement]) -> list[str]:
    lines = [
        "| Benchmark | Target | Measured | Baseline (same run) | Ratio | Result |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for m in measurements:
        baseline = f"{_figure(m.baseline, m.unit)} ({m.baseline_name})" if m.baseline else "-"
        ratio = f"{m.ratio:.2f}x" if m.ratio is not None else "-"
        verdict = f"**{m.verdict}**" if m.verdict != MET else m.verdict
        lines.append(
            f"| {_cell(m.title)} | {_cell(m.target)} | {_figure(m.value, m.unit)} | "
            f"{_cell(baseline)} | {ratio} | {verdict} |"
        )
    return lines


def render_report(
    measurements: list[Measurement],
    machine: dict[str, str],
    commands: list[str],
    generated_at: str,
    preamble: list[str] = (),
    notes: list[str] = (),
) -> str:
    """The whole markdown document."""
    lines = ["# Benchmarks", "", f"Generated {generated_at} by `python manage.py bench`.", ""]
    lines += [*preamble, ""] if preamble else []
    lines += ["## Results", "", *results_table(measurements), ""]
    lines += [
        "Ratio is measured / baseline; both come from this run on this machine. "
        "MISSED and NOT MEASURED are stated as they are; the details say why.",
        "",
        "## Details",
        "",
    ]
    for m in measurements:
        lines.append(f"### {m.title}")
        lines.append("")
        lines.append(f"- Target: {m.target}. Result: **{m.verdict}**.")
        if m.value is not None:
            lines.append(f"- Measured: {_figure(m.value, m.unit)}.")
        if m.baseline:
            lines.append(f"- Baseline: {_figure(m.baseline, m.unit)}, {m.baseline_name}.")
        if m.detail:
            lines.append(f"- {m.detail}")
        if m.note:
            lines.append(f"- {m.note}")
        lines.append("")
    lines += ["## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    lines += ["", "## Reproduce", "", "```sh", *commands, "```", ""]
    if notes:
        lines += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    return "\n".join(lines)
