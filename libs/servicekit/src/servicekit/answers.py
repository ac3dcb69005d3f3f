"""Response models that describe a use case's JSON without changing a byte of it.

The use cases build their answers as JSON-ready dicts; a route names one of these models as its
`response_model` so /openapi.json (and the gateway's merged document) carries a typed 2xx schema a
client can be generated from. FastAPI validates the answer against the model (a drifting shape is
caught by the tests as a 500) and serializes it back; `Out` makes that round trip the identity:

- the keys come out in the order the use case wrote them, nested models included;
- a field the use case left out stays out (no `null` appears that was not there before);
- a field the model does not list passes through (`extra="allow"`);
- ids and times are the strings the use case (or `jsonable_encoder`) wrote, with their format
  noted (`Id`, `Timestamp`), and a number stays an int or a float as computed (`Number`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)

__all__ = ["Id", "Number", "Out", "PersonOut", "Timestamp"]

Id = Annotated[str, Field(json_schema_extra={"format": "uuid"})]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
# A float field would turn a computed 3 into 3.0; an int | float union keeps what was computed.
Number = int | float


class Out(BaseModel):
    """Base of every response model (see the module docstring)."""

    model_config = ConfigDict(extra="allow")
    _keys: tuple[str, ...] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_keys(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(data, dict) and isinstance(model, Out):
            model._keys = tuple(data)
        return model

    # No return annotation on purpose: with one, pydantic would describe the serialized model by
    # that type (`dict` -> an untyped object) instead of by its fields.
    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        dumped = handler(self)
        if self._keys is None or not isinstance(dumped, dict):
            return dumped
        return {key: dumped[key] for key in self._keys if key in dumped}


class PersonOut(Out):
    """Someone an answer names, beside their id (servicekit.people): `author_id` gets
    `author: {id, display_name}`; null when the id is hidden."""

    id: Id
    display_name: str | None = None
