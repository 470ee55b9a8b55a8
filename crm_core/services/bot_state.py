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
    """Store ``value`` (JSON-serialisable), or delete the key when it is ``None``."""
    if value is None:
        session.execute(
            delete(BotState).where(BotState.namespace == namespace, BotState.key == key)
        )
        return
    session.merge(BotState(namespace=namespace, key=key, data=json.dumps(value, default=str)))
