"""Mechanisms every cxloop service shares. Never a table, schema or rule of one service."""
