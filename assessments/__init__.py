"""The agencies' safeguarding self-assessment: standards as data, BRAG rules, workbooks, the board's report.

Framework-free: storage goes through ``storage.assessments``, the chat through
``bot.assessment_turns``.
"""
