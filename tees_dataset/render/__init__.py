"""Render stage: packs (HTML, PDF) and workbooks from one context per partnership."""
