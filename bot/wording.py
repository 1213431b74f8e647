"""What the bot itself says, in one place: plain, kind, short UK English.

The questionnaire's own wording is in ``surveys.wording`` and the definition
files; guidance answers are in the knowledge base. This is the rest: greeting,
survey window, the safety net and the offers around them.
"""

from __future__ import annotations

from datetime import date

from botbuilder.schema import Activity

from bot import cards
from common.partnership import Partnership
from storage.waves import Wave
from surveys.model import Definition

GREETING = (
    "Hello, I'm the {partnership} safeguarding bot. I can take you through this year's "
    "practitioner questionnaire (anonymous, about five minutes), and answer questions about "
    "thresholds, referrals and escalation. If someone is in danger right now, call 999."
)
GREETING_PAUSED = (
    "Hello again. Your questionnaire is waiting where you left it. Would you like to resume it, "
    "or ask a question?"
)
GREETING_IN_PROGRESS = "Hello again. Here's where you were in the questionnaire:"
TEAM_GREETING = (
    "Hello, I'm the {partnership} safeguarding bot. Mention me with a question about thresholds, "
    "referrals or escalation and I'll answer here. The questionnaire is answered in a private "
    "chat with me, so answers stay anonymous. If someone is in danger right now, call 999."
)
MENU = "What would you like to do?"
ASK_PROMPT = (
    "Type your question in your own words, for example “how do I escalate a disagreement?” or "
    "“what is the MASH?”. Please don't include names or case details."
)
PRIVATE_ONLY = (
    "The questionnaire is answered in a private chat with me, so your answers stay anonymous. "
    "Open a chat with me and say “start survey”."
)
OPENS_ON = "The questionnaire isn't open yet. It opens on {date}: I'll be here then."
CLOSED_ON = "This year's questionnaire closed on {date}. Thank you for your interest."
NO_SURVEY = "There's no questionnaire open at the moment."
SURVEY_UNAVAILABLE = (
    "Sorry, the questionnaire can't be started just now. The safeguarding team has been told; please "
    "try again later."
)
STARTING = "Starting the {title}."
BACK_TO = "Back to the {title}."
WHICH_QUESTIONNAIRE = (
    "You have more than one questionnaire to answer. Which would you like to do now? "
    "Press a button, or type its number. You can pause one and come back to it later."
)
CHOICE_LINE = "{number}. {title} (open until {closes}){state}"
CHOICE_STARTED = ": started"
START_BUTTON = "Start: {title}"
RESUME_BUTTON = "Resume: {title}"
NOT_ON_OFFER = "That questionnaire isn't open for you any more, or you've already answered it."
NOTHING_IN_PROGRESS = "That questionnaire isn't in progress any more."
QUESTIONNAIRE_CHANGED = (
    "The questionnaire has been updated since you started, so your earlier answers can't be used. "
    "Sorry about that: please start again."
)
CLOSED_BEFORE_SUBMIT = (
    "Sorry, the questionnaire closed before your answers could be sent, so they haven't been kept."
)
THANKS = "Thank you: your answers have been sent anonymously."
SUBMITTED_MARK = "Submitted"
SKIPPED_MARK = "Skipped"
BACK_TO_SURVEY = "When you're ready, here's where you were in the questionnaire:"
REPEATED = "I already have that message. Here's where you are now:"
ANSWERS_IN = (
    "Your answers are in: they were sent anonymously and there's nothing more to do. "
    "Thank you for taking part."
)
STALE_BUTTON = "That button is from an earlier message, so I've not acted on it."
APOLOGY = (
    "Sorry, something went wrong on my side. Anything you'd already answered is kept; "
    "say “resume” to carry on, or ask your question again. If someone is in danger, call 999."
)
EMERGENCY_FALLBACK = (
    "If anyone is in immediate danger, call 999 now. Then tell your designated safeguarding lead "
    "and make a referral today. Don't delay to gather more information."
)
FEEDBACK_THANKS = "Thank you: that helps us improve the guidance."
# Not a yes/no question: a typed "yes" could not say which question to pass on (none is kept).
FEEDBACK_SORRY = (
    "Thank you for saying. The safeguarding team can answer it instead: press the button to pass "
    "your question on. They'll reply here, and your name isn't passed on."
)
EXPERT_ASKED = (
    "Thank you. I've passed your question to the safeguarding team without your name (question "
    "{id}). Their answer will come to you here."
)
EXPERT_STORED = (
    "Thank you. I've passed your question to the safeguarding team's inbox without your name "
    "(question {id}). When they answer, it will come to you here."
)
EXPERT_ALREADY_ASKED = (
    "I've already passed that question to the safeguarding team. Their answer will come to you here."
)
ALREADY_RECORDED = "Already recorded, thank you."
EXPERT_NO_QUESTION = "Please type your question first, then I can pass it on."
EXPERT_ANSWER_EMPTY = "Please type an answer in the box before sending."
EXPERT_ANSWERED = "Answer to question {id} sent to the person who asked. Thank you."
EXPERT_NOT_DELIVERED = (
    "Answer to question {id} saved, but I couldn't reach the person who asked ({reason}). "
    'It can be sent again with: python -m bot answer-expert {id} "..."'
)
EXPERT_UNKNOWN = "I can't find question {id}."
EXPERT_ONLY_IN_CHANNEL = "Only the safeguarding team can answer questions, from their channel."
SUGGESTION_SAVED = "Thanks: question {id} is saved as a suggested sample question for “{topic}”."
SUGGESTION_NEEDS_TOPIC = "Please choose the topic it belongs to, then press the button again."
INVITATION = (
    "{partnership}: you're invited to answer the {title}, open until {closes}. It's one question at "
    "a time, and you can pause whenever you need to. {privacy}"
)
REMINDER = "{partnership}: a reminder that the {title} closes on {closes}. {privacy}"
# What a wave's invitation and reminder promise about the answers: true of its questionnaire only.
PRIVACY = {
    True: "Your answers are anonymous: only your agency and a broad role band are kept.",
    False: "It is your agency's return, so it is kept with your agency's name.",
}
UNKNOWN_TOPIC = "Sorry, I can't find that topic any more. Please ask your question in your own words."


def day(when: date) -> str:
    """A date the way people write it in the UK: "Monday 5 January 2026"."""
    return f"{when:%A} {when.day} {when:%B %Y}"


def about_wave(template: str, partnership: Partnership, definition: Definition, wave: Wave) -> str:
    """An invitation or reminder of ``wave`` in its questionnaire's own title and privacy terms.

    One text for every questionnaire would promise anonymity to an agency's
    named return, and call every questionnaire the practitioner survey.
    """
    return template.format(
        partnership=partnership.name,
        title=definition.title,
        closes=day(wave.closes),
        privacy=PRIVACY[definition.anonymous],
    )


def offer(text: str, *, start: bool = False, resume: bool = False, ask: bool = True) -> Activity:
    """Some text with the buttons that make sense next."""
    offers: list[tuple[str, dict[str, str]]] = []
    if resume:
        offers.append(("Resume the questionnaire", {"command": "resume"}))
    if start:
        offers.append(("Start the survey", {"action": "start"}))
    if ask:
        offers.append(("Ask a question", {"action": "ask"}))
    return cards.card_activity(cards.offer_card(text, offers), summary=text)
