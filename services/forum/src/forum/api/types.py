"""Request string types. PostgreSQL text cannot hold NUL characters, so they are refused at the
edge (422) rather than failing in the database."""

from typing import Annotated

from fastapi import Query
from pydantic import StringConstraints

NO_NUL = r"^[^\x00]*$"

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)]
Body = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000, pattern=NO_NUL)
]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=NO_NUL)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=NO_NUL)]

LabelQuery = Annotated[str | None, Query(max_length=64, pattern=NO_NUL)]
SearchQuery = Annotated[
    str | None, Query(max_length=200, pattern=NO_NUL, description="Chinese full-text search")
]
