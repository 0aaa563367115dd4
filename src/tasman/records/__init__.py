"""Imported records (order lists, chat logs, tips, transfers) mapped onto one field vocabulary."""
