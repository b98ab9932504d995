"""Intake rules found by acceptance testing: a wrong-typed `anonymous` never strips a reporter's
identity, nobody learns of a tender matter in the future, and an empty file is no evidence."""
from __future__ import annotations

import pytest

from tests.factories import EVIDENCE, intake_data

API = "/api/v1/public/reports"


def test_a_wrong_typed_anonymous_is_refused_not_taken_as_yes(client, engine):
    body = {"type": "internal_report", "anonymous": False, "data": intake_data("internal_report", anonymous="no")}
    answer = client.post(API, json=body)
    assert answer.status_code == 400 and "anonymous" in answer.get_json()["details"]
    assert engine.list_cases(engine.actor_for("auditor1"))["total"] == 0


def test_anonymous_yes_on_a_complaint_is_a_type_error_first(client):
    answer = client.post(API, json={"type": "complaint", "anonymous": "perhaps", "data": intake_data("complaint")})
    assert answer.status_code == 400


@pytest.mark.parametrize("field", ["known_date", "objection_reply_date"])
def test_a_tender_matter_cannot_be_learned_of_in_the_future(client, field):
    data = intake_data("tender_complaint", **{field: "2099-01-01"})
    answer = client.post(API, json={"type": "tender_complaint", "data": data, "attachments": EVIDENCE})
    assert answer.status_code == 400 and answer.get_json()["details"][field] == "must not be in the future"


def test_an_empty_file_is_no_evidence(client):
    empty = [{"filename": "a.txt", "content_type": "text/plain", "data_base64": ""}]
    answer = client.post(API, json={"type": "tender_complaint", "data": intake_data("tender_complaint"),
                                    "attachments": empty})
    assert answer.status_code == 400 and "attachments.0" in answer.get_json()["details"]
