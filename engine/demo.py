"""Demo users, groups and cases (`serve --demo`): never in production."""
from __future__ import annotations

# username, display name, roles, groups
DEMO_USERS = (
    ("admin1", "管理员 Admin", ["admin", "staff"], []),
    ("owner1", "流程负责人 Process owner", ["process_owner", "staff"], []),
    ("auditor1", "审计员 Auditor", ["auditor", "staff"], []),
    ("intake1", "受理员一 Intake 1", ["staff"], ["intake"]),
    ("intake2", "受理员二 Intake 2", ["staff"], ["intake"]),
    ("quality1", "质量部一 Quality 1", ["staff"], ["dept_quality"]),
    ("quality2", "质量部二 Quality 2", ["staff"], ["dept_quality"]),
    ("contract1", "合同部 Contract", ["staff"], ["dept_contract"]),
    ("logistics1", "物流部 Logistics", ["staff"], ["dept_logistics"]),
    ("service1", "服务部 Service", ["staff"], ["dept_service"]),
    ("billing1", "计费部 Billing", ["staff"], ["dept_billing"]),
    ("supervisor1", "督办员 Supervisor", ["staff"], ["supervisor"]),
    ("followup1", "回访员 Follow-up", ["staff"], ["followup"]),
    ("clerk1", "投诉受理员 Tender clerk", ["staff"], ["tender_clerk"]),
    ("tinv1", "调查员一 Tender investigator 1", ["staff"], ["tender_investigators"]),
    ("tinv2", "调查员二 Tender investigator 2", ["staff"], ["tender_investigators"]),
    ("tinv3", "调查员三 Tender investigator 3", ["staff"], ["tender_investigators"]),
    ("thead1", "处长 Tender head", ["staff"], ["tender_head"]),
    ("disc1", "纪检 Discipline", ["staff"], ["discipline"]),
    ("integ1", "廉政办一 Integrity 1", ["staff"], ["integrity_office"]),
    ("integ2", "廉政办二 Integrity 2", ["staff"], ["integrity_office"]),
    ("inv1", "调查组一 Investigator 1", ["staff"], ["investigation_team"]),
    ("inv2", "调查组二 Investigator 2", ["staff"], ["investigation_team"]),
    ("inv3", "调查组三 Investigator 3", ["staff"], ["investigation_team"]),
    ("comm1", "委员会 Committee", ["staff"], ["committee"]),
)

# group key: (Chinese name, English name), as an admin would name them
DEMO_GROUPS = {
    "intake": ("投诉受理组", "Complaint intake"),
    "dept_quality": ("质量管理部", "Quality department"),
    "dept_contract": ("合同管理部", "Contracts department"),
    "dept_logistics": ("物流部", "Logistics department"),
    "dept_service": ("客户服务部", "Customer service department"),
    "dept_billing": ("计费部", "Billing department"),
    "supervisor": ("督办组", "Supervisors"),
    "followup": ("回访组", "Follow-up team"),
    "tender_clerk": ("投诉受理科", "Tender complaints desk"),
    "tender_investigators": ("调查组（招标投标）", "Tender investigators"),
    "tender_head": ("处长", "Head of tender supervision"),
    "discipline": ("纪检监察室", "Discipline office"),
    "integrity_office": ("廉政办公室", "Integrity office"),
    "investigation_team": ("调查组", "Investigation team"),
    "committee": ("举报处理委员会", "Reports committee"),
}


def load_demo_cases(engine) -> int:
    """A few cases in different states, once: a new complaint, one under investigation,
    a tender complaint waiting for acceptance, an internal report waiting for triage."""
    from engine.actors import Actor

    auditor = Actor(username="demo", roles=frozenset({"auditor"}))
    if engine.list_cases(auditor, per_page=1)["total"]:
        return 0
    intake = engine.actor_for("intake1")
    samples = [
        ("complaint", intake, {"channel": "hotline", "complainant_name": "张三", "complainant_phone": "13900000001",
                               "category": "quality", "subject": "卷烟受潮", "description": "购买的卷烟受潮发霉。"}),
        ("complaint", None, {"channel": "web", "complainant_name": "李四", "complainant_email": "lisi@example.com",
                             "category": "billing", "subject": "账单金额错误", "description": "十月账单多收了电费。"}),
        ("tender_complaint", None, {
            "complainant_name": "华东建设工程有限公司", "complainant_address": "上海市浦东新区世纪大道100号",
            "contact_person": "李工", "contact_phone": "021-55550000", "complainant_role": "bidder",
            "project_name": "城南污水处理厂改造工程", "project_code": "ZB-2026-118", "tenderer": "城南水务集团",
            "respondent": "城南水务集团", "matter_type": "evaluation_result",
            "facts": "评标委员会未按招标文件规定的评分标准打分。", "requests": "请求重新评标。",
            "known_date": engine.now().date().isoformat(), "objection_filed": True}),
        ("internal_report", None, {"report_kind": "misconduct", "anonymous": True, "accused_name": "某采购员",
                                   "accused_department": "采购部", "facts": "供应商选择中疑似收受回扣。"}),
    ]
    created = 0
    for type_key, actor, data in samples:
        files = [{"filename": "evidence.txt", "content_type": "text/plain", "data": "demo evidence".encode()}]
        try:
            result = engine.file_case(actor, type_key, data, files if type_key == "tender_complaint" else [],
                                      anonymous=bool(data.get("anonymous")))
        except Exception:  # a demo case that no longer fits an edited process is skipped, not fatal
            continue
        created += 1
        if type_key == "complaint" and actor is not None:
            _advance_review(engine, result["id"])
    return created


def _advance_review(engine, case_id: int) -> None:
    reviewer = engine.actor_for("intake1")
    case = engine.get_case(reviewer, case_id)
    for task in case["open_tasks"]:
        if task["element_id"] == "review":
            if task["assignee"] != reviewer.username:
                engine.claim_task(reviewer, task["id"])
            engine.complete_task(reviewer, task["id"], {"decision": "accept", "complex": False})
