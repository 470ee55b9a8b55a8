"""The update queue: updates made by the phone or the double, delivered by long polling
(getUpdates) or POSTed to a webhook, filtered by ``allowed_updates``, at least once."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

import aiohttp

from .records import JSON, ApiError, bad_request, now
from .rules import DEFAULT_EXCLUDED_UPDATES, update_type
from .state import TelegramState

#: The Bot API methods handled here.
METHODS = ("getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo")


class UpdateQueue(TelegramState):
    """Queueing updates and handing them to the bot."""

    async def deliver(self, update: JSON, *, redelivery: bool = False) -> JSON:
        """Queue (or POST to the webhook) a raw update; fills ``update_id`` if missing."""
        if not redelivery:
            self._ingest(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
            self._next_update_id += 1
        if redelivery:
            if self.webhook["url"]:
                self._pending.append(update)
            else:
                self._redeliver.append(update)
        else:
            self.updates.append(update)
            self._pending.append(update)
        self._pulse.notify()
        if self.webhook["url"]:
            await self._flush_webhook()
        return update

    async def channel_post(
        self, text: str, *, chat_id: int = -1001000000001, title: str = "Channel"
    ) -> JSON:
        """A channel post in a channel the bot administers."""
        chat = {"id": chat_id, "type": "channel", "title": title}
        message = {
            "message_id": self._next_message_id(chat_id),
            "sender_chat": chat,
            "chat": chat,
            "date": now(),
            "text": text,
        }
        return await self.deliver({"channel_post": message})

    def _member_update(self, user_id: int, old: str, new: str) -> None:
        user = self._users[user_id]
        chat = self._private_chat(user)
        bot = dict(self.bot_user)
        update: JSON = {
            "my_chat_member": {
                "chat": chat,
                "from": user,
                "date": now(),
                "old_chat_member": {"status": old, "user": bot},
                "new_chat_member": (
                    {"status": new, "user": bot, "until_date": 0}
                    if new == "kicked"
                    else {"status": new, "user": bot}
                ),
            }
        }
        update["update_id"] = self._next_update_id
        self._next_update_id += 1
        self.updates.append(update)
        self._pending.append(update)
        self._pulse.notify()
        if self.webhook["url"]:
            self._spawn(self._flush_webhook())

    # ------------------------------------------------------------------ webhook

    async def _flush_webhook(self) -> None:
        """POST pending updates to the webhook in order; keep them if the bot fails."""
        async with self._webhook_lock:
            while self._pending and self.webhook["url"] and not self._closing:
                update = self._pending[0]
                if not self._allowed(update):
                    self._pending.pop(0)
                    self.dropped_updates.append(update)
                    continue
                if self._http is None:
                    self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
                headers = {}
                if self.webhook["secret_token"]:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with self._http.post(
                        self.webhook["url"], json=update, headers=headers
                    ) as response:
                        status = response.status
                        await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    self._webhook_error = (now(), f"Connection failed: {exc}")
                    return
                if not 200 <= status < 300:
                    self._webhook_error = (now(), f"Wrong response from the webhook: {status}")
                    return
                self._pending.pop(0)
                self._touch()

    def _allowed(self, update: JSON) -> bool:
        kind = update_type(update)
        if self._allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _set_allowed(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise bad_request("can't parse allowed updates JSON array")
        self._allowed_updates = frozenset(value) if value else None

    # ------------------------------------------------------------------ methods

    async def _m_get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook["url"]:
            raise ApiError(
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
                409,
            )
        # Like Telegram, a new getUpdates terminates the one still waiting.
        self._poll_generation += 1
        generation = self._poll_generation
        self._pulse.notify()
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        limit = max(1, min(100, limit if isinstance(limit, int) else 100))
        timeout = params.get("timeout") or 0
        timeout = max(0.0, float(timeout)) if isinstance(timeout, int | float) else 0.0
        self._set_allowed(params.get("allowed_updates"))
        if isinstance(offset, int) and offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._pending = self._pending[offset:]
        deadline = time.monotonic() + timeout
        while True:
            event = self._pulse.current
            if generation != self._poll_generation:
                raise ApiError(
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                    409,
                )
            batch = self._take_updates(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                break
            await self._pulse.wait(event, remaining)
        if batch:
            self._touch()
        return batch

    def _take_updates(self, limit: int) -> list[JSON]:
        batch: list[JSON] = []
        while self._redeliver and len(batch) < limit:
            batch.append(self._redeliver.pop(0))
        for update in list(self._pending):
            if len(batch) >= limit:
                break
            if not self._allowed(update):
                self._pending.remove(update)
                self.dropped_updates.append(update)
                continue
            batch.append(update)
        return copy.deepcopy(batch)

    async def _m_set_webhook(self, params: JSON) -> bool:
        url = params.get("url") or ""
        if url and not re.match(r"^https?://[^\s/]+", url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        self._set_allowed(params.get("allowed_updates"))
        if params.get("drop_pending_updates"):
            self._pending.clear()
            self._redeliver.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": params.get("allowed_updates"),
        }
        self._webhook_error = None
        self._poll_generation += 1  # a waiting getUpdates ends with 409
        self._pulse.notify()
        if url:
            self._spawn(self._flush_webhook())
        return True

    def _m_delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
            self._redeliver.clear()
        self.webhook = {"url": "", "secret_token": None, "allowed_updates": None}
        return True

    def _m_get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
            "max_connections": 40,
        }
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        if self._webhook_error and self.webhook["url"]:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info
