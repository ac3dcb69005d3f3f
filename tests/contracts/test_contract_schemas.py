"""The JSON schemas of the envelope and of every event payload are pinned by committed snapshots.

A failing test here means a contract changed. If the change is deliberate (and consumers are
ready for it, or it is a new `.vN` model), rewrite the snapshots explicitly:

    UPDATE_SNAPSHOTS=1 uv run pytest tests/contracts -q

and commit the files in tests/contracts/snapshots/ with the change.
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from contracts import EVENT_MODELS, Envelope

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
ENVELOPE_SNAPSHOT = "envelope"

# Adding or removing an event is a deliberate act: change this list, docs/contract.md §Events and the
# snapshots together.
EXPECTED_EVENT_TYPES = {
    "gateway.community.created.v1",
    "errand.order.recipient_code.v1",
    "gateway.user.registered.v1",
    "gateway.user.profile_changed.v1",
    "gateway.role.granted.v1",
    "gateway.role.revoked.v1",
    "gateway.household.verified.v1",
    "gateway.user.deleted.v1",
    "errand.order.created.v1",
    "errand.order.accepted.v1",
    "errand.order.picked_up.v1",
    "errand.order.delivered.v1",
    "errand.order.completed.v1",
    "errand.order.cancelled.v1",
    "errand.order.expired.v1",
    "errand.order.settled.v1",
    "payments.payment.succeeded.v1",
    "payments.payment.failed.v1",
    "payments.refund.succeeded.v1",
    "reports.report.submitted.v1",
    "reports.report.status_changed.v1",
    "reports.report.overdue.v1",
    "reports.report.rated.v1",
    "reports.report.urged.v1",
    "forum.thread.escalated.v1",
    "forum.post.created.v1",
    "forum.post.mentioned.v1",
    "forum.dispute.state_changed.v1",
    "forum.deliberation.state_changed.v1",
    "forum.hotspot.detected.v1",
}


def _render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _check_snapshot(name: str, model: type[BaseModel]) -> None:
    path = SNAPSHOTS / f"{name}.json"
    actual = _render(model.model_json_schema())
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(
            f"no schema snapshot {path.relative_to(SNAPSHOTS.parent)} for {model.__qualname__}; "
            "write it deliberately with UPDATE_SNAPSHOTS=1"
        )
    expected = path.read_text(encoding="utf-8")
    assert json.loads(actual) == json.loads(expected), (
        f"the JSON schema of {model.__qualname__} ({name}) changed: this is a contract change. "
        "If deliberate, rewrite the snapshot with UPDATE_SNAPSHOTS=1 (or add a new .vN event)."
    )
    assert actual == expected, f"{path.name} is not in canonical form; rewrite it with UPDATE_SNAPSHOTS=1"


def test_registered_event_types_are_exactly_the_contract() -> None:
    assert set(EVENT_MODELS) == EXPECTED_EVENT_TYPES


@pytest.mark.parametrize("event_type", sorted(EXPECTED_EVENT_TYPES))
def test_payload_schema_matches_snapshot(event_type: str) -> None:
    assert event_type in EVENT_MODELS, f"{event_type} is not registered"
    _check_snapshot(event_type, EVENT_MODELS[event_type])


def test_envelope_schema_matches_snapshot() -> None:
    _check_snapshot(ENVELOPE_SNAPSHOT, Envelope)


def test_no_orphan_snapshots() -> None:
    """A snapshot without a model means an event disappeared: remove it deliberately."""
    known = {*EVENT_MODELS, ENVELOPE_SNAPSHOT}
    orphans = sorted(p for p in SNAPSHOTS.glob("*.json") if p.stem not in known)
    if UPDATE:
        for path in orphans:
            path.unlink()
        return
    assert not orphans, f"snapshots without a registered model: {[p.name for p in orphans]}"


def test_envelope_fields_are_exactly_the_design() -> None:
    assert list(Envelope.model_fields) == [
        "event_id",
        "event_type",
        "occurred_at",
        "producer",
        "correlation_id",
        "actor_id",
        "payload",
    ]


@pytest.mark.parametrize("event_type", sorted(EXPECTED_EVENT_TYPES))
def test_every_payload_is_scoped_to_a_community(event_type: str) -> None:
    schema = EVENT_MODELS[event_type].model_json_schema()
    assert "community_id" in schema["required"]
    assert schema["additionalProperties"] is False
