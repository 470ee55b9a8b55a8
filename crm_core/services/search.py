"""Search: every word typed, in any order, over name, email, company and phone digits."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, case, column, or_, select, table
from sqlalchemy.orm import Session

from crm_core.models import SQLITE_SEARCH_INDEX, Contact
from crm_core.services.contacts import live
from crm_core.services.listing import ContactFilter, filter_conditions

SEARCH_LIMIT = 20
#: Words of a search that must all match (the rest of a longer text is ignored).
SEARCH_WORDS = 8


def search_contacts(
    session: Session,
    text: str,
    *,
    limit: int = SEARCH_LIMIT,
    within: tuple[ContactFilter, int] | None = None,
) -> list[Contact]:
    """Case-insensitive search over name, email, company and phone digits: a contact matches
    when it holds every word typed, in any order ("patel leeds" finds Priya Patel of Leeds
    Lettings); a phone number matches as typed or as its digits. Exact name first, then names
    starting with the text, then a word starting with it, then the rest by name.
    ``within`` (a list filter and the acting admin's id) narrows the matches to that list."""
    query = " ".join(text.casefold().split())
    if not query:
        return []
    name = Contact.name_key
    # Ordered by its label, so the database works the CASE out once a row, not twice (with
    # bound parameters SQLite can't tell the ORDER BY copy is the same expression).
    rank = case(
        (name == query, 0),
        (name.like(_escape(query) + "%", escape="\\"), 1),
        (name.like("% " + _escape(query) + "%", escape="\\"), 2),
        else_=3,
    ).label("rank")
    matches = matching(session, query)
    # Rank on the ids first; only the page of winners is loaded (with its owner).
    scope = filter_conditions(*within) if within is not None else [live()]
    ranked = (
        select(Contact.id, rank)
        .where(*scope, matches)
        .order_by(rank, Contact.name_key, Contact.id)
        .limit(limit)
        .subquery()
    )
    stmt = (
        select(Contact)
        .join(ranked, Contact.id == ranked.c.id)
        .order_by(ranked.c.rank, Contact.name_key, Contact.id)
    )
    return list(session.scalars(stmt))


def matching(session: Session, query: str) -> Any:
    """The condition of search's word matching, for a casefolded, non-empty ``query``: every
    word typed is in the search text (in any order); a phone number as typed or as digits."""
    digits = re.sub(r"[\s()+-]", "", query)
    # Either group matches: all of its needles are in the search text.
    if digits.isdigit():
        groups = [[query], [digits]] if digits != query else [[query]]
    else:
        # Each distinct word once, and no more than a sane number: a pasted letter still gets
        # an answer, not a statement too deep for the database.
        groups = [list(dict.fromkeys(query.split(" ")))[:SEARCH_WORDS]]
    matches: Any = or_(
        *(
            and_(*(Contact.search_text.like(f"%{_escape(n)}%", escape="\\") for n in group))
            for group in groups
        )
    )
    if session.get_bind().dialect.name == "sqlite":
        matches = Contact.id.in_(_sqlite_matching_ids(groups, matches))
    return matches


def _escape(needle: str) -> str:
    """LIKE's wildcards taken literally."""
    return needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_SQLITE_FTS = table(SQLITE_SEARCH_INDEX, column("rowid"), column("search_text"))


def _sqlite_matching_ids(groups: list[list[str]], like: Any) -> Any:
    """The ids whose search text holds every needle of a group, on SQLite (PostgreSQL's
    trigram index serves the LIKEs directly). The FTS5 trigram index answers when every needle
    has three characters or more; otherwise the narrow search_text index is scanned alone, and
    only the rows that matched are read."""
    if all(len(n) >= 3 for group in groups for n in group):
        # A quoted phrase per needle: with trigram tokens a phrase matches as a substring.
        expression = " OR ".join(
            "(" + " AND ".join('"' + n.replace('"', '""') + '"' for n in group) + ")"
            for group in groups
        )
        return select(_SQLITE_FTS.c.rowid).where(_SQLITE_FTS.c.search_text.match(expression))
    return select(Contact.id).where(like)
