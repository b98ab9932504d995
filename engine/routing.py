"""Recusal-aware routing of new inbox rows."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .models import Case, Task


def route_to_eligible(session: Session, case: Case, task: Task, summary: dict) -> None:
    """Called for every new inbox row: escalate a task whose lane has no eligible candidate left.
    Today it leaves the row as the diagram made it."""
