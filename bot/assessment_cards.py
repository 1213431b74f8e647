"""Adaptive Cards for an agency lead's self-assessment: one standard per card, the review, the actions.

Every button is an ``Action.Submit`` with data ``{"action": "assessment", "op": ...,
"standard": id}``; Teams merges the card's inputs (``how_met``, ``impact``,
``actions``, ``lead``, ``due``, ``alternative``, ``status``) into the value it
sends back. The layout only: ``assessments.chat`` decides what is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botbuilder.schema import Activity

from assessments.chat import PausedView, ReviewView, StandardView, Step, SubmittedView, View
from assessments.model import ACTION_STATUSES, Entry, Rating, StandardSet
from assessments.rules import Judgement
from bot.cards import _action_set, _stacked, _submit, _text, answered_card, card, card_activity, retired_card

ACTION = "assessment"
# Rating buttons are all one style: card buttons come in three styles, none blue or amber, so
# colour would mislead (Blue and Green alike); coloured-circle emoji show as boxes without an emoji font.


def _data(op: str, standard: str | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"action": ACTION, "op": op, **extra}
    if standard is not None:
        data["standard"] = standard
    return data


def _input(
    ident: str, label: str, value: str, *, multiline: bool = True, placeholder: str = ""
) -> dict[str, Any]:
    return {
        "type": "Input.Text",
        "id": ident,
        "label": label,
        "value": value,
        "isMultiline": multiline,
        "maxLength": 4000,
        "placeholder": placeholder,
    }


def standard_card(view: StandardView) -> dict[str, Any]:
    """One standard: what it asks, its checklist, the sections, the action, and a button per rating."""
    standard, entry = view.standard, view.entry
    body: list[dict[str, Any]] = []
    if view.note:
        body.append(_text(view.note, color="attention", weight="bolder"))
    body += [
        _text(
            f"Standard {view.number} of {view.total} · Part {standard.part}: {view.part_title}", isSubtle=True
        ),
        _text(f"{standard.id} {standard.title}", weight="bolder", size="medium"),
        _text(standard.description),
        _text("Compliance checklist", weight="bolder"),
        *(_text(f"• {point.id} {point.text}", spacing="none") for point in standard.checklist),
        _input(
            "how_met",
            "Describe / identify how your organisation meets this standard",
            entry.how_met,
            placeholder="Address the checklist points. Do not name the people you work with.",
        ),
        _input(
            "impact",
            "What impact has this had on outcomes for children and adults with care and support needs?",
            entry.impact,
        ),
        _input(
            "actions", "Actions required to raise to Green / Blue (needed for Amber and Red)", entry.actions
        ),
        _input("lead", "Lead for the actions", entry.lead, multiline=False),
        {
            "type": "Input.Date",
            "id": "due",
            "label": "Timescale: complete by",
            "value": entry.due.isoformat() if entry.due else "",
        },
        _text(
            "Blue needs every checklist point evidenced and the practitioner questionnaire completed: "
            f"{view.evidence.explanation}.",
            isSubtle=True,
            size="small",
        ),
        _text("Rate this standard (your answers above are saved with it):", weight="bolder"),
    ]
    rated = entry.rating
    body += _stacked(
        _submit(
            f"{'✓ ' if rating is rated else ''}{rating.label}: {rating.meaning}",
            _data("rate", standard.id, rating=rating.value),
        )
        for rating in Rating
    )
    moves = [_submit("Pause", _data("pause", standard.id))]
    if view.number > 1:
        moves.insert(0, _submit("Back", _data("back", standard.id)))
    moves.append(_submit("Review and submit", _data("review", standard.id)))
    body.append(_action_set(moves, spacing="medium"))
    return card(body, f"{standard.id} {standard.title}")


def _judgement_line(judgement: Judgement) -> str:
    own = judgement.self_rating.label if judgement.self_rating else "not rated"
    if judgement.standing is None or judgement.standing is judgement.self_rating:
        return own
    reasons = "; then ".join(d.reason for d in judgement.downgrades)
    return f"{own}, stands as {judgement.standing.label}: {reasons}"


def review_card(view: ReviewView) -> dict[str, Any]:
    """Every standard with its rating (and the one that would stand), then submit or change one."""
    body: list[dict[str, Any]] = []
    if view.refused:
        body.append(_text("Still to do before you can submit:", color="attention", weight="bolder"))
        body += [_text(f"• {refusal.message}", color="attention", spacing="none") for refusal in view.refused]
    body += [
        _text("Your self-assessment", weight="bolder", size="medium"),
        {
            "type": "FactSet",
            "facts": [
                {"title": j.standard, "value": f"{view.titles[j.standard]}: {_judgement_line(j)}"}
                for j in view.judgements
            ],
        },
        _text(f"Practitioner questionnaire: {view.evidence.explanation}.", isSubtle=True, size="small"),
        _input(
            "alternative",
            "If your agency used another questionnaire instead, describe it (the board decides on it)",
            view.alternative,
        ),
        {
            "type": "Input.ChoiceSet",
            "id": "target",
            "label": "Change a standard",
            "style": "compact",
            "value": view.refused[0].standard if view.refused else view.judgements[0].standard,
            "choices": [{"title": j.standard, "value": j.standard} for j in view.judgements],
        },
    ]
    moves = [_submit("Change", _data("goto")), _submit("Pause", _data("pause"))]
    if not view.refused:  # nothing to press that could only be refused
        moves.insert(0, _submit("Submit to the board", _data("submit"), style="positive"))
    body.append(_action_set(moves, spacing="medium"))
    return card(body, "Your self-assessment: review and submit")


def submitted_card(view: SubmittedView) -> dict[str, Any]:
    body = [
        _text("Thank you: your self-assessment has gone to the board.", weight="bolder"),
        {
            "type": "FactSet",
            "facts": [
                {"title": j.standard, "value": f"{view.titles[j.standard]}: {_judgement_line(j)}"}
                for j in view.judgements
            ],
        },
        _text('Type "my actions" to update the status of your actions as they progress.', isSubtle=True),
    ]
    return card(body, "Your self-assessment has gone to the board")


def paused_card(view: PausedView) -> dict[str, Any]:
    text = f"Paused with {view.answered} of {view.total} standards rated. Everything is kept."
    body = [_text(text), *_stacked([_submit("Carry on with the self-assessment", _data("start"))])]
    return card(body, text)


def view_activity(view: View) -> Activity:
    if isinstance(view, StandardView):
        content = standard_card(view)
    elif isinstance(view, ReviewView):
        content = review_card(view)
    elif isinstance(view, SubmittedView):
        content = submitted_card(view)
    else:
        content = paused_card(view)
    return card_activity(content)


def action_card(entry: Entry, standing: Rating | None) -> dict[str, Any]:
    """One action with its lead, due date and status, and a drop-down to change the status."""
    rating = f" · {standing.label}" if standing else ""
    body = [
        _text(f"{entry.standard}{rating}: {entry.actions}", weight="bolder"),
        {
            "type": "FactSet",
            "facts": [
                {"title": "Lead", "value": entry.lead or "-"},
                {"title": "Due", "value": entry.due.isoformat() if entry.due else "-"},
                {"title": "Status", "value": entry.status},
            ],
        },
        {
            "type": "Input.ChoiceSet",
            "id": "status",
            "label": "Status",
            "style": "compact",
            "value": entry.status,
            "choices": [{"title": status, "value": status} for status in ACTION_STATUSES],
        },
        _action_set([_submit("Update status", _data("status", entry.standard))]),
    ]
    return card(body, f"Action for {entry.standard}: {entry.actions}")


def pressed_card(standards: StandardSet, value: Mapping[str, Any], step: Step) -> dict[str, Any] | None:
    """What the card that was pressed becomes, so an old card's buttons cannot be pressed again."""
    op = value.get("op")
    if op in (None, "", "start"):
        return None
    if step.submitted is not None:
        return answered_card("Your self-assessment", "Submitted to the board")
    standard_id = value.get("standard")
    if standard_id not in {s.id for s in standards}:
        return retired_card("Your self-assessment")
    standard = standards.standard(str(standard_id))
    question = f"{standard.id} {standard.title}"
    if isinstance(step.view, StandardView) and step.view.standard.id == standard.id:
        return retired_card(question)  # the same standard is asked again below, with a note
    entry = step.progress.entries.get(standard.id)
    return answered_card(
        question, f"{entry.rating.label if entry and entry.rating else 'Not rated yet'} (saved)"
    )


def status_card(standard: str, status: str) -> dict[str, Any]:
    """What an action's card becomes once its status is updated."""
    return answered_card(f"Action for {standard}", f"Status: {status}")
