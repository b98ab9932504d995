"""Evidence files are encrypted at rest: the database holds no file content in clear, the
people who may see the case download the original, and key rotation keeps them readable."""
from __future__ import annotations

import base64

from sqlalchemy import text

from engine.confidential.crypto import FieldCipher, generate_key
from tests.conftest import TEST_FIELD_KEY

MARKER = b"EVIDENCE-MARKER-7f3a9c: minutes of the procurement meeting"


def test_a_reports_evidence_is_not_stored_in_clear_but_downloads_intact(client, api, engine, make_case):
    files = [{"filename": "minutes.txt", "content_type": "text/plain",
              "data_base64": base64.b64encode(MARKER).decode()}]
    case = make_case("internal_report", attachments=files)
    with engine.ctx.db.transaction() as session:
        stored = session.execute(text("select data from attachment")).scalars().all()
    assert len(stored) == 1 and MARKER not in bytes(stored[0])
    headers = api("integ1")
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=headers).get_json()
    file_id = detail["attachments"][0]["id"]
    download = client.get(f"/api/v1/cases/{case['id']}/attachments/{file_id}", headers=headers)
    assert download.status_code == 200 and download.data == MARKER
    assert client.get(f"/api/v1/cases/{case['id']}/attachments/{file_id}",
                      headers=api("quality1")).status_code == 404


def test_files_survive_key_rotation(engine, runner, make_case):
    case = make_case("tender_complaint")
    new_key = generate_key()
    engine.ctx.cipher = FieldCipher([new_key, TEST_FIELD_KEY])
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0 and '"files": 1' in result.output
    engine.ctx.cipher = FieldCipher(new_key)
    clerk = engine.actor_for("clerk1")
    attachment = engine.get_case(clerk, case["id"])["attachments"][0]
    assert engine.get_attachment(clerk, case["id"], attachment["id"])["data"].startswith(b"%PDF")

