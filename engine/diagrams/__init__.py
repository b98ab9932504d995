"""Complaint types as diagrams: deploy, the rules a diagram declares, versions, the modeler's drafts, and the bounded environment its scripts run in."""
