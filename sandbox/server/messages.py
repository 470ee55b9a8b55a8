"""Method handlers for messages: send, edit, delete, copy and forward them, answer a button
press, show a chat action."""

from __future__ import annotations

import copy
import time

from .records import JSON, bad_request
from .rules import CALLBACK_ANSWER_LIMIT, CHAT_ACTIONS, QUERY_TOO_OLD, media_kind
from .state import TelegramState

#: The Bot API methods handled here.
METHODS = (
    "sendMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "deleteMessages",
    "copyMessage",
    "forwardMessage",
    "answerCallbackQuery",
    "sendChatAction",
)


class MessageMethods(TelegramState):
    """Texts, edits, deletes, copies and forwards; button answers and chat actions."""

    def _m_send_message(self, params: JSON) -> JSON:
        chat = self._chat(params)
        text, entities = self._text(params)
        markup = self._markup(params.get("reply_markup"))
        return self._new_bot_message(chat, params, {"text": text, "entities": entities}, markup)

    # ------------------------------------------------------------------ edits

    def _m_edit_message_text(self, params: JSON) -> JSON:
        stored = self._own_message(params, "message to edit not found")
        if "text" not in stored.message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text(params)
        # Telegram drops the inline keyboard when an edit does not repeat it.
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        return self._apply_edit(
            stored,
            {"text": text, "entities": entities, "reply_markup": markup[1] if markup else None},
        )

    def _m_edit_message_caption(self, params: JSON) -> JSON:
        stored = self._own_message(params, "message to edit not found")
        if media_kind(stored.message) is None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        return self._apply_edit(
            stored,
            {
                "caption": caption,
                "caption_entities": entities,
                "reply_markup": markup[1] if markup else None,
            },
        )

    def _m_edit_message_reply_markup(self, params: JSON) -> JSON:
        stored = self._own_message(params, "message to edit not found")
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        return self._apply_edit(stored, {"reply_markup": markup[1] if markup else None})

    # ------------------------------------------------------------------ deletes

    def _m_delete_message(self, params: JSON) -> bool:
        chat = self._chat(params)
        if not self._delete(chat, params.get("message_id")):
            raise bad_request("message to delete not found")
        return True

    def _m_delete_messages(self, params: JSON) -> bool:
        chat = self._chat(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 identifiers")
        for mid in ids:
            self._delete(chat, mid)
        return True

    # ------------------------------------------------------------------ copies and forwards

    def _source_message(self, params: JSON) -> JSON:
        source_chat = self._chat(params, "from_chat_id")
        mid = params.get("message_id")
        stored = None if mid is None else self._messages.get((source_chat["id"], mid))
        if stored is None or stored.deleted:
            raise bad_request("message to copy not found")
        return stored.message

    def _m_copy_message(self, params: JSON) -> JSON:
        chat = self._chat(params)
        source = self._source_message(params)
        content = {
            k: copy.deepcopy(v)
            for k, v in source.items()
            if k in ("text", "entities", "caption", "caption_entities", "contact")
            or k in ("photo", "document", "video", "audio", "voice")
        }
        if "caption" in params:
            caption, entities = self._caption(params)
            content.update(caption=caption, caption_entities=entities)
        markup = self._markup(params.get("reply_markup"))
        message = self._new_bot_message(chat, params, content, markup)
        return {"message_id": message["message_id"]}

    def _m_forward_message(self, params: JSON) -> JSON:
        chat = self._chat(params)
        source = self._source_message(params)
        content = {
            k: copy.deepcopy(v)
            for k, v in source.items()
            if k not in ("message_id", "from", "chat", "date", "reply_to_message", "reply_markup")
        }
        sender = source.get("from")
        if sender is not None:
            content["forward_origin"] = {
                "type": "user",
                "sender_user": sender,
                "date": source["date"],
            }
        return self._new_bot_message(chat, params, content, None)

    # ------------------------------------------------------------------ button answers, actions

    def _m_answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        query = self._queries.get(query_id)
        if (
            query is None
            or query.answer is not None
            or time.monotonic() - query.created > self.callback_query_ttl
        ):
            raise bad_request(QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = dict(params)
        self.answers.append(dict(params))
        return True

    def _m_send_chat_action(self, params: JSON) -> bool:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True
