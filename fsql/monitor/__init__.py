"""Monitoring compiled to SQL: feature statistics per dialect (docs/monitoring.md)."""
