"""Request string types: servicekit's Text (no NUL, which PostgreSQL cannot store, and no
XML-illegal control characters), refused at the edge (422) rather than failing in the database."""

from typing import Annotated

from fastapi import Query
from pydantic import StringConstraints

from servicekit.text import Text

Title = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Short = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Label = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

LabelQuery = Annotated[Text | None, Query(max_length=64)]
SearchQuery = Annotated[Text | None, Query(max_length=200, description="Chinese full-text search")]
