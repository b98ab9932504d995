"""Recusal (回避): who may not see or take a case's tasks.

The person complained about must never handle the complaint against them, and staff who declared
a conflict (near relative, a post held at a party in the last 3 years, another interest) with any
party step aside (七部委11号令 Art. 8 for tender complaints; the confidentiality rules of seed 001
for reports). The engine keeps the excluded list per case and hides tasks from those users; this
module only decides who they are.

Parameters name *data fields*, not values, because the fields are optional on the intake form
and a diagram expression over a missing field would fail.
"""
from __future__ import annotations

from engine.handler_api import HandlerContext, HandlerRegistry


def field_values(data: dict, fields: list[str] | tuple[str, ...]) -> list[str]:
    """The non-empty text values of the named data fields."""
    values = []
    for name in fields or ():
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            values.append(value.strip())
    return values


def recused_for(ctx: HandlerContext, accused: list[str], parties: list[str]) -> list[str]:
    """Usernames to exclude: the accused (when they are staff) and everyone conflicted with the
    accused or any party."""
    accused_users = [u for u in (ctx.lookups.find_username(name) for name in accused) if u]
    # A conflict may be declared against the accused's username or display name: ask for both.
    parties = list(dict.fromkeys(accused + accused_users + parties))
    return sorted(set(accused_users) | set(ctx.lookups.conflicted_users(parties)))


def without(candidates: dict | None, excluded: list[str]) -> dict:
    """`task_candidates` with the excluded users taken out (a fresh dict: never mutate case data)."""
    return {task: [u for u in users if u not in excluded] for task, users in (candidates or {}).items()}


def recusal_effects(ctx: HandlerContext, excluded: list[str], reason: str) -> dict:
    """The effects shared by every recusal: exclusions, the running list in data, cleaned candidates."""
    known = sorted(set(ctx.data.get("recused_users") or []) | set(excluded))
    data: dict = {"recused_users": known}
    if ctx.data.get("task_candidates"):
        data["task_candidates"] = without(ctx.data["task_candidates"], known)
    return {"exclude_users": excluded, "exclude_reason": reason, "data": data,
            "audit": [{"kind": "recusal", "detail": {"excluded": len(excluded), "reason": reason}}]}


def exclude(ctx: HandlerContext, params: dict) -> dict:
    """Operator `recusal.exclude`.

    params: `accused_field` (data key holding the accused staff member's username or name, may be
    absent), `party_fields` (data keys holding the parties: complainant, tenderer, agency...)."""
    accused_field = params.get("accused_field")
    accused = field_values(ctx.data, [accused_field] if accused_field else [])
    parties = field_values(ctx.data, list(params.get("party_fields") or []))
    excluded = recused_for(ctx, accused, parties)
    return recusal_effects(ctx, excluded, "回避：被投诉人或申报利益冲突 / accused or declared conflict")


def register(registry: HandlerRegistry) -> None:
    registry.register("recusal.exclude", exclude)
