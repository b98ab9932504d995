"""The versions page of a type leads to the diagram comparison (issue 8, point 4): owners choose
two versions there, and the modeler's diff page opens on exactly those two, in both languages."""
from __future__ import annotations

import re

from tests.test_api_support import h  # noqa: F401
from tests.test_versions import complaint_files, deploy, renamed_review

THIRD = {'name="受理审查 / Review"': 'name="受理审查（三） / Review v3"'}


def selected(html: str, select_name: str) -> str:
    """The value of the chosen option of a <select name=...>."""
    block = re.search(r'<select name="%s">(.*?)</select>' % select_name, html, re.S).group(1)
    return re.search(r'<option value="(\d+)" selected>', block).group(1)


def test_the_versions_page_offers_two_versions_to_compare_on_the_diagram(client, h, login):
    assert deploy(client, h("owner1"), renamed_review(), comment="review renamed").status_code == 201
    assert deploy(client, h("owner1"), complaint_files(**THIRD), comment="again").status_code == 201
    owner = login("owner1")
    page = owner.get("/process-types/complaint?lang=en").get_data(as_text=True)
    form = re.search(r'<form method="get" action="([^"]+)"[^>]*id="compare">(.*?)</form>', page, re.S)
    assert form and form.group(1) == "/modeler/complaint/diff"
    assert "Compare on the diagram" in form.group(2)
    # newest against the one before it by default; every version may be chosen
    assert (selected(form.group(2), "from"), selected(form.group(2), "to")) == ("2", "3")
    assert re.findall(r'<option value="(\d+)"', form.group(2)) == ["3", "2", "1"] * 2
    assert "在流程图上比较" in owner.get("/process-types/complaint?lang=zh_CN").get_data(as_text=True)

    # what the form sends: the diff page opens on the two chosen versions, whose files it reads
    diff = owner.get("/modeler/complaint/diff?from=1&to=3")
    assert diff.status_code == 200
    html = diff.get_data(as_text=True)
    assert re.search(r'<select id="cf-from">.*?<option value="1" selected>', html, re.S)
    assert re.search(r'<select id="cf-to">.*?<option value="3" selected>', html, re.S)
    older = owner.get("/modeler/complaint/versions/1.json").get_json()
    newer = owner.get("/modeler/complaint/versions/3.json").get_json()
    assert "受理审查 / Review" in str(older) and "受理审查（三） / Review v3" in str(newer)


def test_staff_who_cannot_change_the_type_get_no_comparison_form(client, h, login):
    assert deploy(client, h("owner1"), renamed_review()).status_code == 201
    page = login("auditor1").get("/process-types/complaint")
    assert page.status_code == 200
    assert 'id="compare"' not in page.get_data(as_text=True)


def test_a_type_with_one_version_has_nothing_to_compare(login):
    page = login("owner1").get("/process-types/complaint").get_data(as_text=True)
    assert 'id="compare"' not in page
