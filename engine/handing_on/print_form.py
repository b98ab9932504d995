"""The case's handling form (《投诉处理表》): its facts, then each step — who handled it, what they
decided and when — with the sign-offs and send-backs, for printing and signing. Read as the
reader may see the case (identity masked on confidential reports; recused: 404), and audited."""
from __future__ import annotations

from sqlalchemy import select

from engine.oversight import audit
from engine.confidential import disclosure
from engine.confidential.access import load_visible_case
from engine.actors import Actor
from engine.cases import case_detail
from engine.clocks.clock import to_iso
from engine.context import EngineContext
from engine.models import User

STEP_KINDS = ("task_completed", "signed_off", "task_sent_back", "task_transferred", "task_delegated")


def handling_form(ctx: EngineContext, session, actor: Actor, case_id: int) -> dict:
    case = load_visible_case(session, actor, case_id, without_workflow=True)
    detail = case_detail(ctx, session, actor, case.id)
    definition = ctx.definitions.get(session, case.definition_id)
    names = {eid: (meta or {}).get("name") for eid, meta in (definition.summary.get("user_tasks") or {}).items()}
    forms = {eid: (definition.summary.get("forms") or {}).get((meta or {}).get("form") or "")
             for eid, meta in (definition.summary.get("user_tasks") or {}).items()}
    events = [e for e in disclosure.whole_history(ctx, session, case) if e["kind"] in STEP_KINDS]
    people = {e["actor"] for e in events}
    display = dict(session.execute(select(User.username, User.display_name).where(User.username.in_(sorted(people)))).all())
    steps = []
    for e in events:
        d = e["detail"] or {}
        result = d.get("data") if e["kind"] == "task_completed" else {
            k: d[k] for k in ("agree", "opinion", "reason", "to", "note") if k in d}
        steps.append({"kind": e["kind"], "element_id": e["element_id"],
                      "step": names.get(e["element_id"]) or e["element_id"] or "",
                      "handler": e["actor"], "handler_name": display.get(e["actor"]) or e["actor"],
                      "at": e["at"], "result": result or {},
                      "form": forms.get(e["element_id"]) if e["kind"] == "task_completed" else None})
    now = ctx.now()
    audit.record(session, at=now, actor=actor.username, kind="case_printed", case_id=case.id, detail={})
    return {"case": detail, "steps": steps, "printed_by": actor.username, "printed_at": to_iso(now),
            "intake_form": definition.summary.get("intake_form") or {}}
