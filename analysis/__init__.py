"""Collated results per agency: load, summaries, themes, charts, reports and delivery.

Only ``analysis.load`` touches the database; everything else works on the tidy
response frame (see ``analysis.frame``) and is pure.
"""
