"""/settings: the digest settings screen and its menus (time, timezone, days), as pure text and
keyboards."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.actions import SETTINGS, SETTINGS_ASK, SETTINGS_VALUE
from bot.callbacks import Cb
from bot.views.common import button, esc, keyboard
from bot.views.digest import Message, hhmm
from crm_core.schedule import DAY_PRESETS, days_label
from crm_core.services.preferences import COMMON_TIMEZONES, DigestPreferences

# Callback actions (the codec allows [a-z0-9_]{1,12}).

DIGEST_TIMES: tuple[time, ...] = tuple(time(h, m) for h in range(7, 11) for m in (0, 30))[:-1]


def render_settings(prefs: DigestPreferences, next_at: datetime | None) -> Message:
    default = " (company default)"
    lines = [
        "⚙️ <b>Your digest settings</b>",
        f"Time: <b>{hhmm(prefs.digest_time)}</b>{'' if prefs.own_time else default}",
        f"Timezone: <b>{esc(prefs.timezone)}</b>{'' if prefs.own_timezone else default}",
        f"Days: <b>{days_label(prefs.days)}</b>",
        "Empty days: "
        + ("a short “Nothing due today” line" if prefs.send_empty else "no message"),
    ]
    if next_at is not None:
        local = next_at.astimezone(ZoneInfo(prefs.timezone))
        lines.append(f"\nNext digest: {local:%a %d %b at %H:%M}.")
    else:
        lines.append("\nNo digest days are set.")
    rows = [
        [button(f"⏰ Time: {hhmm(prefs.digest_time)}", Cb(SETTINGS, 0, "time"))],
        [button(f"🌍 Timezone: {prefs.timezone}", Cb(SETTINGS, 0, "tz"))],
        [button(f"📆 Days: {days_label(prefs.days)}", Cb(SETTINGS, 0, "days"))],
        [
            button(
                "🔔 Empty days: on" if prefs.send_empty else "🔕 Empty days: off",
                Cb(SETTINGS_VALUE, 0, f"e:{0 if prefs.send_empty else 1}"),
            )
        ],
    ]
    return "\n".join(lines), keyboard(rows)


def _mark(selected: bool, label: str) -> str:
    return f"✅ {label}" if selected else label


def time_menu(current: time) -> Message:
    buttons = [
        button(_mark(t == current, hhmm(t)), Cb(SETTINGS_VALUE, 0, f"t:{t:%H%M}"))
        for t in DIGEST_TIMES
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append(
        [
            button("⌨️ Type a time", Cb(SETTINGS_ASK, 0, "time")),
            button("« Back", Cb(SETTINGS, 0, "home")),
        ]
    )
    return "⏰ <b>Digest time</b> — tap one, or type any time as HH:MM.", keyboard(rows)


def timezone_menu(current: str) -> Message:
    buttons = [
        button(_mark(z == current, z), Cb(SETTINGS_VALUE, 0, f"z:{z}")) for z in COMMON_TIMEZONES
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [
            button("⌨️ Type another", Cb(SETTINGS_ASK, 0, "tz")),
            button("« Back", Cb(SETTINGS, 0, "home")),
        ]
    )
    return (
        "🌍 <b>Timezone</b> — tap one, or type any IANA name (e.g. Asia/Singapore).",
        keyboard(rows),
    )


def days_menu(current: int) -> Message:
    rows = [
        [button(_mark(mask == current, label), Cb(SETTINGS_VALUE, 0, f"d:{key}"))]
        for key, (mask, label) in DAY_PRESETS.items()
    ]
    rows.append([button("« Back", Cb(SETTINGS, 0, "home"))])
    return "📆 <b>Digest days</b>", keyboard(rows)


def ask_time_text(problem: str = "") -> str:
    lead = f"⚠️ {esc(problem)}\n\n" if problem else ""
    return lead + "Send the digest time as HH:MM (24-hour), e.g. 07:45. /cancel to leave."


def ask_timezone_text(problem: str = "") -> str:
    lead = f"⚠️ {esc(problem)}\n\n" if problem else ""
    return lead + "Send your timezone, e.g. Europe/Paris or America/New_York. /cancel to leave."
