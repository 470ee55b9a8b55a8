"""Services: plain functions taking a ``Session`` first. They validate, change and raise typed
errors; they never commit (the caller owns the transaction)."""
