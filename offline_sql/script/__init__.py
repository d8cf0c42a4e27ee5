"""Revision scripts: reading their headers without import, loading them, writing new ones."""
