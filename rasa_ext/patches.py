"""Every change Union Helper makes to Rasa's own code at run time, in one place.

The CPU savings of the Rasa server live inside Rasa functions that offer no hook (see
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

import copy
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import ujson

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
    than the NLU and the policies together; and the schema's ``oneOf`` then validates each
    event against all 23 event types. Rasa's schema is a constant, so it is checked once
    here, and each event is validated against its own type's rules
    (:mod:`rasa_ext.reply_validation`, which says why that is the same check); every reply
    is still fully validated, and a bad one goes through Rasa's own method, so it raises
    Rasa's error with Rasa's message."""
    from rasa.core.actions.action import RemoteAction

    from rasa_ext.reply_validation import ReplyValidator

    # Private API, unavoidable: Rasa has no hook for how an action reply is validated.
    original = RemoteAction.__dict__["_validate_action_result"]
    spec = RemoteAction.action_response_format_spec
    validator = ReplyValidator(spec())

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


# ---------------------------------------------------------------- payload, parsecache

#: Parses kept by ``parsecache`` (least recently used first out) and the longest text kept.
PARSE_CACHE_SIZE = 4096
PARSE_CACHE_MAX_TEXT = 200
#: A run of six or more digits (a phone, ID or record number typed into a form) is never
#: kept: such a text is one worker's, so caching it gains nothing and keeps it in memory.
_PERSONAL_DIGITS = re.compile(r"\d{6,}")


def _payload_parse(processor: Any, message: Any, only_output_properties: bool) -> dict[str, Any] | None:
    """The parse of a button payload (``/intent{...}``) without running the NLU graph, or
    None when the text is not a payload the domain knows (then the graph runs, as before).

    Rasa's own ``RegexMessageHandler`` sits at the end of the NLU graph and overwrites
    whatever the classifiers said with the payload's intent and entities; every
    tokenizer, featurizer and classifier before it runs for nothing. This calls the same
    function that handler calls (``YAMLStoryReader.unpack_regex_message``) on its own."""
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    text = message.text or ""
    if not text.startswith("/"):
        return None
    data = {TEXT: text, "message_id": message.message_id, "metadata": message.metadata}
    unpacked = YAMLStoryReader.unpack_regex_message(
        Message(data=data), processor.domain, entity_extractor_name="RegexMessageHandler"
    )
    if not unpacked.get(INTENT):  # not a payload, or one naming an intent the domain lacks
        return None
    parse_data: dict[str, Any] = {
        TEXT: "",
        INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
        ENTITIES: [],
    }
    parse_data.update(unpacked.as_dict(only_output_properties=only_output_properties))
    return parse_data


