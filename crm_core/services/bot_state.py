"""Key/value rows a front end keeps its state in (JSON text)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm_core.models import BotState


def load_namespace(session: Session, namespace: str, prefix: str = "") -> dict[str, Any]:
    """The rows of ``namespace`` whose keys start with ``prefix`` (all by default)."""
    rows = session.execute(
        select(BotState.key, BotState.data).where(
            BotState.namespace == namespace, BotState.key.startswith(prefix, autoescape=True)
        )
    )
    return {key: json.loads(data) for key, data in rows}


def save_state(session: Session, namespace: str, key: str, value: Any) -> None:
    """Store ``value`` (as ``to_json`` writes it), or delete the key when it is ``None``."""
    if value is None:
        session.execute(
            delete(BotState).where(BotState.namespace == namespace, BotState.key == key)
        )
        return
    session.merge(BotState(namespace=namespace, key=key, data=to_json(value)))


def to_json(value: Any) -> str:
    """The text a value is stored as. Typed state with a ``to_dict`` (the bot's pending files)
    is stored as that dict, and turned back into its type by its owner when read."""
    return json.dumps(value, default=_plain)


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else str(value)
