"""Service-task handlers: the rules a diagram calls by name (`spiffworkflow:serviceTaskOperator`).

One module per concern, each with `register(registry)`. The app factory calls `build_registry()`
once; deploying a diagram that names an operator missing here is refused.
"""
from __future__ import annotations

from engine.handler_api import HandlerRegistry

from . import (complaint, confidentiality, deadlines, internal_report, messages, numbering, recusal, tender,
               tender_letters)

MODULES = (numbering, deadlines, recusal, messages, confidentiality, complaint, tender, tender_letters,
           internal_report)


def build_registry() -> HandlerRegistry:
    """A fresh registry holding every bundled operator (no import-time global, so tests and apps
    can each build their own)."""
    registry = HandlerRegistry()
    for module in MODULES:
        module.register(registry)
    return registry
