"""Valid intake data per complaint type, with overrides: `intake_data("complaint", category="billing")`."""
from __future__ import annotations

import base64
import copy

VALID_INTAKE = {
    "complaint": {
        "channel": "web",
        "complainant_name": "王小明",
        "complainant_phone": "13800138000",
        "complainant_email": "wang@example.com",
        "category": "quality",
        "subject": "卷烟包装破损",
        "description": "2026年10月30日收到的订单中有两条卷烟包装破损。",
        "requested_remedy": "更换",
        "order_ref": "ORD-2026-0042",
    },
    "tender_complaint": {
        "complainant_name": "华东建设工程有限公司",
        "complainant_address": "上海市浦东新区世纪大道100号",
        "contact_person": "李工",
        "contact_phone": "021-55550000",
        "complainant_role": "bidder",
        "project_name": "城南污水处理厂改造工程",
        "project_code": "ZB-2026-118",
        "tenderer": "城南水务集团",
        "respondent": "城南水务集团",
        "agency": "诚信招标代理有限公司",
        "matter_type": "evaluation_result",
        "facts": "评标委员会未按招标文件规定的评分标准打分。",
        "requests": "请求重新评标。",
        "legal_basis": "《招标投标法实施条例》第六十条",
        "known_date": "2026-10-28",
        "objection_filed": True,
        "objection_reply_date": "2026-10-30",
    },
    "internal_report": {
        "report_kind": "misconduct",
        "anonymous": False,
        "reporter_name": "赵举报",
        "reporter_contact": "zhao@example.com",
        "reporter_department": "财务部",
        "accused_name": "钱被告",
        "accused_department": "采购部",
        "facts": "2026年9月，采购部钱被告在供应商选择中收受回扣。",
    },
}

EVIDENCE = [{
    "filename": "evidence.pdf",
    "content_type": "application/pdf",
    "data_base64": base64.b64encode(b"%PDF-1.4 evidence").decode(),
}]


def intake_data(type_key: str, **overrides) -> dict:
    """A valid intake for the type, with fields overridden (None removes a field)."""
    data = copy.deepcopy(VALID_INTAKE[type_key])
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def default_attachments(type_key: str) -> list[dict]:
    """Tender complaints need at least one evidence file; the others need none."""
    return copy.deepcopy(EVIDENCE) if type_key == "tender_complaint" else []


def decoded(attachments: list[dict]) -> list[dict]:
    """API-shaped attachments to the engine's shape (bytes in `data`)."""
    return [{"filename": a["filename"], "content_type": a["content_type"],
             "data": base64.b64decode(a["data_base64"])} for a in attachments]


def every(list_page, *args, **kwargs) -> list:
    """All items of a paged engine list, following its `next` cursors (100 a page)."""
    items, cursor = [], None
    while True:
        page = list_page(*args, limit=100, cursor=cursor, **kwargs)
        items += page["items"]
        cursor = page["next"]
        if cursor is None:
            return items
