"""The report as a page: the same figures as the CLI, with charts, readable on its own.

`report_fragment` is the body the screen embeds in its own layout (under its login); `report_document`
wraps it into one self-contained HTML file for `terugbel report --format html`: inline style, inline SVG,
no script and nothing fetched, so it can be mailed or opened from disk and shows no patient data.
"""

from __future__ import annotations

from importlib.resources import files

import jinja2
from markupsafe import Markup

from reports import charts
from reports.export import COLUMNS, WEEKDAYS_NL
from reports.figures import ON_TIME_BUCKETS
from reports.report import ON_TIME_NORM, Report

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("reports", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def number(value: float | int | None, digits: int = 1) -> str:
    """Dutch notation for the page: a decimal comma, "-" where there is nothing to show."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}".replace(".", ",")


_env.filters["number"] = number


def report_fragment(report: Report) -> Markup:
    """The report's sections, for a page that has its own head and layout."""
    template = _env.get_template("report.html")
    return Markup(template.render(r=report, t=report.total, columns=COLUMNS, weekdays=WEEKDAYS_NL,
                                  charts=_charts(report), evaluation=evaluation(report)))  # fmt: skip


def report_document(report: Report) -> str:
    """A whole HTML document: the fragment with the stylesheet inlined."""
    style = files("reports").joinpath("templates/report.css").read_text(encoding="utf-8")
    return _env.get_template("document.html").render(
        r=report, body=report_fragment(report), style=Markup(style)
    )


def stylesheet() -> str:
    """The report's CSS, for the screen to serve beside its own."""
    return files("reports").joinpath("templates/report.css").read_text(encoding="utf-8")


def evaluation(report: Report) -> list[tuple[str, str]]:
    """Seed 001's three evaluation questions (stap 5), each answered in a sentence from the figures."""
    t = report.total
    r, o, p = t.regular, t.offers, t.punctuality
    lost = (
        f"{r.abandoned.count} van de {r.abandoned.of} wachtende bellers hingen op "
        f"({number(r.abandoned.percent)} %), mediaan na {number(r.abandoned_after.p50, 0)} s; "
        f"{r.over_10_min.count} wachtten 10 minuten of langer."
    )
    worst = max(o.declined_by_hour, key=lambda item: item[1], default=None)
    declined = (
        f"{o.declined} van de {o.offered} aangeboden terugbeltijden werden geweigerd. "
        f"Geweigerde tijden lagen mediaan {number(o.declined_lead_minutes.p50, 0)} minuten na het gesprek, "
        f"bevestigde {number(o.confirmed_lead_minutes.p50, 0)} minuten"
        + (f"; het vaakst geweigerd: {worst[0]}." if worst else ".")
        + f' {o.turned_away} keer was er geen plek meer ("vol").'
    )
    short = [
        a
        for a in report.advice
        if a.assistants_in_file is not None and (a.assistants_needed_callbacks or 0) > a.assistants_in_file
    ]
    too_many = [
        a for a in report.advice
        if a.callback_slots_advised is not None and a.callback_slots_in_file is not None
        and a.callback_slots_advised < a.callback_slots_in_file
    ]  # fmt: skip
    advice = []
    if short:
        advice.append(
            "meer assistenten op " + ", ".join(f"{WEEKDAYS_NL[a.weekday]} {a.start}-{a.end}" for a in short)
        )
    if too_many:
        places = [
            f"{WEEKDAYS_NL[a.weekday]} {a.start}-{a.end} "
            f"({a.callback_slots_advised} i.p.v. {a.callback_slots_in_file})"
            for a in too_many
        ]
        advice.append("minder terugbelplekken op " + ", ".join(places))
    done = (
        f"{p.called} van de {p.bookings} terugbelafspraken zijn gebeld, {p.not_called} niet; "
        f"{p.on_time.count} op tijd, {p.early} te vroeg, {p.late} te laat. "
        + _advice_sentence(advice, p.on_time.percent)
    )
    return [
        ("Hoeveel gesprekken gingen verloren?", lost),
        ("Weigeren bellers de terugbeloptie, en is de aangeboden tijd te laat?", declined),
        ("Krijgen de assistentes de lijst weggewerkt?", done),
    ]


def _advice_sentence(advice: list[str], on_time: float | None) -> str:
    if advice:
        return "Advies: " + "; ".join(advice) + "."
    if on_time is not None and on_time < ON_TIME_NORM:
        # Seed 001, stap 5: the list is not finished on time, so fewer slots or more hands on the block.
        return (
            "Te veel terugbelafspraken komen niet op tijd: open minder terugbelplekken of zet meer "
            "assistenten op het terugbelblok."
        )
    return "Het capaciteitsbestand past bij de gemeten drukte."


def _charts(report: Report) -> dict[str, Markup]:
    profile = report.profile
    p = report.total.punctuality
    abandoned = report.total.regular.abandoned_buckets
    lights = {
        check.name: Markup(charts.light_svg(check.light, label=f"{check.name}: {check.light}"))
        for check in report.norms
    }
    return {
        "arrivals": Markup(
            charts.bar_line_chart(
                profile.quarters,
                profile.arrivals,
                profile.capacity,
                title="Gesprekken per kwartier (gemiddeld per dag) en terugbelcapaciteit volgens het bestand",
                bar_label="binnenkomende gesprekken",
                line_label="capaciteit (assistenten x gesprekken per kwartier)",
            )
        ),
        "punctuality": Markup(
            charts.histogram(
                [label for label, _ in p.buckets],
                [count for _, count in p.buckets],
                title="Afwijking van de beloofde tijd (minuten)",
                highlight=ON_TIME_BUCKETS,
            )
        ),
        "abandoned": Markup(
            charts.histogram(
                [label for label, _ in abandoned],
                [count for _, count in abandoned],
                title="Opgehangen na (wachttijd)",
            )
        ),
        **{f"light:{name}": svg for name, svg in lights.items()},
    }
