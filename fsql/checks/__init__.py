"""Checks for a feature repository's CI: golden SQL files (``fsql golden update|check``,
:mod:`fsql.checks.golden`) and validation of every definition and request
(``fsql validate``, :mod:`fsql.checks.validate`)."""
