"""Declarative per-warehouse settings (one TOML file per dialect), read by ``fsql.sql.dialect``."""
