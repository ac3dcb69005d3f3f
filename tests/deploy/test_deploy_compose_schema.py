"""docker-compose.yml against the official Compose Specification JSON schema.

compose-spec.json beside this file is vendored byte for byte from
    repository: https://github.com/compose-spec/compose-spec
    path:       schema/compose-spec.json
    commit:     b2835e8acc1e42e7aecbc27a9bc4a1fc66ef21ba
Its `$schema` line names draft 2019-09, but it uses only keywords draft-07 already has (plus
the draft-04 style `id`, which draft-07 ignores), so it is checked with jsonschema's
Draft7Validator.
To update: replace the file with a newer schema/compose-spec.json and change the commit above.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
SCHEMA_SOURCE = ("compose-spec/compose-spec", "b2835e8acc1e42e7aecbc27a9bc4a1fc66ef21ba")


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def _errors(validator: Draft7Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    ]


def test_vendored_schema_is_the_compose_specification() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    assert {"service", "healthcheck", "secret", "volume", "network"} <= set(schema["definitions"])


def test_compose_file_is_valid_as_written(validator: Draft7Validator, compose_raw: dict[str, Any]) -> None:
    assert _errors(validator, compose_raw) == []


def test_compose_file_is_valid_after_interpolation(
    validator: Draft7Validator, compose: dict[str, Any]
) -> None:
    assert _errors(validator, compose) == []


def test_interpolation_is_well_formed_and_every_variable_has_a_default(compose_interpolation) -> None:
    assert compose_interpolation.problems == []
    assert compose_interpolation.variables, "expected ${VAR:-example} interpolation in docker-compose.yml"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda doc: doc["services"]["errand"].update(bogus_key=1), "bogus_key"),
        (
            lambda doc: doc["services"]["gateway"]["depends_on"]["errand"].update(condition="healthy"),
            "healthy",
        ),
        (lambda doc: doc["services"]["postgres"]["healthcheck"].update(interval=5), "5"),
        (lambda doc: doc.update(volume={}), "volume"),
    ],
    ids=["unknown-service-key", "bad-depends-on-condition", "non-string-interval", "unknown-top-level-key"],
)
def test_schema_catches_broken_compose_files(
    validator: Draft7Validator, compose_raw: dict[str, Any], mutate, expected: str
) -> None:
    # The schema check above is only worth something if it can fail.
    broken = copy.deepcopy(compose_raw)
    mutate(broken)
    errors = _errors(validator, broken)
    assert errors, "the schema accepted a broken compose file"
    assert any(expected in error for error in errors), errors
