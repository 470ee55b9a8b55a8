"""Files the last run left pending: asked about (or saved) again at start.

A file sent to the bot is a *pending attachment* in ``user_data`` from the moment it arrives
(``bot.features.attachments``), and persistence writes ``user_data`` as soon as each update is
handled (``bot.persistence``): the files of an album are in the database one by one, as they
come. What is not persisted is the album's timer, a JobQueue job; nor a save under way. So a
stop (SIGTERM: Heroku restarts every day) between an album's last item and its question, or in
the middle of a save, used to leave the files where nobody would ever ask about them. At start,
this finds them and carries on: the question ("Attach these 3 photos to which contact?"), or
the save when the contact and category were known already.

Why user_data rather than a table of its own: the pending attachment already lives there with
everything the buttons about it need, and is already persisted; a second copy would have to be
kept in step with it.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application

from bot.features.attachments.receiving import go_on_later
from bot.features.attachments.state import KEY, RUN, PendingFiles, files_of
from bot.handling import Ctx

log = logging.getLogger(__name__)


def left_pending(box: PendingFiles) -> list[tuple[str, int]]:
    """The (token, chat id) of each pending attachment that nothing will move on: never asked
    about, or being saved by a process that has stopped."""
    found = []
    for token, pending in box.pending.items():
        if not pending.items:
            continue
        cut_short = pending.saving not in (None, RUN)
        if not pending.asked or cut_short:
            pending.saving = None
            found.append((token, pending.chat_id))
    return found


def resume(application: Application[Any, Ctx, Any, Any, Any, Any]) -> int:
    """Carry on with every attachment the last run left pending (run at start, once
    persistence has loaded ``user_data``). Returns how many."""
    queue = application.job_queue
    if queue is None:
        return 0
    count = 0
    for user_id, data in application.user_data.items():
        if KEY not in data:
            continue
        for token, chat_id in left_pending(files_of(data)):
            go_on_later(queue, token, chat_id, user_id)
            count += 1
    if count:
        log.info("Resuming %d pending attachments left by the last run", count)
    return count
