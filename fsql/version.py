"""The version of fsql (one place: the package, pyproject.toml and the SQL header read it)."""

__version__ = "0.2.0"
