"""The report as data: JSON for programs, CSV for a spreadsheet, a plain table for the terminal.

The CSV is written for the practice's spreadsheet: Dutch Excel and LibreOffice open a file with `;`
between fields and a decimal comma in the right columns (a comma-separated file lands in one column
there), and the byte order mark tells them it is UTF-8. One row per period (the whole period, each day,
week and month), one column per figure, the same figures the page and the JSON give.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import enum
import io
import json
from collections.abc import Callable
from typing import Any

from reports.figures import Figures
from reports.report import Report
from reports.stats import Distribution, Share


def report_dict(report: Report) -> dict[str, Any]:
    """Everything in the report as JSON-ready values (dates ISO, shares with their percentage)."""
    return _plain(report)


def report_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False)


# (column, how to read it from a period's figures)
COLUMNS: tuple[tuple[str, Callable[[Figures], float | int | None]], ...] = (
    ("gesprekken", lambda f: f.calls),
    ("buiten openingstijd", lambda f: f.outside_hours),
    ("spoed", lambda f: f.spoed.calls),
    ("spoed binnen 30 s %", lambda f: f.spoed.within_norm.percent),
    ("spoed p50 s", lambda f: f.spoed.to_person.p50),
    ("spoed p90 s", lambda f: f.spoed.to_person.p90),
    ("spoed doorgeschakeld", lambda f: f.spoed.overflowed),
    ("spoed niet opgenomen", lambda f: f.spoed.not_answered),
    ("wachtrij", lambda f: f.regular.calls),
    ("opgenomen", lambda f: f.regular.answered),
    ("binnen 2 min %", lambda f: f.regular.within_norm.percent),
    ("wachttijd p50 s", lambda f: f.regular.wait.p50),
    ("wachttijd p90 s", lambda f: f.regular.wait.p90),
    ("opgehangen", lambda f: f.regular.abandoned.count),
    ("opgehangen %", lambda f: f.regular.abandoned.percent),
    ("opgehangen na p50 s", lambda f: f.regular.abandoned_after.p50),
    ("langer dan 10 min", lambda f: f.regular.over_10_min.count),
    ("langer dan 10 min %", lambda f: f.regular.over_10_min.percent),
    ("terugbellen aangeboden", lambda f: f.offers.offered),
    ("bevestigd", lambda f: f.offers.confirmed),
    ("geweigerd", lambda f: f.offers.declined),
    ("geweigerd: tijd vooruit p50 min", lambda f: f.offers.declined_lead_minutes.p50),
    ("vol", lambda f: f.offers.turned_away),
    ("terugbelafspraken", lambda f: f.punctuality.bookings),
    ("op tijd %", lambda f: f.punctuality.on_time.percent),
    ("te vroeg", lambda f: f.punctuality.early),
    ("te laat", lambda f: f.punctuality.late),
    ("niet gebeld", lambda f: f.punctuality.not_called),
    ("afwijking p50 min", lambda f: f.punctuality.deviation_minutes.p50),
    ("afwijking p90 min", lambda f: f.punctuality.deviation_minutes.p90),
    ("bereikt 1e poging", lambda f: f.attempts.reached_first),
    ("bereikt 2e poging", lambda f: f.attempts.reached_second),
    ("bereikt later", lambda f: f.attempts.reached_later),
    ("niet bereikt", lambda f: f.attempts.not_reached),
    ("plek bewaard", lambda f: f.kept.kept),
    ("plek bewaard: wachttijd p50 min", lambda f: f.kept.wait_minutes.p50),
)


def report_csv(report: Report) -> str:
    """The rows of the whole period, its days, weeks and months; `;`-separated, decimal comma, with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["soort", "periode", "van", "tot", *(name for name, _ in COLUMNS)])
    rows = [("totaal", "totaal", report.first_day, report.last_day, report.total)]
    for kind, periods in (("dag", report.days), ("week", report.weeks), ("maand", report.months)):
        rows += [(kind, r.label, r.first_day, r.last_day, r.figures) for r in periods]
    for kind, label, first, last, figures in rows:
        values = [_cell(read(figures)) for _, read in COLUMNS]
        writer.writerow([kind, label, first.isoformat(), last.isoformat(), *values])
    return "\ufeff" + out.getvalue()


def report_table(report: Report) -> str:
    """The whole period's figures as aligned text, then the norms and the staffing advice."""
    lines = [f"Rapport {report.first_day} t/m {report.last_day} ({report.timezone})", ""]
    width = max(len(name) for name, _ in COLUMNS)
    for name, read in COLUMNS:
        lines.append(f"{name:<{width}}  {_text(read(report.total))}")
    lines += ["", "Normen:"]
    for check in report.norms:
        lines.append(f"  {check.name:<30} {_text(check.percent):>6} %  norm {check.norm:g} %  {check.light}")
    lines += [
        "",
        "Advies: gesprekken/uur, assistenten nodig voor de telefoon | terugbelafspraken/uur,",
        "assistenten nodig voor het terugbellen / in het bestand | plekken per slot advies / bestand:",
    ]
    for row in report.advice:
        lines.append(
            f"  {WEEKDAYS_NL[row.weekday]:<10} {row.start}-{row.end}  {_text(row.regular_per_hour):>5}  "
            f"nodig {_text(row.assistants_needed):>2}  |  {_text(row.callbacks_per_hour):>5}  "
            f"nodig {_text(row.assistants_needed_callbacks):>2} / "
            f"bestand {_text(row.assistants_in_file):>2}  |  "
            f"plekken {_text(row.callback_slots_advised):>2} / {_text(row.callback_slots_in_file):>2}"
        )
    return "\n".join(lines) + "\n"


WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def _cell(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.1f}".replace(".", ",")


def _text(value: float | int | None) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def _plain(value: Any) -> Any:
    if isinstance(value, Share):
        return {"count": value.count, "of": value.of, "percent": value.percent}
    if isinstance(value, Distribution):
        return dataclasses.asdict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if hasattr(type(value), "assistants_needed"):
            data["assistants_needed"] = value.assistants_needed  # type: ignore[attr-defined]
        return data
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
