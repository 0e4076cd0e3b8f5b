"""Bulk intake of bank files: reader → columns → rows → pipeline (→ store)."""
