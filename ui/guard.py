"""What stands between a visitor and the app: bounded URL parameters, and one friendly error with an id.

A query parameter longer than MAX_PARAM_CHARS, or holding invisible characters, is dropped before any page
reads it (a place is at most vetting.geo.MAX_PLACE_CHARS; nothing else the URL carries is longer), and a
parameter repeated more than MAX_PARAM_VALUES times keeps its first values. An exception in a page shows
a sentence and an error id; the traceback goes to the server log under that id, never to the visitor.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Callable

import streamlit as st

from vetting.geo import MAX_PLACE_CHARS
from vetting.kinds import strip_invisible

MAX_PARAM_CHARS = MAX_PLACE_CHARS
MAX_PARAM_VALUES = 50  # compare takes 4 clinics, must-haves at most the checklist's criteria



class _ToStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is logged (the server's log)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


log = logging.getLogger("clinic_directory")
if not log.handlers:
    _handler = _ToStderr()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.propagate = False


IGNORED = ("Part of this link was ignored: a value in it was too long or held hidden characters. The page "
           "shows what the rest of the link asks for.")


def bound_query_params() -> None:
    """Drop URL parameters that are too long or hold invisible characters, and say that part of the link was
    ignored; keep at most MAX_PARAM_VALUES values of a repeated one."""
    dropped = False
    for key in list(st.query_params):
        values = st.query_params.get_all(key)
        kept = [v for v in values[:MAX_PARAM_VALUES] if len(v) <= MAX_PARAM_CHARS and strip_invisible(v) == v]
        if len(key) > MAX_PARAM_CHARS or not kept:
            del st.query_params[key]
        elif kept != values:
            st.query_params[key] = kept
        dropped |= len(kept) < len(values) or len(key) > MAX_PARAM_CHARS
    if dropped:
        st.warning(IGNORED, icon=":material/link_off:")


def guarded(run: Callable[[], None]) -> None:
    """Run a page; if it raises, show one plain sentence with an error id and log the traceback with it.

    st.stop() and st.rerun() pass through (they are not Exceptions)."""
    try:
        run()
    except Exception:
        error_id = uuid.uuid4().hex[:10]
        log.exception("page error %s", error_id)
        st.error(f"Sorry, something went wrong on this page. Nothing was changed. If it happens again, tell "
                 f"the directory's team this error id: {error_id}.", icon=":material/error:")
