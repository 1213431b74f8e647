"""What the engine says, in one place: plain, kind, short UK English (people are on phones).

Questionnaire-specific text (questions, intro, reminder, thanks) lives in the
definition files; this is the wording of the conversation itself.
"""

from __future__ import annotations

NOT_STARTED = "Say “start survey” when you'd like to begin the questionnaire."
HELP = (
    "Reply with a number, the words of an answer, or the buttons. These words work at any point:\n"
    "• back – go to the previous question (your answer is kept)\n"
    "• skip – leave out a question that's optional\n"
    "• pause – stop for now; your answers are kept\n"
    "• resume – carry on where you left off\n"
    "• restart – start again from the first question\n"
    "• help – show this message"
)
PAUSED = "Paused. Your answers so far are kept. Say “resume” when you're ready to carry on."
PAUSED_OFFER = (
    "You paused the questionnaire at question {position} ({left}). "
    "Would you like to resume it, or ask a question?"
)
STILL_PAUSED = "OK, your answers are kept. Say “resume” whenever you're ready, or ask me a question."
# Where someone is: the question's number counts up by one per answer; what is left is the
# longest path still open, so it only falls as answers rule questions out.
PROGRESS = "Question {position} · {left}"
LEFT = "up to {count} more"
LEFT_NONE = "the last question"
PAUSED_AT_SUMMARY = (
    "You paused the questionnaire when it was ready to send. Would you like to resume it, or ask a question?"
)
RESUMED = "Welcome back. Here's where you were."
FIRST_QUESTION = "This is the first question."
NEXT_NEEDS_ANSWER = "Please answer this question first."
SKIP_REFUSED = "This question needs an answer, so it can't be skipped."
SUBMIT_TOO_EARLY = "You can send your answers at the end, once you've answered the questions."
ALREADY_STARTED = "You've already started. Here's where you were."
STALE = "That button was for a different question. Here's where you are now:"
SENT_BEFORE_SHOWN = (
    "That message was sent before this question appeared, so I haven't used it as an answer. "
    "Here's where you are now:"
)
NOT_UNDERSTOOD = "Sorry, I didn't recognise “{said}”. Please choose one of the answers shown."
AMBIGUOUS = "“{said}” could mean {candidates}. Which one?"
OUT_OF_RANGE = "Please choose one of the numbers shown."
RATING_RANGE = "Please give a whole number from {low} to {high}."
EXCLUSIVE = "“{label}” can't be chosen together with other answers."
PARTLY_UNDERSTOOD = (
    "Sorry, I didn't recognise “{parts}”. Please choose from the answers shown (you can pick several)."
)
EMPTY = "Please type an answer, or use the buttons."
TOO_LONG = "That's a bit long: please keep it under {limit} characters."
AT_LEAST_ONE = "Please give at least one answer before saying done."
OPTIONAL_TEXT = "Say “skip” if you'd rather not answer."
SEVERAL_TEXT = "Send them one at a time (up to {limit}). Say “done” when you've finished."
ANOTHER = "Got it ({count} of up to {limit}). Send another, or say “done”."
RATING_HINT = "Type a number from {low} ({low_label}) to {high} ({high_label})."
SCREENED_EMERGENCY = (
    "It sounds as if someone may be in danger. If anyone is in immediate danger, call 999 now. "
    "Then report your concern today through your usual safeguarding route: don't wait for this "
    "questionnaire. What you wrote has not been kept."
)
SCREENED_DISCLOSURE = (
    "This sounds like a concern about a particular person. Please report it today through your usual "
    "safeguarding route, and call 999 if someone is in immediate danger. What you wrote has not been kept."
)
ANSWER_AGAIN = "Please answer again without details of anyone's case."
ANSWER_AGAIN_OR_SKIP = "Please answer again without details of anyone's case, or say “skip”."
SUMMARY = "Here are your answers. Nothing has been sent yet."
SUMMARY_NOTE = "Say “submit” to send them, or “back” to change an answer."
SUMMARY_NOT_UNDERSTOOD = (
    "Nothing has been sent. Say “submit” to send your answers, “back” to change one, "
    "or “restart” to start again."
)
SKIPPED = "Skipped"
RESTART_QUESTION = "Start again from the first question? Your answers so far will be cleared."
RESTART_YES = "Yes, start again"
RESTART_NO = "No, keep my answers"
RESTARTED = "OK, starting again."
RESTART_CANCELLED = "OK, your answers are kept."
SUBMITTING = "Your answers are being sent."
ALREADY_SUBMITTED = "You've already completed this questionnaire. Thank you!"
