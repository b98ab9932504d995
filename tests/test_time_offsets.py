"""An instant means the same whatever offset it is written with: `timers fire --as-of` with
+08:00 or -05:00 fires exactly what is due, stamps UTC, and keeps the audit chain intact."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from engine.models import Notification


def fire(runner, clock, instant: datetime) -> int:
    clock.set(instant)
    result = runner.invoke(args=["timers", "fire", "--as-of", instant.isoformat()])
    assert result.exit_code == 0, result.output
    return int(result.output.split()[0])


def test_offsets_do_not_move_instants(engine, runner, clock, make_case, work):
    case = make_case("complaint")
    work(case["id"], "review", "intake1", decision="accept", reason="受理", complex=False)
    remind_at = datetime.fromisoformat(engine.get_case(engine.actor_for("auditor1"), case["id"])["deadlines"]["resolve_remind_at"])
    new_york = timezone(timedelta(hours=-5))
    assert fire(runner, clock, (remind_at - timedelta(seconds=1)).astimezone(new_york)) == 0
    assert fire(runner, clock, remind_at.astimezone(timezone(timedelta(hours=8)))) == 1
    with engine.ctx.db.transaction() as session:
        stamped = session.scalars(select(Notification.created_at).where(Notification.kind == "reminder")).all()
    assert stamped and all(abs(s - remind_at) < timedelta(seconds=1) for s in stamped)
    assert engine.verify_audit()["ok"]
