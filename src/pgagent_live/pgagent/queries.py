"""Named SQL read from the ``sql/`` folder, one file a query."""

from functools import cache
from importlib import resources


@cache
def query(name: str) -> str:
    """The text of ``sql/NAME.sql``: shipped with the package, never built from input."""
    return resources.files(__package__).joinpath("sql", f"{name}.sql").read_text("utf-8")
