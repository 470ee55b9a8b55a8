"""A local, rule-enforcing stand-in for the Telegram Bot API.

One implementation serves the end-to-end tests, the benchmarks and the sandbox (``make run``
without a token: the real bot talks to it over HTTP and a person uses it from a browser chat
page). It knows nothing of the CRM: the bot talks to it exactly as to Telegram.

Typical use in a test::

    async with BotApiDouble() as double:
        phone = double.phone(user_id=111, first_name="Alice")
        async with running(build_my_app(double), double=double):
            await phone.send("/start")
            reply = await phone.wait_reply()
            await phone.click(reply, "Clients")
"""

from .html import EntityParseError, parse_entities, parse_html, parse_markdown_v2, utf16_len
from .ptb import BotHandlerErrors, RunningApp, build_app, build_echo_app, running
from .server import (
    ApiError,
    ApiFailure,
    ApiRequest,
    BotApiDouble,
    BotEvent,
    Phone,
    SentFile,
    StoredFile,
    Upload,
    button_data,
    buttons,
    command_entities,
    keyboard,
)

__all__ = [
    "ApiError",
    "ApiFailure",
    "ApiRequest",
    "BotApiDouble",
    "BotEvent",
    "BotHandlerErrors",
    "EntityParseError",
    "Phone",
    "RunningApp",
    "SentFile",
    "StoredFile",
    "Upload",
    "build_app",
    "build_echo_app",
    "button_data",
    "buttons",
    "command_entities",
    "keyboard",
    "parse_entities",
    "parse_html",
    "parse_markdown_v2",
    "running",
    "utf16_len",
]
