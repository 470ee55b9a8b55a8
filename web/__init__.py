"""The HTTP front end: one aiohttp server (Telegram's webhook, the Mini App page, its JSON API
signed with Telegram's init data, /healthz). Thin, like bot/: every call goes to crm_core."""
