"""The derived-expression language: one table of functions (:mod:`fsql.expr.functions`), and
the walks that dispatch through it: parsing and normalizing, typing, and evaluating in Python
(its SQL translation lives in :mod:`fsql.sql.expressions`)."""
