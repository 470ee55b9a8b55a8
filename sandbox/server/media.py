"""Method handlers for media: send a document, photo, video, audio or voice message, an album,
and getFile (the bot downloads a file)."""

from __future__ import annotations

import secrets

from .files import FileStore
from .records import JSON, bad_request
from .rules import DOWNLOAD_LIMIT

#: The Bot API methods handled here.
METHODS = (
    "sendDocument",
    "sendPhoto",
    "sendVideo",
    "sendAudio",
    "sendVoice",
    "sendMediaGroup",
    "getFile",
)


class MediaMethods(FileStore):
    """Media messages and file downloads."""

    def _send_media(self, params: JSON, kind: str) -> JSON:
        chat = self._chat(params)
        stored = self._input_file(params, kind)
        caption, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        content = {
            kind: self._media_object(kind, stored, params),
            "caption": caption,
            "caption_entities": entities,
        }
        return self._new_bot_message(chat, params, content, markup)

    def _m_send_document(self, params: JSON) -> JSON:
        return self._send_media(params, "document")

    def _m_send_photo(self, params: JSON) -> JSON:
        return self._send_media(params, "photo")

    def _m_send_video(self, params: JSON) -> JSON:
        return self._send_media(params, "video")

    def _m_send_audio(self, params: JSON) -> JSON:
        return self._send_media(params, "audio")

    def _m_send_voice(self, params: JSON) -> JSON:
        return self._send_media(params, "voice")

    def _m_send_media_group(self, params: JSON) -> list[JSON]:
        chat = self._chat(params)
        media = params.get("media")
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise bad_request("can't parse media JSON array")
        if len(media) < 2:
            raise bad_request("Too few messages to send as an album (2-10 media are needed)")
        if len(media) > 10:
            raise bad_request("Too many messages to send as an album")
        kinds = [m.get("type") for m in media]
        if any(k not in ("photo", "video", "document", "audio") for k in kinds):
            raise bad_request(f"unsupported media type in the album: {kinds}")
        for alone in ("document", "audio"):
            if alone in kinds and any(k != alone for k in kinds):
                raise bad_request(f"{alone}s can't be mixed with other media types in an album")
        prepared = []
        for item in media:
            kind = item["type"]
            stored = self._input_file({**params, kind: item.get("media")}, kind)
            caption, entities = self._caption(item)
            prepared.append((kind, stored, caption, entities))
        group_id = str(secrets.randbits(60))
        messages = []
        for index, (kind, stored, caption, entities) in enumerate(prepared):
            content = {
                kind: self._media_object(kind, stored, {}),
                "media_group_id": group_id,
                "caption": caption,
                "caption_entities": entities,
            }
            # only the first message carries the reply
            item_params = params if index == 0 else {}
            messages.append(self._new_bot_message(chat, item_params, content, None))
        return messages

    def _m_get_file(self, params: JSON) -> JSON:
        file_id = params.get("file_id")
        stored = self._files.get(file_id) if isinstance(file_id, str) else None
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {**stored.base(), "file_path": stored.file_path}
