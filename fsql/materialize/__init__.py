"""Materialization: latest tables per view kept fresh by MERGE statements compiled from the
same point-in-time plan as training sets (docs/materialization.md)."""
