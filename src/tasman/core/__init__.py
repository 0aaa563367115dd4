"""Shared core: configuration, database, models every stage uses, errors and the audit chain."""
