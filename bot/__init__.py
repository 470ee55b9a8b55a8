"""The Telegram front end of V3 CRM: a thin layer over crm_core."""
