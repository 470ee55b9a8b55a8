"""/report: the summary of a pipeline over a period, then its charts as one album. The
period and pipeline buttons redraw the summary in place and send that view's charts.

Figures come from the database in a worker thread (``run_db``); the charts are drawn in
another (matplotlib is CPU work that must not block the event loop).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InputMediaPhoto, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.actions import REPORT
from bot.callbacks import Cb, StaleButton, pattern
from bot.handling import Ctx, on_button, reply
from bot.views.report import DEFAULT, PIPELINES, report_keyboard, summary
from crm_core.charts import Chart, render
from crm_core.services.periods import PERIODS, parse_period
from crm_core.services.report import report

log = logging.getLogger(__name__)


async def _show(update: Update, context: Ctx, pipeline: str, period: str, *, edit: bool) -> None:
    app = context.crm
    now = app.clock()
    chosen = parse_period(period, now)
    probabilities = app.settings.stage_probabilities
    result = await context.run_db(report, PIPELINES[pipeline], chosen, now, probabilities)
    await reply(update, summary(result), report_keyboard(pipeline, period), edit=edit)
    charts = await asyncio.to_thread(render, result.current)
    await _send_album(update, charts)


async def _send_album(update: Update, charts: list[Chart]) -> None:
    chat = update.effective_chat
    assert chat is not None
    if len(charts) == 1:  # an album needs two photos at least
        await chat.send_photo(charts[0].png, caption=charts[0].caption)
    elif charts:
        await chat.send_media_group(
            [InputMediaPhoto(c.png, caption=c.caption, filename=f"{c.name}.png") for c in charts]
        )


async def report_command(update: Update, context: Ctx) -> None:
    """Show the eviction pipeline over the last 30 days, with charts (/report)."""
    await _show(update, context, *DEFAULT, edit=False)


@on_button
async def report_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Redraw the summary for the period or pipeline tapped, then send its charts."""
    pipeline, period = REPORT.arg(cb)
    if pipeline not in PIPELINES or period not in PERIODS:  # one this version doesn't offer
        raise StaleButton(cb.arg)
    await _show(update, context, pipeline, period, edit=True)


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        CommandHandler("report", report_command),
        CallbackQueryHandler(report_button, pattern=pattern(REPORT)),
    ]
