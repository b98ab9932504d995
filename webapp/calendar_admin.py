"""Staff pages: calendar_admin."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("calendar_admin", __name__)
