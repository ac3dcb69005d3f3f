"""The base of every request body: unknown fields are refused (422, OWASP API3). Text fields are
servicekit.text.Text (no NUL, no XML-illegal control characters); this base checks any string
field again, so a field declared as a plain str cannot let them through."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from servicekit.text import check_text


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return check_text(value) if isinstance(value, str) else value
