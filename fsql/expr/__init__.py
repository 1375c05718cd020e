"""The derived-expression language: parsing and normalizing, typing, and evaluating in
Python (its SQL translation lives in :mod:`fsql.sql.expressions`)."""
