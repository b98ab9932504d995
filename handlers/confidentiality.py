"""Need-to-know for internal reports (seed 001 篇10; EU Directive 2019/1937 Art. 16).

Rules this module turns into effects: the case is confidential from the first step; the accused
and anyone conflicted never see it; a report against a member of the integrity office goes one
level up to the committee (检举控告 handling: do not let the accused's own office handle it);
once a team is formed only the committee and the named investigators see it; a closed report is
sealed (封存). The engine enforces the access list, masks identity and audits every reveal.
"""
from __future__ import annotations

from engine.handler_api import HandlerContext, HandlerRegistry

from .deadlines import iso
from .recusal import field_values, recusal_effects, recused_for

OFFICE = "integrity_office"
COMMITTEE = "committee"
TEAM = "investigation_team"
MIN_INVESTIGATORS = 2


def protect(ctx: HandlerContext, params: dict) -> dict:
    """Operator `confidentiality.protect`.

    params (all optional): `accused_fields` (default accused_username, accused_name),
    `party_fields` (default accused_name, accused_username, accused_department), `office`
    (default integrity_office), `escalate_to` (default committee)."""
    office = params.get("office") or OFFICE
    escalate_to = params.get("escalate_to") or COMMITTEE
    accused_names = field_values(ctx.data, params.get("accused_fields") or ["accused_username", "accused_name"])
    parties = field_values(ctx.data, params.get("party_fields")
                           or ["accused_name", "accused_username", "accused_department"])
    excluded = recused_for(ctx, accused_names, parties)
    accused = sorted({u for u in (ctx.lookups.find_username(n) for n in accused_names) if u})
    effects = recusal_effects(ctx, excluded, "保密回避：被举报人或利益冲突 / accused or conflicted")
    office_members = set(ctx.lookups.group_members(office))
    against_office = any(u in office_members or office in ctx.lookups.user_groups(u) for u in accused)
    effects["case"] = {"confidential": True}
    effects["data"]["routed_to_committee"] = against_office
    if against_office:
        effects["data"]["lane_groups"] = {**(ctx.data.get("lane_groups") or {}), office: escalate_to}
        effects["access"] = {"groups": [escalate_to], "users": []}
    else:
        effects["access"] = {"groups": [office, escalate_to], "users": []}
    effects["audit"].append({"kind": "confidential", "detail": {"routed_to_committee": against_office}})
    return effects


def validate_team(ctx: HandlerContext, investigators: object, team: str) -> list[str]:
    """The chosen investigators, or a ValueError saying plainly what is wrong with the choice."""
    if isinstance(investigators, str):
        investigators = [investigators]
    if not isinstance(investigators, (list, tuple)):
        raise ValueError("investigators must be a list of usernames")
    chosen = list(dict.fromkeys(str(u).strip() for u in investigators if str(u).strip()))
    if len(chosen) < MIN_INVESTIGATORS:
        raise ValueError(f"调查组至少需要{MIN_INVESTIGATORS}名不同的调查人员 / "
                         f"choose at least {MIN_INVESTIGATORS} different investigators")
    members = set(ctx.lookups.group_members(team))
    outsiders = [u for u in chosen if u not in members]
    if outsiders:
        raise ValueError(f"不是{team}成员 / not members of {team}: {', '.join(outsiders)}")
    recused = set(ctx.data.get("recused_users") or [])
    barred = [u for u in chosen if u in recused]
    if barred:
        raise ValueError(f"应回避，不得参与调查 / recused from this case: {', '.join(barred)}")
    return chosen


def grant_team(ctx: HandlerContext, params: dict) -> dict:
    """Operator `confidentiality.grant_team` (params: `investigators`, optional `team`, `task`,
    `oversight`): from here on only the committee and these investigators see the case, and only
    they may take the `investigate` task."""
    team = params.get("team") or TEAM
    task = params.get("task") or "investigate"
    oversight = params.get("oversight") or COMMITTEE
    chosen = validate_team(ctx, params.get("investigators"), team)
    candidates = {**(ctx.data.get("task_candidates") or {}), task: chosen}
    return {"access": {"groups": [oversight], "users": chosen},
            "data": {"investigators": chosen, "task_candidates": candidates},
            "audit": [{"kind": "team_formed", "detail": {"investigators": chosen}}]}


def seal(ctx: HandlerContext, params: dict) -> dict:
    """Operator `confidentiality.seal` (params: optional `keeper`, default committee): the closed
    report is sealed; the engine then requires the auditor or committee role and a reason to read it."""
    keeper = params.get("keeper") or COMMITTEE
    return {"case": {"confidential": True}, "access": {"groups": [keeper], "users": []},
            "data": {"sealed_at": iso(ctx.now)}, "audit": [{"kind": "sealed", "detail": {"keeper": keeper}}]}


def register(registry: HandlerRegistry) -> None:
    registry.register("confidentiality.protect", protect)
    registry.register("confidentiality.grant_team", grant_team)
    registry.register("confidentiality.seal", seal)
