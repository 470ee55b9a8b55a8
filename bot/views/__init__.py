"""Pure renderers: domain objects in, HTML text and keyboards out. No Telegram I/O here."""
