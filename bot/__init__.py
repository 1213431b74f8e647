"""The Bot Framework / Teams layer: the aiohttp app, the turn handler, cards and the local chat page.

Only this package imports botbuilder; the questionnaire, guidance and storage
it connects people to know nothing of it. Build the app with
``bot.app.create_app(settings)``; run it with ``python -m bot``.
"""
