"""Who is acting: a plain value the web layer builds from a session or token."""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("admin", "process_owner", "auditor", "staff")


@dataclass(frozen=True)
class Actor:
    """A logged-in staff member (or the system); `groups` are lane/candidate groups."""

    username: str
    display_name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    groups: frozenset[str] = field(default_factory=frozenset)
    timezone: str = "Asia/Shanghai"
    locale: str = "zh_CN"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def to_dict(self) -> dict:
        return {
            "username": self.username,
            "display_name": self.display_name or self.username,
            "roles": sorted(self.roles),
            "groups": sorted(self.groups),
            "timezone": self.timezone,
            "locale": self.locale,
        }


SYSTEM = Actor(username="system", display_name="system", roles=frozenset({"system"}))
