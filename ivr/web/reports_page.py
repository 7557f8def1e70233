"""The report page of the screen and its data: the same figures as `terugbel report`, behind the login.

The page holds no patient data (the trace has no numbers), so every logged-in user may see it: the
practice manager is usually an assistant. The figures are computed on request from the period's events
(reports.build_report); a period is at most a year, which a practice's database reads in a second or two.
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from capacity.config import CapacityConfig
from ivr.db.door import StoreUnavailable
from ivr.web.context import WebContext, context_of
from ivr.web.errors import bad_field, unavailable
from ivr.web.templating import render
from reports.export import report_csv, report_dict
from reports.html import report_fragment, stylesheet
from reports.report import Report, build_report, event_window
from storage.call_events import events_between

DEFAULT_DAYS = 14
MAX_DAYS = 366


async def page(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    first, last = period(request, ctx)
    report = await _report(ctx, first, last)
    return render(request, "report_page.html", report=report, body=report_fragment(report))


async def data(request: web.Request) -> web.StreamResponse:
    """The report as JSON, or with `format=csv` as a download for the spreadsheet."""
    ctx = context_of(request)
    first, last = period(request, ctx)
    kind = request.query.get("format", "json")
    if kind not in ("json", "csv"):
        raise bad_field("format", "Kies json of csv.")
    report = await _report(ctx, first, last)
    if kind == "json":
        return web.json_response(report_dict(report))
    return web.Response(
        body=report_csv(report).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="rapport-{first}-{last}.csv"'},
    )


async def css(request: web.Request) -> web.StreamResponse:
    """The report's own stylesheet (reports/templates/report.css), one source for the page and the file."""
    return web.Response(text=stylesheet(), content_type="text/css", charset="utf-8")


def period(request: web.Request, ctx: WebContext) -> tuple[dt.date, dt.date]:
    """`van` and `tot` from the query (both included); by default the 14 days up to yesterday."""
    config = _config(ctx)
    yesterday = ctx.clock().astimezone(config.tz).date() - dt.timedelta(days=1)
    first = _day(request, "van", yesterday - dt.timedelta(days=DEFAULT_DAYS - 1))
    last = _day(request, "tot", yesterday)
    if last < first:
        raise bad_field("tot", "De einddatum ligt voor de begindatum.")
    if (last - first).days + 1 > MAX_DAYS:
        raise bad_field("tot", f"Kies een periode van hoogstens {MAX_DAYS} dagen.")
    return first, last


def _day(request: web.Request, name: str, default: dt.date) -> dt.date:
    text = request.query.get(name, "")
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise bad_field(name, "Geen datum; gebruik JJJJ-MM-DD.") from None


def _config(ctx: WebContext) -> CapacityConfig:
    return ctx.capacity.current if ctx.capacity is not None else CapacityConfig()


async def _report(ctx: WebContext, first: dt.date, last: dt.date) -> Report:
    config = _config(ctx)
    start, end = event_window(config, first, last)
    try:
        events = await ctx.db.run(events_between, await ctx.practice.id(), start, end)
    except StoreUnavailable:
        raise unavailable() from None
    return build_report(events, config, first, last)
