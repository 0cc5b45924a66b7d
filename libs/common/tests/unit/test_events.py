from datetime import UTC, datetime

import pytest

from xinfang.common.events import (
    Envelope,
    PetitionRouted,
    PoisonMessage,
    event_types,
    new_envelope,
    parse_event,
    subject_for,
)
from xinfang.common.events.schema import event_schemas
from xinfang.common.testing.builders import a_petition_received, a_petition_routed
from xinfang.common.tracing import continue_trace


def test_an_envelope_carries_cloudevents_attributes_and_round_trips_through_json():
    event = a_petition_received()
    envelope = new_envelope(event, source="/xinfang/intake/1", time=datetime.now(UTC))

    again = Envelope.model_validate_json(envelope.model_dump_json())

    assert again.specversion == "1.0"
    assert again.type == "xinfang.petition.received.v1"
    assert again.subject == event.case_no
    assert parse_event(again) == event


def test_the_subject_of_an_event_is_its_type_without_the_version():
    assert subject_for("xinfang.petition.received.v1") == "xinfang.petition.received"
    assert a_petition_received().nats_subject() == "xinfang.petition.received"


def test_a_routed_event_is_published_on_its_department_subject():
    assert a_petition_routed(department_code="C_EDU").nats_subject() == (
        "xinfang.petition.routed.C_EDU"
    )


def test_an_envelope_carries_the_current_trace():
    traceparent = continue_trace(None)
    envelope = new_envelope(a_petition_received(), source="/t", time=datetime.now(UTC))
    assert envelope.traceparent == traceparent


def test_an_unknown_event_type_is_poison():
    envelope = new_envelope(a_petition_received(), source="/t", time=datetime.now(UTC))
    envelope.type = "xinfang.petition.vanished.v1"
    with pytest.raises(PoisonMessage, match="unknown event type"):
        parse_event(envelope)


def test_data_that_does_not_fit_the_schema_is_poison():
    envelope = new_envelope(a_petition_routed(), source="/t", time=datetime.now(UTC))
    del envelope.data["department_code"]
    with pytest.raises(PoisonMessage, match="department_code"):
        parse_event(envelope)


@pytest.mark.parametrize(
    ("field", "clear"), [("name_masked", "张三丰"), ("phone_masked", "13800138000")]
)
def test_a_petitioner_in_clear_where_the_event_promises_a_mask_is_poison(field, clear):
    envelope = new_envelope(a_petition_received(), source="/t", time=datetime.now(UTC))
    envelope.data["petitioners"][0][field] = clear
    with pytest.raises(PoisonMessage, match="must be masked"):
        parse_event(envelope)


def test_consumers_ignore_fields_added_by_a_newer_producer():
    envelope = new_envelope(a_petition_routed(), source="/t", time=datetime.now(UTC))
    envelope.data["added_later"] = 1
    assert isinstance(parse_event(envelope), PetitionRouted)


def test_the_schema_export_describes_every_registered_event_with_its_subject():
    schemas = event_schemas()
    assert set(schemas["events"]) == set(event_types())
    routed = schemas["events"]["xinfang.petition.routed.v1"]
    assert routed["x-subject"] == "xinfang.petition.routed"
    assert "department_code" in routed["properties"]
    assert "data" in schemas["envelope"]["properties"]


def test_no_event_schema_has_a_field_for_personal_data_in_clear():
    clear_fields = {"name", "phone", "id_number", "address", "email"}
    for type_name, schema in event_schemas()["events"].items():
        names = set(schema.get("properties", {}))
        for definition in schema.get("$defs", {}).values():
            names |= set(definition.get("properties", {}))
        assert not names & clear_fields, type_name
