"""Every change Union Helper makes to Rasa's own code at run time, in one place.

Two CPU savings of the Rasa server live inside Rasa functions that offer no hook (see
docs/bench-ablation.md for what each saves). Each patch here follows three rules:

* **Narrow.** It replaces one attribute of one Rasa class on the call path that needs it,
  never a library function process-wide (the old ``jsonschema.validate`` swap worked only
  because Rasa 3.6 imports it inside a function, and it changed every caller).
* **Checked.** It is written against the pinned versions in :data:`PINNED` (the same as
  requirements.txt / constraints.txt; a test keeps them equal). On any other installed
  version it refuses to install, with one log line, and Rasa runs its own code: slower,
  never different.
* **Removable.** :func:`remove` puts Rasa's original back, so a test leaves the process
  as it found it (:func:`applied` does both around a block).

What is *not* a patch: the REST channel, the tracker store and the lock store are
subclasses that Rasa loads by module path (credentials.yml, endpoints*.yml); where they
override a private hook they say so beside it, and the channel uses
:func:`version_problem` to fall back to Rasa's own request parsing on another version.

The patches go in when the Rasa server builds its app (``rasa_ext.channels.RestInput``
calls :func:`rasa_ext.speedups.install`), not when a module is imported, so a test that
only imports ``rasa_ext`` gets Rasa as shipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any

logger = logging.getLogger(__name__)

#: The versions every patch (and every private hook of ours) was written and measured
#: against: requirements.txt / constraints.txt (tests/rasa_ext/test_patches.py compares).
PINNED: dict[str, str] = {"rasa": "3.6.21", "rasa-sdk": "3.6.2", "jsonschema": "4.17.3"}

Undo = Callable[[], None]


@dataclass(frozen=True)
class Patch:
    """One replaced attribute: ``apply`` installs it and returns how to undo it."""

    name: str
    target: str
    requires: tuple[str, ...]
    apply: Callable[[], Undo]


def installed_versions(distributions: Iterable[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in distributions:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def version_problem(requires: Iterable[str], versions: Mapping[str, str | None] | None = None) -> str | None:
    """Why code written for :data:`PINNED` must not run here, or None when it may.

    ``versions`` (distribution → installed version) defaults to what is installed.
    """
    requires = tuple(requires)
    versions = installed_versions(requires) if versions is None else versions
    wrong = [
        f"{name} {versions.get(name) or 'missing'} (written for {PINNED[name]})"
        for name in requires
        if versions.get(name) != PINNED[name]
    ]
    return ", ".join(wrong) or None


# ---------------------------------------------------------------- fastval


def _fast_action_reply_validation() -> Undo:
    """Rasa checks every custom action's reply with ``jsonschema.validate``
    (``RemoteAction._validate_action_result``). That call first checks the *schema* against
    its meta-schema and builds a new validator, every time: ~20 ms of CPU per turn, more
    than the NLU and the policies together. Rasa's schema is a constant, so it is checked
    once here and its validator kept; every reply is still fully validated, and a bad one
    goes through Rasa's own method, so it raises Rasa's error with Rasa's message."""
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    # Private API, unavoidable: Rasa has no hook for how an action reply is validated.
    original = RemoteAction.__dict__["_validate_action_result"]
    spec = RemoteAction.action_response_format_spec
    schema = spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of once per reply
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if type(self).action_response_format_spec is spec and validator.is_valid(result):
            return True
        return original(self, result)

    RemoteAction._validate_action_result = _validate_action_result

    def undo() -> None:
        RemoteAction._validate_action_result = original

    return undo


# ---------------------------------------------------------------- evcache


def _event_class_cache() -> Undo:
    """Loading a conversation turns each stored event back into an object with
    ``Event.resolve_by_type``, which walks the whole ``Event`` class tree for *each
    event* (~4 ms per turn for a 30-event session). The class found for a type name is
    remembered: the first match, exactly as Rasa picks it; unknown names, and the
    ``default`` Rasa passes for them, still go through Rasa's lookup every time."""
    from rasa.shared.core.events import Event

    original = Event.__dict__["resolve_by_type"]  # the staticmethod object itself
    lookup = original.__func__
    known: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        cls = known.get(type_name)
        if cls is None:
            cls = lookup(type_name, default)
            if cls is not None and cls is not default:
                known[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)

    def undo() -> None:
        Event.resolve_by_type = original

    return undo


PATCHES: dict[str, Patch] = {
    patch.name: patch
    for patch in (
        Patch(
            "fastval",
            "rasa.core.actions.action.RemoteAction._validate_action_result",
            ("rasa", "jsonschema"),
            _fast_action_reply_validation,
        ),
        Patch("evcache", "rasa.shared.core.events.Event.resolve_by_type", ("rasa",), _event_class_cache),
    )
}

_undo: dict[str, Undo] = {}
_lock = threading.Lock()


def install(names: Iterable[str], versions: Mapping[str, str | None] | None = None) -> list[str]:
    """Install the named patches (idempotent); returns those now in effect.

    A patch whose versions are not :data:`PINNED` is refused with one warning.
    ``versions`` overrides what is installed (for tests).
    """
    active = []
    with _lock:
        for name in names:
            patch = PATCHES[name]
            if name not in _undo:
                problem = version_problem(patch.requires, versions)
                if problem:
                    logger.warning(
                        "Rasa patch %s (%s) not installed: %s; Rasa's own code runs instead",
                        name,
                        patch.target,
                        problem,
                    )
                    continue
                _undo[name] = patch.apply()
                logger.debug("Rasa patch %s installed on %s", name, patch.target)
            active.append(name)
    return active


def remove(names: Iterable[str] | None = None) -> None:
    """Put Rasa's originals back (default: of every installed patch)."""
    with _lock:
        for name in list(_undo if names is None else names):
            undo = _undo.pop(name, None)
            if undo is not None:
                undo()


def installed() -> list[str]:
    return [name for name in PATCHES if name in _undo]


@contextmanager
def applied(names: Iterable[str] | None = None) -> Iterator[list[str]]:
    """The named patches (default: all) for the duration of a block, then the state as before."""
    before = set(installed())
    active = install(PATCHES if names is None else names)
    try:
        yield active
    finally:
        remove([name for name in active if name not in before])
