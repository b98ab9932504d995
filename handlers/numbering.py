"""Case numbers `CP-/TC-/IR-YYYYMM-NNNN`: what complainants quote and staff search by.

The counter lives in the database (per prefix and month) and is allocated by the engine inside
the step's transaction, so two filings at once never share a number and a failed step burns none.
"""
from __future__ import annotations

import re

from engine.handler_api import HandlerContext, HandlerRegistry

PREFIX = re.compile(r"^[A-Z]{2,4}$")


def number_case(ctx: HandlerContext, prefix: str) -> dict:
    """Effects giving the case its number; a case that already has one keeps it (numbers are
    quoted to complainants and must never change)."""
    prefix = str(prefix or "").strip().upper()
    if not PREFIX.match(prefix):
        raise ValueError(f"a case number prefix is 2-4 capital letters, not {prefix!r}")
    number = ctx.number or ctx.lookups.next_number(prefix)
    return {"case": {"number": number}, "data": {"case_number": number}}


def assign_number(ctx: HandlerContext, params: dict) -> dict:
    """Operator `numbering.assign` (params: `prefix`), for process owners' own diagrams."""
    return number_case(ctx, params.get("prefix", ""))


def register(registry: HandlerRegistry) -> None:
    registry.register("numbering.assign", assign_number)
