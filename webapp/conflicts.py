"""Staff pages: conflicts."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("conflicts", __name__)
