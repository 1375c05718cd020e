"""dbt projects from fsql's definitions: sources, incremental latest tables, training sets."""
