"""A tracker's initial copy without ``copy.copy``'s generic protocol (the ``fastcopy``
speed-up, installed by :mod:`rasa_ext.patches` on ``DialogueStateTracker.init_copy``).

Why (py-spy under 50 workers, docs/bench-ablation.md): Rasa starts every replay of a
conversation — each prediction's dialogue states, the copy made before each action — with
``init_copy()``, whose constructor copies every slot of the domain with ``copy.copy``: 39
slots here, through ``__reduce_ex__``, ``copyreg.__newobj__`` and ``copy._reconstruct``
each time, 10 % of the Rasa server's event loop. For a plain object ``copy.copy`` makes a
new instance of the class and gives it the same ``__dict__``; :func:`initial_copy` does
that directly, then resets the slots as the constructor does. A slot class with its own
copying (``__copy__``, ``__reduce__``, state hooks, non-empty ``__slots__``) still goes
through ``copy.copy``.
"""

from __future__ import annotations

import copy

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

#: Slot classes checked to copy like plain objects.
_PLAIN_SLOT_CLASSES: set[type] = set()


def initial_copy(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """What ``DialogueStateTracker.init_copy`` returns (Rasa 3.6.21): a tracker with the
    same sender, slots (copied, reset), event-history bound and rule flag, and no events."""
    copied = DialogueStateTracker(
        tracker.sender_id or DEFAULT_SENDER_ID, [], tracker._max_event_history, is_rule_tracker=tracker.is_rule_tracker
    )
    copied.slots = {slot.name: copy_slot(slot) for slot in tracker.slots.values()}
    copied._reset_slots()
    return copied


def copy_slot(slot: Slot) -> Slot:
    """``copy.copy(slot)``."""
    cls = type(slot)
    if cls not in _PLAIN_SLOT_CLASSES:
        if not _copies_plainly(cls):
            return copy.copy(slot)
        _PLAIN_SLOT_CLASSES.add(cls)
    new: Slot = cls.__new__(cls)  # type: ignore[call-overload]
    new.__dict__.update(slot.__dict__)
    return new


def _copies_plainly(cls: type) -> bool:
    return not (
        any(hasattr(cls, name) for name in ("__copy__", "__setstate__", "__getstate__"))
        or any(klass.__dict__.get("__slots__") for klass in cls.__mro__)  # ABC's empty one is fine
        or cls.__reduce_ex__ is not object.__reduce_ex__
        or cls.__reduce__ is not object.__reduce__
        or copy._copy_dispatch.get(cls) is not None  # type: ignore[attr-defined]
    )
