"""Engines that read sources and execute statements: embedded DuckDB (the local runner,
plan choice and source descriptions)."""
