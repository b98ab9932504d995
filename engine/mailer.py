"""SMTP delivery for the outbox: a sender built from settings, used by `outbox send` and the scheduler."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Callable, Mapping

Sender = Callable[[str, str, str], None]


def smtp_sender(config: Mapping) -> Sender | None:
    """A sender from SMTP_HOST/_PORT/_USER/_PASSWORD/_FROM settings; None when no host is configured
    (mail then waits in the outbox, visible to admins, until delivery is configured)."""
    host = config.get("SMTP_HOST")
    if not host:
        return None

    def send(to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = config.get("SMTP_FROM") or "complaintflow@localhost"
        message["To"], message["Subject"] = to, subject
        message.set_content(body)
        with smtplib.SMTP(host, int(config.get("SMTP_PORT") or 25), timeout=30) as server:
            if config.get("SMTP_USER"):
                server.starttls()
                server.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            server.send_message(message)

    return send
