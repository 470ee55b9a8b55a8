"""The phone's media: photos, documents, videos, audio and voice messages, and forwards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .phone_base import PhoneBase
from .records import JSON, now


class PhoneMedia(PhoneBase):
    """Sending files, as a Telegram client does."""

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        media_group_id: str | None = None,
    ) -> JSON:
        """A photo: three PhotoSize entries, the largest holding ``data``."""
        sizes = self.double._new_photo(data)
        message = self._message(
            reply_to, photo=sizes, media_group_id=media_group_id, **self._caption(caption)
        )
        return await self._emit({"message": message})

    async def _send_file(
        self,
        kind: str,
        data: bytes,
        obj: JSON,
        *,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
        reply_to: Mapping[str, Any] | int | None,
        media_group_id: str | None,
    ) -> JSON:
        stored = self.double._new_file(kind, data, file_name=file_name, mime_type=mime_type)
        media = {**stored.base(), **obj}
        if file_name and kind != "voice":
            media["file_name"] = file_name
        if mime_type:
            media["mime_type"] = mime_type
        message = self._message(
            reply_to, media_group_id=media_group_id, **{kind: media}, **self._caption(caption)
        )
        return await self._emit({"message": message})

    async def send_document(
        self,
        data: bytes,
        file_name: str = "file.bin",
        mime_type: str | None = "application/octet-stream",
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        media_group_id: str | None = None,
    ) -> JSON:
        return await self._send_file(
            "document",
            data,
            {},
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
            media_group_id=media_group_id,
        )

    async def send_video(
        self,
        data: bytes,
        file_name: str = "video.mp4",
        mime_type: str = "video/mp4",
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        media_group_id: str | None = None,
        *,
        duration: int = 1,
        width: int = 640,
        height: int = 360,
    ) -> JSON:
        return await self._send_file(
            "video",
            data,
            {"duration": duration, "width": width, "height": height},
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
            media_group_id=media_group_id,
        )

    async def send_audio(
        self,
        data: bytes,
        file_name: str = "audio.mp3",
        mime_type: str = "audio/mpeg",
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        media_group_id: str | None = None,
        *,
        duration: int = 1,
        performer: str | None = None,
        title: str | None = None,
    ) -> JSON:
        extra: JSON = {"duration": duration}
        if performer:
            extra["performer"] = performer
        if title:
            extra["title"] = title
        return await self._send_file(
            "audio",
            data,
            extra,
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
            media_group_id=media_group_id,
        )

    async def send_voice(
        self,
        data: bytes,
        caption: str | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
        *,
        duration: int = 1,
        mime_type: str = "audio/ogg",
    ) -> JSON:
        return await self._send_file(
            "voice",
            data,
            {"duration": duration},
            file_name=None,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
            media_group_id=None,
        )

    async def forward(
        self,
        text: str | None = None,
        *,
        photo: bytes | None = None,
        caption: str | None = None,
        from_user: Mapping[str, Any] | None = None,
        sender_name: str | None = None,
        date: int | None = None,
        reply_to: Mapping[str, Any] | int | None = None,
    ) -> JSON:
        """A message forwarded from another chat: a text, or a photo (with its caption).

        ``forward_origin`` is a MessageOriginUser (``sender_user``: ``from_user``) or, with
        ``sender_name``, a MessageOriginHiddenUser (only ``sender_user_name``: the sender hides
        their account in forwards).
        """
        if (text is None) == (photo is None):
            raise AssertionError("forward a text or a photo")
        origin: JSON
        if sender_name is not None:
            origin = {"type": "hidden_user", "sender_user_name": sender_name}
        else:
            sender = dict(from_user or {"id": 999, "is_bot": False, "first_name": "Someone"})
            origin = {"type": "user", "sender_user": sender}
        origin["date"] = date if date is not None else now() - 3600
        content: JSON = (
            {"text": text}
            if text is not None
            else {"photo": self.double._new_photo(photo or b""), **self._caption(caption)}
        )
        message = self._message(reply_to, forward_origin=origin, **content)
        return await self._emit({"message": message})
