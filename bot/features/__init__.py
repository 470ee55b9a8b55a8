"""Stateless features: each module exports ``handlers()`` for the composition root."""
