"""Controls whose values live in the URL as stable values: ``?sort=value&condition=ptsd&max_price=500``.

Streamlit's ``bind="query-params"`` writes an option's *label* into the URL (``sort=Best+value+%28score...``),
so a reworded label would break every link shared before. A page here declares its URL parameters once
(:class:`Param`) and, for each widget, passes ``key=p.key`` and the value :func:`start` gives as the
widget's own starting value (``value``/``index``/``default``); :func:`publish` after the widgets writes the
values back, leaving defaults out so a link holds only what was chosen.

- ``start`` reads the URL whenever the widget is not alive yet (a page opened from a link, or come back
  to), as the value or, for links made before, as its old label; anything else is ignored. Anything
  counted from the values, such as "Filters (2 set)", is right on the first run (:func:`current`).
- The value is the widget's *starting value*, never written into session state before the widget exists:
  Streamlit 1.67 does not always hand a value set that way to a widget the browser has not drawn yet (one
  inside a closed popover), and the next click elsewhere then put the widget back to its default. With a
  key, a widget keeps its identity when its starting value changes, so no choice is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import streamlit as st

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Param:
    """One control carried by the URL: its widget key (also the parameter's name), default and allowed values.

    ``options`` None means any value of ``default``'s type (text, a whole number, or a number in
    ``bounds``); ``label`` is how an option reads on screen (old URLs carried it); ``many`` for a list.
    """

    key: str
    default: object
    options: Sequence | None = None
    label: Callable[[object], str] | None = None
    many: bool = False
    bounds: tuple[float, float] | None = None
    _lookup: dict[str, object] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, object] = {}
        for option in self.options or ():
            if self.label is not None:
                lookup.setdefault(_key(str(self.label(option))), option)
            lookup[_key(str(option))] = option  # the value wins over a label that reads the same
        object.__setattr__(self, "_lookup", lookup)

    def _one(self, raw: str) -> object | None:
        """One URL value as an option (or a value of the default's type), None when it is not one."""
        if self.options is not None:
            return self._lookup.get(_key(raw))
        if isinstance(self.default, bool):
            word = raw.strip().lower()
            return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None
        if isinstance(self.default, int | float):
            try:
                number = type(self.default)(raw.strip())
            except ValueError:
                return None
            low, high = self.bounds or (float("-inf"), float("inf"))
            return number if low <= number <= high else None
        return raw

    def read(self, values: list[str]) -> object:
        """The value the URL asks for, or the default when it asks for nothing usable."""
        if self.many:
            chosen = [v for v in (self._one(raw) for raw in values) if v is not None]
            return list(dict.fromkeys(chosen))  # in order, once each
        value = self._one(values[-1]) if values else None
        return self.default if value is None else value

    def write(self, value: object) -> list[str]:
        """The value as URL text ([] for the default: left out of the URL)."""
        if self.many:
            return [str(v) for v in value or ()]
        if value == self.default or value is None:
            return []
        if isinstance(value, bool):
            return ["true" if value else "false"]
        if isinstance(value, float) and value.is_integer():
            return [f"{value:g}"]
        return [str(value)]

    def is_set(self, value: object) -> bool:
        """Whether ``value`` differs from the default (a filter that is 'set')."""
        return bool(value) if self.many else value != self.default


def _start_key(p: Param) -> str:
    return f"_url_start_{p.key}"


def start(p: Param) -> object:
    """The widget's starting value: what the URL asks for when the widget is not alive yet (see the module)."""
    if p.key not in st.session_state or _start_key(p) not in st.session_state:
        st.session_state[_start_key(p)] = p.read(st.query_params.get_all(p.key))
    return st.session_state[_start_key(p)]


def current(p: Param) -> object:
    """The control's value in this run: the widget's, or its starting value before the widget is drawn."""
    return st.session_state[p.key] if p.key in st.session_state else start(p)


def publish(params: Sequence[Param]) -> None:
    """Write each control's value into the URL; defaults are left out."""
    for p in params:
        text = p.write(current(p))
        if text != st.query_params.get_all(p.key):
            if text:
                st.query_params[p.key] = text if p.many else text[0]
            else:
                st.query_params.pop(p.key, None)


def count_set(params: Sequence[Param]) -> int:
    """How many of ``params`` hold something other than their default."""
    return sum(p.is_set(current(p)) for p in params)
