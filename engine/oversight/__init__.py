"""Oversight: the hash-chained audit log, timelines, exports, reports and the case drawn on its diagram."""
