"""PTB persistence in the project's own database (Heroku's disk is wiped on restart).

Conversation positions and user/chat data are JSON rows in ``bot_state``; bot_data holds live
services and is not persisted. Each row's key starts with the bot's id ("123456/1001"): two bots
(two tokens) on one database have their own forms and data for the same admin, as they have
their own update numbers (``claim_update``).

Written through, not on a timer: PTB hands changed data over every ``update_interval``
seconds, so a crash (or a SIGKILL after the grace period) within that time of a form
answer lost the answer, and the form then stood one question behind the chat.
``WriteThroughApplication`` hands it over as soon as each update has been handled (and each
job or background task has run); the persistence skips rows whose JSON has not changed, so an
update that changes nothing writes nothing. The timer stays as a backstop.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BasePersistence,
    Job,
    PersistenceInput,
)
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot import claims
from bot.runtime import in_transaction
from crm_core.services.bot_state import load_namespace, save_state, to_json

T = TypeVar("T")
UserData = dict[Any, Any]
_UNSAVED = object()  # never read nor written: not known to be unchanged


class WriteThroughApplication(Application):
    """An Application that saves what an update changed as soon as it is handled, and what a
    job or a background task (an attachment's save) changed as soon as it is done."""

    _handling = 0  # updates being handled now (their data is written when they are done)

    async def process_update(self, update: object) -> None:
        self._handling += 1
        token = claims.CURRENT.set(None)  # the gate's dedupe sets this update's claim
        try:
            await super().process_update(update)
            claim = claims.pending()
            if claim is not None:  # handled without a transaction or a Bot API call
                with contextlib.suppress(ApplicationHandlerStop):
                    await claim.ensure()
        finally:
            claims.CURRENT.reset(token)
            self._handling -= 1
        if self.persistence is not None and not self._nothing_to_write():
            await self.update_persistence()

    def _nothing_to_write(self) -> bool:
        """True when no conversation was moved and the data of the users and chats the update
        touched is what the persistence last wrote: then PTB's run (a deep copy of each, a
        task per row, a lock) is skipped, and the rows are no longer due for the timer."""
        persistence = self.persistence
        if not isinstance(persistence, DatabasePersistence):
            return False
        if self._user_ids_to_be_deleted_in_persistence or (
            self._chat_ids_to_be_deleted_in_persistence
        ):
            return False
        if any(d._write_access_keys for d in self._conversation_handler_conversations.values()):
            return False
        users, chats = (
            self._user_ids_to_be_updated_in_persistence,
            (self._chat_ids_to_be_updated_in_persistence),
        )
        if not all(persistence.saved("user", uid, self.user_data[uid]) for uid in users) or not (
            all(persistence.saved("chat", cid, self.chat_data[cid]) for cid in chats)
        ):
            return False
        users.clear()
        chats.clear()
        return True

    def _mark_for_persistence_update(
        self, *, update: object | None = None, job: Job[Any] | None = None
    ) -> None:
        """PTB marks a user's or chat's data as changed here, after an update, a job or a
        task; outside an update's handling, write it now rather than at the next interval.
        (The write's own task marks nothing, so it never starts another.)"""
        super()._mark_for_persistence_update(update=update, job=job)
        marked = (
            isinstance(update, Update) and (update.effective_user or update.effective_chat)
        ) or (job is not None and (job.user_id or job.chat_id))
        if marked and not self._handling and self.persistence is not None and self.running:
            self.create_task(self.update_persistence(), name="persistence:write-through")


class DatabasePersistence(BasePersistence[UserData, UserData, UserData]):
    def __init__(self, session_factory: sessionmaker[Session], update_interval: float = 5) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self._factory = session_factory
        #: (namespace, key) -> the JSON last read or written: unchanged data isn't rewritten.
        self._saved: dict[tuple[str, str], str | None] = {}

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await in_transaction(self._factory, fn, *args)

    def _prefix(self) -> str:
        return f"{self.bot.id}/"  # the Application has initialised its bot (getMe) by now

    async def _load(self, namespace: str) -> dict[str, Any]:
        prefix = self._prefix()
        rows = await self._run(load_namespace, namespace, prefix)
        found = {key.removeprefix(prefix): value for key, value in rows.items()}
        for key, value in found.items():
            self._saved[(namespace, key)] = to_json(value)
        return found

    def saved(self, namespace: str, ident: int, data: UserData) -> bool:
        """Whether ``data`` (a user's or chat's) is what was last read or written."""
        text = to_json(data) if data else None
        return self._saved.get((namespace, str(ident)), _UNSAVED) == text

    async def _save(self, namespace: str, key: str, value: Any) -> None:
        text = None if value is None else to_json(value)
        if (namespace, key) in self._saved and self._saved[(namespace, key)] == text:
            return
        await self._run(save_state, namespace, self._prefix() + key, value)
        self._saved[(namespace, key)] = text

    async def _load_ids(self, namespace: str) -> dict[int, UserData]:
        rows = await self._load(namespace)
        return {int(key): value for key, value in rows.items()}

    async def get_user_data(self) -> dict[int, UserData]:
        return await self._load_ids("user")

    async def get_chat_data(self) -> dict[int, UserData]:
        return await self._load_ids("chat")

    async def get_bot_data(self) -> UserData:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await self._load(f"conv:{name}")
        return {tuple(json.loads(key)): state for key, state in rows.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self._save(f"conv:{name}", json.dumps(list(key)), new_state)

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        await self._save("user", str(user_id), data or None)

    async def update_chat_data(self, chat_id: int, data: UserData) -> None:
        await self._save("chat", str(chat_id), data or None)

    async def update_bot_data(self, data: UserData) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._save("chat", str(chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._save("user", str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: UserData) -> None:
        return None

    async def refresh_bot_data(self, bot_data: UserData) -> None:
        return None

    async def flush(self) -> None:
        return None
