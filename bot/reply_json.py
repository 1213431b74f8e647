"""Replies written as JSON for the Bot Connector without msrest's per-value machinery.

msrest turns an ``Activity`` into JSON in three passes (it re-reads the model as
if it were a dict, validates every attribute, then serialises every attribute
and every value through a chain of type lookups), and rebuilds a value typed
``object`` (an Adaptive Card: an attachment's ``content``) key by key into an
equal copy. For a question card that was 2-5 ms of CPU per reply, more than the
rest of a survey turn. ``ReplySerializer`` writes the same JSON directly when a
reply holds only what the bot builds (models, exact strings and booleans,
string enums, dates, plain-JSON cards), and hands anything else to msrest as before.

It is the same JSON because, for these models, msrest's passes reduce to this:
the Bot Connector's models declare no validation constraints, no
``additional_properties`` and no flattened keys, and msrest leaves out
attributes that are None and writes the others under their wire names in the
order of ``_attribute_map``. The result is only ever handed to ``json.dumps``,
so passing a card's own dict writes the same bytes as msrest's copy would.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from msrest.serialization import Model, Serializer

#: msrest's type names whose values are written as they are, when of exactly that Python type.
_SCALARS: dict[str, type] = {"str": str, "bool": bool, "int": int, "float": float}
_JSON_SCALARS = (str, int, float, bool)


class _Unusual(Exception):
    """A value the direct path does not write; msrest serialises the whole reply instead."""


def _plain_json(value: Any) -> bool:
    """Whether ``value`` is built only of dicts with string keys, lists and JSON scalars."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str and _plain_json(item) for key, item in value.items())
    if kind is list:
        return all(_plain_json(item) for item in value)
    return value is None or kind in _JSON_SCALARS


def _value(value: Any, kind: str) -> Any:
    """``value`` of msrest type ``kind`` as JSON, or ``_Unusual``."""
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        if type(value) is scalar:
            return value
        if kind == "str" and isinstance(value, Enum) and type(value.value) is str:
            return value.value  # msrest writes an enum's value (ActivityTypes.message: "message")
    elif kind == "object":
        if _plain_json(value):
            return value
    elif kind == "iso-8601":
        return Serializer.serialize_iso(value)  # type: ignore[no-untyped-call]  # msrest is untyped
    elif kind.startswith("[") and kind.endswith("]"):
        if type(value) is list and all(item is not None for item in value):
            return [_value(item, kind[1:-1]) for item in value]
    elif isinstance(value, Model):
        return _model(value)
    raise _Unusual


def _model(model: Model) -> dict[str, Any]:
    """A model as msrest writes it: wire names in ``_attribute_map`` order, None left out."""
    if model._validation:
        raise _Unusual
    written: dict[str, Any] = {}
    for attr, desc in model._attribute_map.items():
        value = getattr(model, attr, None)
        if value is not None:
            key = desc["key"]
            if not key or "." in key:  # additional properties or a flattened key: msrest's own cases
                raise _Unusual
            written[key] = _value(value, desc["type"])
    return written


class ReplySerializer(Serializer):
    """msrest's serialiser for a connector client, writing ordinary replies directly (see module)."""

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if isinstance(data, Model) and not kwargs:
            try:
                return _model(data)
            except _Unusual:
                pass
        return super().body(data, data_type, **kwargs)  # type: ignore[no-untyped-call]

    def serialize_object(self, attr: Any, **kwargs: Any) -> Any:
        """A plain-JSON value typed ``object`` as it is (msrest would copy it value by value)."""
        if _plain_json(attr):
            return attr
        return super().serialize_object(attr, **kwargs)  # type: ignore[no-untyped-call]
