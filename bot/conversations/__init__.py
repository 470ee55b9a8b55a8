"""One conversation per module; each exports ``conversation()`` for the composition root."""
