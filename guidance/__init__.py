"""Guidance on safeguarding thresholds and escalation, answered from a knowledge base the partnership owns.

Framework-free: content files in ``guidance/content``, how words are read in
``guidance/data``; the bot calls ``load_knowledge_base`` once and ``kb.answer``
per question.
"""
