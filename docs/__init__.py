"""Documentation made by code (``python -m docs.screens``: the README's screenshots)."""
