"""The keyboard's own packing of callback data agrees with aiogram's for every kind of button."""

import enum
import typing

import pytest
from aiogram.filters.callback_data import CallbackData

import handlers.callbacks as callbacks
from handlers.keyboards import Keyboard, callback_button, packed, pairs

KINDS = [
    kind
    for kind in vars(callbacks).values()
    if isinstance(kind, type) and issubclass(kind, CallbackData) and kind is not CallbackData
]


def samples(annotation: typing.Any) -> list[typing.Any]:
    """Values of a field's type, its edges included (None, False, 0)."""
    for arg in typing.get_args(annotation) or (annotation,):
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return list(arg)
    if annotation is bool:
        return [True, False]
    args = typing.get_args(annotation)
    if type(None) in args:
        return [None, 7]
    if str in args or annotation is str:
        return ["ru", ""]
    return [0, 1, 2**31 - 1]


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_packed_is_what_aiogram_packs(kind: type[CallbackData]) -> None:
    assert KINDS and len(KINDS) > 10
    fields = kind.model_fields
    for n in range(3):
        values = {name: samples(field.annotation)[n % len(samples(field.annotation))] for name, field in fields.items()}
        data = kind.model_construct()  # a field may be named `cls`: the values go in by hand, in order
        object.__setattr__(data, "__dict__", {name: values[name] for name in fields})
        assert packed(data) == data.pack()


def test_a_button_is_made_once_for_its_label_and_press() -> None:
    first = Keyboard().button(
        text="✅ Иванов И.", callback_data=callbacks.AttCb(lesson=1, op=callbacks.AttOp.TOGGLE, student=2)
    )
    again = Keyboard().button(text="✅ Иванов И.", callback_data="at:1:t:2")
    assert first.export()[0][0] is again.export()[0][0] is callback_button("✅ Иванов И.", "at:1:t:2")
    other = Keyboard().button(text="❌ Иванов И.", callback_data="at:1:t:2").export()[0][0]
    assert other.text == "❌ Иванов И." and other is not first.export()[0][0]


def test_pairs_leave_an_odd_last_button_alone() -> None:
    assert pairs(4) == [2, 2] and pairs(5) == [2, 2, 1] and pairs(0) == [] and pairs(1) == [1]
