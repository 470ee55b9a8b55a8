"""Method handlers for the bot itself and its chats: getMe, the command list, descriptions, the
menu button, getChat."""

from __future__ import annotations

import copy
import json
import re

from .records import JSON, bad_request
from .state import TelegramState

#: The Bot API methods handled here.
METHODS = (
    "getMe",
    "logOut",
    "close",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setMyDescription",
    "setMyShortDescription",
    "setChatMenuButton",
    "getChatMenuButton",
    "getChat",
)


class BotProfile(TelegramState):
    """The bot's identity, commands, descriptions and menu button."""

    def _m_get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _m_log_out(self, params: JSON) -> bool:
        return True

    def _m_close(self, params: JSON) -> bool:
        return True

    # ------------------------------------------------------------------ commands

    @property
    def commands(self) -> list[JSON]:
        """The command list of the last setMyCommands call (any scope)."""
        return copy.deepcopy(self._last_commands)

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return copy.deepcopy(self.my_commands.get(key, []))

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _m_set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON array")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH (at most 100 commands)")
        normalized = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name.lstrip("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            normalized.append({"command": name.lstrip("/"), "description": description})
        self.my_commands[self._commands_key(params)] = normalized
        self._last_commands = normalized
        return True

    def _m_get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self.my_commands.get(self._commands_key(params), []))

    def _m_delete_my_commands(self, params: JSON) -> bool:
        self.my_commands.pop(self._commands_key(params), None)
        return True

    def _m_set_my_description(self, params: JSON) -> bool:
        self.my_descriptions["description"] = str(params.get("description") or "")
        return True

    def _m_set_my_short_description(self, params: JSON) -> bool:
        self.my_descriptions["short_description"] = str(params.get("short_description") or "")
        return True

    # ------------------------------------------------------------------ menu button and chats

    def menu_button(self, chat_id: int | None = None) -> JSON:
        """The chat's menu button (its own, else the default one, else the command list)."""
        found = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return copy.deepcopy(found or {"type": "commands"})

    def _m_set_chat_menu_button(self, params: JSON) -> bool:
        chat_id = self._chat(params)["id"] if params.get("chat_id") is not None else None
        button = params.get("menu_button") or {"type": "default"}
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in ("default", "commands", "web_app"):
            raise bad_request("can't parse menu button JSON object")
        if kind == "web_app":
            if not str(button.get("text") or "").strip():
                raise bad_request("BUTTON_TEXT_EMPTY: menu button text is empty")
            if not self.web_app_url_ok(button.get("web_app")):
                raise bad_request("BUTTON_URL_INVALID: the Web App URL must be HTTPS")
        if kind == "default":
            self._menu_buttons.pop(chat_id, None)
        else:
            self._menu_buttons[chat_id] = dict(button)
        return True

    def _m_get_chat_menu_button(self, params: JSON) -> JSON:
        if params.get("chat_id") is None:
            return self.menu_button()
        return self.menu_button(self._chat(params)["id"])

    def _m_get_chat(self, params: JSON) -> JSON:
        chat = copy.deepcopy(self._chat(params))
        chat.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                },
            }
        )
        return chat
