"""The /dashboard figures."""

from __future__ import annotations

from bot.views.common import money
from crm_core.services.dashboard import Dashboard


def render_dashboard(mine: Dashboard, team: Dashboard) -> str:
    def block(title: str, d: Dashboard) -> str:
        return (
            f"<b>{title}</b>\n"
            f"Follow-ups today: {d.due_today}\n"
            f"Overdue: {d.overdue}\n"
            f"Quotes pending: {d.quotes_pending}\n"
            f"Potential revenue: {money(d.potential_revenue)}"
        )

    return block("Mine", mine) + "\n\n" + block("Team", team)
