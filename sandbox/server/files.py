"""Files: how the double stores what the phone sends and the bot uploads, hands out file ids
and paths, and checks an input file (an upload or a file id) as Telegram does."""

from __future__ import annotations

import copy
import mimetypes
import secrets
from typing import Any

from .records import JSON, ApiError, StoredFile, Upload, bad_request
from .rules import PHOTO_UPLOAD_LIMIT, UPLOAD_LIMIT, WRONG_FILE_ID, looks_like_image
from .state import TelegramState


class FileStore(TelegramState):
    """Stored files and the checks of a method's input file."""

    def _new_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        extension: str | None = None,
    ) -> StoredFile:
        self._file_counter += 1
        folder, default_ext = {
            "photo": ("photos", ".jpg"),
            "document": ("documents", ""),
            "video": ("videos", ".mp4"),
            "audio": ("music", ".mp3"),
            "voice": ("voice", ".oga"),
        }[kind]
        ext = extension
        if ext is None:
            ext = (
                ("." + file_name.rsplit(".", 1)[1].lower())
                if file_name and "." in file_name
                else default_ext
            )
        prefix = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "audio": "CQAC"}.get(
            kind, "AwAC"
        )
        stored = StoredFile(
            file_id=prefix + secrets.token_urlsafe(36),
            file_unique_id="AgAD" + secrets.token_urlsafe(9),
            kind=kind,
            data=bytes(data),
            file_path=f"{folder}/file_{self._file_counter}{ext}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _new_photo(self, data: bytes) -> list[JSON]:
        """PhotoSize list: two generated thumbnails and the full-size photo holding ``data``."""
        size = len(data)
        dims = [(90, 60), (320, 213), (1280, 853)]
        payloads = [
            data[: max(1, size // 16)] if size > 2 else data,
            data[: max(1, size // 4)] if size > 2 else data,
            data,
        ]
        sizes: list[JSON] = []
        files: list[StoredFile] = []
        for (width, height), payload in zip(dims, payloads, strict=True):
            stored = self._new_file("photo", payload, mime_type="image/jpeg")
            files.append(stored)
            sizes.append({**stored.base(), "width": width, "height": height})
        for stored in files:
            stored.photo_sizes = sizes
        return copy.deepcopy(sizes)

    def _input_file(self, params: JSON, kind: str) -> StoredFile:
        value = params.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(value, Upload):
            data = value.data
            if not data:
                raise bad_request("file must be non-empty")
            if len(data) > UPLOAD_LIMIT:
                raise ApiError("Request Entity Too Large", 413)
            if kind == "photo":
                if len(data) > PHOTO_UPLOAD_LIMIT:
                    raise bad_request("PHOTO_SAVE_FILE_INVALID (photos are limited to 10 MB)")
                if not looks_like_image(data):
                    raise bad_request("IMAGE_PROCESS_FAILED")
                sizes = self._new_photo(data)
                return self._files[sizes[-1]["file_id"]]
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename or "")[0] or mime
            default_mime = {"video": "video/mp4", "audio": "audio/mpeg", "voice": "audio/ogg"}
            return self._new_file(
                kind,
                data,
                file_name=value.filename if kind != "voice" else None,
                mime_type=mime or default_mime.get(kind, "application/octet-stream"),
            )
        if not isinstance(value, str):
            raise bad_request(WRONG_FILE_ID)
        if value.startswith(("http://", "https://")):
            raise bad_request(
                "failed to get HTTP URL content (the double cannot fetch URLs; upload the bytes)"
            )
        stored = self._files.get(value)
        if stored is None:
            raise bad_request(WRONG_FILE_ID)
        if (stored.kind == "photo") != (kind == "photo"):
            raise bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return stored

    @staticmethod
    def _media_object(kind: str, stored: StoredFile, params: JSON) -> Any:
        if kind == "photo":
            return copy.deepcopy(stored.photo_sizes)
        obj = stored.base()
        if kind in ("document", "video", "audio") and stored.file_name:
            obj["file_name"] = stored.file_name
        if stored.mime_type:
            obj["mime_type"] = stored.mime_type
        if kind in ("video", "audio", "voice"):
            obj["duration"] = params.get("duration") or 1
        if kind == "video":
            obj["width"] = params.get("width") or 640
            obj["height"] = params.get("height") or 360
        if kind == "audio":
            for key in ("performer", "title"):
                if params.get(key):
                    obj[key] = params[key]
        return obj
