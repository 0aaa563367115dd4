"""Identifier extraction: typed identifiers (``identifiers``) found in evidence and records,
stored as observations (``models.Observation``) with where they were found."""
