"""An incoming activity's JSON read into botbuilder's ``Activity`` without msrest's per-value machinery.

``Activity().deserialize(body)`` builds a fresh ``Deserializer`` (collecting
every class of ``botbuilder.schema`` into a dict first), then for each of the
activity's 43 attributes and each attribute of every nested model copies the
attribute's description, runs two key extractors and dispatches the value
through a chain of type lookups; a value typed ``object`` (a card's values,
``channelData``) is rebuilt key by key. :func:`read_activity_model` builds
the same objects directly, from a plan made once per model class, when the
body holds only the usual (each value of the JSON type its attribute
declares), and hands anything else to msrest as before, so an odd activity
gets exactly what msrest makes of it, or the error msrest raises.

It is the same object because, for the models an activity is made of, msrest
reduces to this (tests/bot/test_activity_json.py compares the two on real
Teams activities and on hostile ones): they declare no validation, no
subtypes, no flattened keys and no enums; msrest passes every attribute to
the model's constructor (None when absent), keeps a string, boolean or number
of its declared type as it is, parses ``iso-8601`` strings with its own
``deserialize_iso``, copies ``object`` values (dicts and lists anew, scalars
as they are), and keeps fields it does not know in ``additional_properties``
as they are.
"""

from __future__ import annotations

from typing import Any, TypeVar

import botbuilder.schema
from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model

M = TypeVar("M", bound=Model)

#: msrest's type names whose values are kept as they are when of exactly that Python type.
_SCALARS: dict[str, type] = {"str": str, "bool": bool, "int": int, "float": float}
_JSON_SCALARS = (str, int, float, bool)
# What msrest looks model names up in for botbuilder's models (Model._infer_class_models).
_MODELS: dict[str, type] = {
    name: value for name, value in vars(botbuilder.schema).items() if isinstance(value, type)
}


class _Unusual(Exception):
    """A value the direct path does not read; msrest reads the whole activity instead."""


class _Plan:
    """How msrest reads one model class: (attribute, wire key, msrest type) and the keys it knows."""

    __slots__ = ("cls", "fields", "known")

    def __init__(self, cls: type[Model]) -> None:
        if cls._validation or cls.__dict__.get("_subtype_map"):
            raise _Unusual  # msrest treats read-only, constant and polymorphic models specially
        fields = []
        for attr, desc in cls._attribute_map.items():
            key = desc["key"]
            if not key or "." in key:  # additional properties or a flattened key: msrest's own cases
                raise _Unusual
            fields.append((attr, key, desc["type"]))
        self.cls = cls
        self.fields = tuple(fields)
        self.known = frozenset(key for _, key, _ in fields)


_plans: dict[type, _Plan | None] = {}


def _plan(cls: type[Model]) -> _Plan:
    try:
        plan = _plans[cls]
    except KeyError:
        try:
            plan = _Plan(cls)
        except _Unusual:
            plan = None
        _plans[cls] = plan
    if plan is None:
        raise _Unusual
    return plan


def _copy_json(value: Any) -> Any:
    """A copy of parsed JSON, as msrest's ``deserialize_object`` makes it (new dicts and lists)."""
    kind = type(value)
    if kind is dict:
        return {key: _copy_json(item) for key, item in value.items()}
    if kind is list:
        return [_copy_json(item) for item in value]
    if value is None or kind in _JSON_SCALARS:
        return value
    raise _Unusual


def _value(value: Any, kind: str) -> Any:
    """``value`` (not None) read as msrest type ``kind``, or ``_Unusual``."""
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        if type(value) is scalar:
            return value
    elif kind == "object":
        return _copy_json(value)
    elif kind == "iso-8601":
        if type(value) is str:
            return Deserializer.deserialize_iso(value)  # type: ignore[no-untyped-call]  # msrest is untyped
    elif kind.startswith("[") and kind.endswith("]"):
        if type(value) is list:
            inner = kind[1:-1]
            return [None if item is None else _value(item, inner) for item in value]
    elif kind.startswith("{") and kind.endswith("}"):
        if type(value) is dict:
            inner = kind[1:-1]
            return {key: None if item is None else _value(item, inner) for key, item in value.items()}
    else:
        model = _MODELS.get(kind)
        if model is not None and issubclass(model, Model):
            return _model(model, value)
    raise _Unusual


def _model(cls: type[M], data: Any) -> M:
    if type(data) is not dict:
        raise _Unusual
    plan = _plan(cls)
    kwargs: dict[str, Any] = {}
    for attr, key, kind in plan.fields:
        raw = data.get(key)
        kwargs[attr] = None if raw is None else _value(raw, kind)
    model = cls(**kwargs)
    extra = {key: item for key, item in data.items() if key not in plan.known}
    if extra:  # as msrest: fields it does not know, as they are
        model.additional_properties = extra
    return model


def read_activity_model(body: dict[str, Any]) -> Activity:
    """``Activity().deserialize(body)``, built directly when ``body`` holds only the usual.

    Raises what msrest raises for a body it cannot read.
    """
    try:
        return _model(Activity, body)
    except Exception:  # anything unusual, including a value msrest refuses: msrest decides, as before
        return Activity().deserialize(body)
