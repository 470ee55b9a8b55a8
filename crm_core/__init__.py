"""V3 CRM core: models, services, storage and rules. Knows nothing of Telegram."""
