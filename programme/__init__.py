"""The partnership's survey programme, run year after year: opening, extending and closing waves,
and sending their reports when they close.

It sits above everything it drives: the questionnaires (surveys), the stored
waves and responses (storage), and the bot that sends the reports (bot); none
of those imports it.
"""
