"""SQL generation: dialect settings (``dialects/*.toml``), tree builders, one module per
strategy or plan, and rendering that refuses anything sqlglot cannot express."""
