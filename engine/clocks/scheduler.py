"""The timer scheduler: an APScheduler job that fires due timers.

Inside `serve` it runs in the background for the embedded default; in production run one or
more `complaintflow scheduler` processes. Timer rows are claimed in the database, so any number
of schedulers fire each timer exactly once.
"""
from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)


def _tick(engine, sender=None) -> None:
    """Fire due timers, then deliver queued mail when SMTP is configured."""
    try:
        fired = engine.fire_timers()
        alerts = engine.send_task_alerts()
        engine.sweep_deputies()  # deputies' periods start and end
        if fired or alerts:
            log.info("fired %d timer(s), sent %d task alert(s)", fired, alerts)
        if sender is not None:
            engine.send_outbox(sender)
    except Exception:  # a bad tick must not stop the scheduler; the next tick retries
        log.exception("timer tick failed")


def start_background_scheduler(engine, interval: int = 30, sender=None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(_tick, "interval", seconds=interval, args=[engine, sender], max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler


def run_blocking_scheduler(engine, interval: int = 30, sender=None) -> None:
    scheduler = BlockingScheduler()
    scheduler.add_job(_tick, "interval", seconds=interval, args=[engine, sender], max_instances=1, coalesce=True)
    _tick(engine, sender)
    scheduler.start()
