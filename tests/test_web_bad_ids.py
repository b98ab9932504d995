"""Absurd ids and page numbers in page URLs answer 404 or a clamped page, never a 500."""
from __future__ import annotations

import pytest

BIG = "99999999999999999999"


@pytest.mark.parametrize("method, url", [
    ("get", f"/cases/{BIG}"), ("get", f"/tasks/{BIG}"), ("get", f"/cases/{BIG}/history"),
    ("get", f"/cases/1/attachments/{BIG}"), ("post", f"/tasks/{BIG}/claim"), ("post", f"/tasks/{BIG}/complete"),
    ("post", f"/tasks/{BIG}/recuse"), ("post", f"/notifications/{BIG}/read"), ("post", f"/conflicts/{BIG}/end"),
])
def test_huge_ids_are_not_found(login, method, url):
    assert getattr(login("admin1"), method)(url).status_code == 404


def test_a_huge_page_number_is_clamped(login):
    assert login("auditor1").get(f"/cases?page={BIG}").status_code == 200
    assert login("auditor1").get("/cases?page=1000000").status_code == 200