class ParseCache:
    """Parses of recent texts, keyed by model id and text: the same model parses the same
    text the same way (no NLU component here reads the conversation), and workers send
    the same few messages (你好, 谢谢, 劳模班学费谁出, a button) again and again."""

    def __init__(self, size: int = PARSE_CACHE_SIZE, max_text: int = PARSE_CACHE_MAX_TEXT) -> None:
        self.size, self.max_text = size, max_text
        self._items: OrderedDict[tuple[str, str, bool], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def key(self, model_id: str, text: str, only_output_properties: bool) -> tuple[str, str, bool] | None:
        if not text or len(text) > self.max_text or _PERSONAL_DIGITS.search(text):
            return None
        return (model_id, text, only_output_properties)

    def get(self, key: tuple[str, str, bool]) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        return copy.deepcopy(found)  # Rasa edits a parse in place (retrieval intents, events)

    def put(self, key: tuple[str, str, bool], parse_data: dict[str, Any]) -> None:
        kept = copy.deepcopy(parse_data)
        with self._lock:
            self._items[key] = kept
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


#: The cache in effect while ``parsecache`` is installed (None otherwise).
parse_cache: ParseCache | None = None
#: Which of the two parse shortcuts are on; both live in one replacement of
#: ``MessageProcessor._parse_message_with_graph`` so they install and undo in any order.
_parse_shortcuts: set[str] = set()
_original_parse: Any = None


def _parse_with_shortcuts(self: Any, message: Any, tracker: Any, only_output_properties: bool = True) -> dict[str, Any]:
    if "payload" in _parse_shortcuts:
        parsed = _payload_parse(self, message, only_output_properties)
        if parsed is not None:
            return parsed
    cache = parse_cache
    key = (
        cache.key(str(self.model_metadata.model_id), message.text or "", only_output_properties)
        if cache is not None
        else None
    )
    if cache is None or key is None:
        return _original_parse(self, message, tracker, only_output_properties)
    found = cache.get(key)
    if found is None:
        found = _original_parse(self, message, tracker, only_output_properties)
        cache.put(key, found)
    return found


def _parse_shortcut(name: str) -> Undo:
    global _original_parse, parse_cache
    from rasa.core.processor import MessageProcessor

    if not _parse_shortcuts:
        _original_parse = MessageProcessor.__dict__["_parse_message_with_graph"]
        MessageProcessor._parse_message_with_graph = _parse_with_shortcuts
    _parse_shortcuts.add(name)
    if name == "parsecache":
        parse_cache = ParseCache()

    def undo() -> None:
        global parse_cache
        _parse_shortcuts.discard(name)
        if name == "parsecache":
            parse_cache = None
        if not _parse_shortcuts:
            MessageProcessor._parse_message_with_graph = _original_parse

    return undo


def _payload_shortcut() -> Undo:
    """Button payloads skip the NLU graph (:func:`_payload_parse`): the buttons of a form
    (是/否, a course, a record) are a third of the turns inside a sign-up."""
    return _parse_shortcut("payload")


def _parse_cache() -> Undo:
    """Identical texts are parsed once per model (:class:`ParseCache`); a payload the
    ``payload`` shortcut answers is not kept."""
    return _parse_shortcut("parsecache")


# ---------------------------------------------------------------- keepalive

#: How long an idle connection to an endpoint is kept open: below Sanic's default
#: keep-alive of 5 s (an action server elsewhere may run with it; ours says 75 s), so the
#: client always gives a connection up before the server does and never posts on one the
#: server is closing.
KEEPALIVE_SECONDS = 4.0


class _KeptSession:
    """What the patched ``EndpointConfig.session`` returns: the endpoint's one open
    ``aiohttp.ClientSession`` for this event loop, which Rasa's ``async with`` enters and
    leaves without closing (every other attribute is the session's own)."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def close(self) -> None:  # closed by :func:`close_kept_sessions`, not by a caller
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


#: The open sessions, per event loop, per (url, headers, basic auth) of an endpoint.
_kept_sessions: dict[Any, dict[tuple[Any, ...], Any]] = {}


def kept_sessions() -> list[Any]:
    """The ``aiohttp.ClientSession`` objects ``keepalive`` holds open (for tests and
    :func:`close_kept_sessions`)."""
    return [session for by_key in _kept_sessions.values() for session in by_key.values()]


async def close_kept_sessions() -> int:
    """Close the sessions ``keepalive`` opened on the running event loop (the Rasa
    server calls this when it stops, ``rasa_ext.channels``); returns how many."""
    import asyncio

    by_key = _kept_sessions.pop(asyncio.get_running_loop(), {})
    for session in by_key.values():
        await session.close()
    return len(by_key)


def request_json(body: Any) -> str:
    """The JSON of a request body for the action server: ujson (installed with Rasa) instead
    of ``json.dumps``, which was 6 % of the Rasa server's event loop (the tracker and the
    domain, ~30 kB, for every custom action). The same document for what a tracker holds
    (plain dicts, lists and scalars; big integers and NaN as ``json`` writes them;
    shortest round-trip floats; ASCII escapes): tests/rasa_ext/test_keepalive.py. What
    ujson refuses (bytes, unknown objects) goes through ``json.dumps``, which raises as
    before; the one difference is an object with a ``toDict``/``__json__`` method, which
    ujson writes through it where ``json`` refused it — none is ever in a tracker.
    """
    try:
        return ujson.dumps(body, ensure_ascii=True, escape_forward_slashes=False, reject_bytes=True)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(body)


def _keep_endpoint_sessions() -> Undo:
    """Rasa 3.6's ``EndpointConfig.request`` opens a new ``aiohttp.ClientSession`` (its own
    connection pool) for every call, so every custom action costs a new TCP connection to
    the action server, its handshake and the session's set-up, on both servers' event
    loops (8 % of the Rasa server's samples under 50 workers). With this patch
    ``EndpointConfig.session`` hands back one session per endpoint and event loop, made
    exactly as Rasa makes it (headers, basic auth, timeout), whose connector keeps idle
    connections for :data:`KEEPALIVE_SECONDS`; Rasa's own ``request`` code still sends
    every call. A closed session (or another loop: a new Sanic worker, a test) gets a
    new one."""
    import asyncio

    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
    from rasa.utils.endpoints import EndpointConfig

    original = EndpointConfig.__dict__["session"]

    def session(self: EndpointConfig) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not inside a loop: nothing to keep it on
            return original(self)
        auth = tuple(sorted(self.basic_auth.items())) if self.basic_auth else None
        key = (self.url, tuple(sorted((self.headers or {}).items())), auth)
        by_key = _kept_sessions.get(loop)
        if by_key is None:
            _forget_closed_loops()
            by_key = _kept_sessions.setdefault(loop, {})
        kept = by_key.get(key)
        if kept is None or kept.closed:
            # As Rasa's own EndpointConfig.session makes it, with a connector that keeps
            # idle connections open for a while.
            kept = aiohttp.ClientSession(
                headers=self.headers,
                auth=aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth
                else None,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
                json_serialize=request_json,
            )
            by_key[key] = kept
        return _KeptSession(kept)

    EndpointConfig.session = session

    def undo() -> None:
        EndpointConfig.session = original
        _forget_closed_loops()

    return undo


def _forget_closed_loops() -> None:
    """Sessions of an event loop that has ended (a test's) cannot be closed any more."""
    for loop in [loop for loop in _kept_sessions if loop.is_closed()]:
        _kept_sessions.pop(loop, None)


# ---------------------------------------------------------------- fastcopy


def _fast_initial_copy() -> Undo:
    """``DialogueStateTracker.init_copy`` copies each slot with ``copy.copy``'s generic
    protocol; :mod:`rasa_ext.tracker_copy` copies them as that protocol would, directly.
    Only for Rasa's own class: a subclass (training's trackers) keeps its own."""
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_ext import tracker_copy

    original = DialogueStateTracker.__dict__["init_copy"]

    def init_copy(self: DialogueStateTracker) -> DialogueStateTracker:
        if type(self) is not DialogueStateTracker:
            return original(self)
        return tracker_copy.initial_copy(self)

    DialogueStateTracker.init_copy = init_copy

    def undo() -> None:
        DialogueStateTracker.init_copy = original

    return undo


# ---------------------------------------------------------------- priorstates


def _prior_states_checkpoint() -> Undo:
    """RulePolicy and MemoizationPolicy turn every earlier action of the session into a
    dialogue state on every prediction; :mod:`rasa_ext.prior_states` keeps the states
    before the latest user message for the tracker they were computed for. Only for
    Rasa's own ``DialogueStateTracker`` (training's trackers cache their states already)."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_ext import prior_states

    original = Domain.__dict__["states_for_tracker_history"]

    def states_for_tracker_history(
        self: Domain,
        tracker: DialogueStateTracker,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        if type(tracker) is not DialogueStateTracker:
            return original(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        return prior_states.states_for_tracker_history(
            self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )

    Domain.states_for_tracker_history = states_for_tracker_history

    def undo() -> None:
        Domain.states_for_tracker_history = original
        prior_states.forget_all()

    return undo


# ---------------------------------------------------------------- rulematch


def _rule_matching_by_rule() -> Undo:
    """RulePolicy asks, for every state of the session back to its first, whether each
    rule still in the running fits; :mod:`rasa_ext.rule_matching` asks only as far back
    as each rule is long and returns the same rules (Rasa's own set where the caller's
    choice would depend on its order). Only where RulePolicy's own tests are in place: a
    subclass that redefines them keeps Rasa's loop."""
    from rasa.core.policies.rule_policy import RulePolicy

    from rasa_ext import rule_matching

    original = RulePolicy.__dict__["_get_possible_keys"]
    applicable = RulePolicy.__dict__["_is_rule_applicable"]
    matches = RulePolicy.__dict__["_does_rule_match_state"]

    def _get_possible_keys(self: RulePolicy, lookup: dict[str, str], states: list[dict[str, Any]]) -> set[str]:
        cls = type(self)
        if cls._is_rule_applicable is not applicable or cls._does_rule_match_state is not matches.__func__:
            return original(self, lookup, states)
        return rule_matching.possible_keys(lookup, states, matches.__func__, lambda: original(self, lookup, states))

    RulePolicy._get_possible_keys = _get_possible_keys

    def undo() -> None:
        RulePolicy._get_possible_keys = original
        rule_matching.forget_indexes()

    return undo


#: Both parse shortcuts replace this one function (:func:`_parse_shortcut`).
_PARSE_TARGET = "rasa.core.processor.MessageProcessor._parse_message_with_graph"

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
        Patch("payload", _PARSE_TARGET, ("rasa",), _payload_shortcut),
        Patch("parsecache", _PARSE_TARGET, ("rasa",), _parse_cache),
        Patch("keepalive", "rasa.utils.endpoints.EndpointConfig.session", ("rasa",), _keep_endpoint_sessions),
        Patch("fastcopy", "rasa.shared.core.trackers.DialogueStateTracker.init_copy", ("rasa",), _fast_initial_copy),
        Patch(
            "priorstates",
            "rasa.shared.core.domain.Domain.states_for_tracker_history",
            ("rasa",),
            _prior_states_checkpoint,
        ),
        Patch(
            "rulematch",
            "rasa.core.policies.rule_policy.RulePolicy._get_possible_keys",
            ("rasa",),
            _rule_matching_by_rule,
        ),
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
