"""Which of the Rasa server's CPU savings are on (``UH_RASA_SPEEDUPS``).

Measured with ``make bench`` (docs/benchmarks.md): together with dropping TEDPolicy they
take a turn with a custom action from ~62 ms to ~7 ms of server CPU (Rasa and action server), below the stock
``rasa init`` assistant's ~27 ms for a turn without one. They change nothing Rasa
answers; what each does, and how it is fenced, is in :mod:`rasa_ext.patches`:

* ``fastval``: a custom action's reply is validated against a schema checked once, each
  event against its own type's rules (:mod:`rasa_ext.reply_validation`);
* ``evcache``: the event class of a stored event's type name is looked up once;
* ``payload``: a button payload (``/intent{...}``) is parsed as Rasa's RegexMessageHandler
  parses it, without running the tokenizer, featurizers and classifiers first;
* ``parsecache``: a text the model has parsed recently is not parsed again (bounded,
  keyed by model id and text; no text with a long number is kept);
* ``keepalive``: the calls to the action server share one open HTTP session (and its
  kept-alive connections) instead of a new session and TCP connection per custom action;
* ``fastcopy``: a tracker's initial copy (every replay starts with one) copies the slots
  directly instead of through ``copy.copy``'s generic protocol (:mod:`rasa_ext.tracker_copy`);
* ``priorstates``: the policies' dialogue states of a conversation's earlier turns are
  computed once, not on every prediction, and one replay of the tracker serves every
  policy of a prediction (:mod:`rasa_ext.prior_states`);
* ``rulematch``: RulePolicy checks each rule against as many of the latest states as the
  rule is long, instead of every state of the session (:mod:`rasa_ext.rule_matching`);
* ``trackercache``: not a patch but a feature of our tracker store
  (:mod:`rasa_ext.tracker_store`, :mod:`rasa_ext.tracker_cache`): a conversation this
  process saved last is not loaded and replayed again on its next turn.

``UH_RASA_SPEEDUPS=none`` (or a comma-separated subset) switches them off, to compare or
to rule them out when debugging.
"""

from __future__ import annotations

from common import settings
from rasa_ext import patches

FEATURES: tuple[str, ...] = (
    "fastval",
    "evcache",
    "payload",
    "parsecache",
    "keepalive",
    "fastcopy",
    "priorstates",
    "rulematch",
    "trackercache",
)
#: Switched by the same setting but built into our own classes, not patched into Rasa's.
OWN_FEATURES = frozenset({"trackercache"})


def selected(setting: str | None) -> list[str]:
    """Names switched on by an ``UH_RASA_SPEEDUPS`` value (unset or "all": every one)."""
    value = (setting or "all").strip().lower()
    if value == "all":
        return list(FEATURES)
    if value in {"none", "off", "0", "false"}:
        return []
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"UH_RASA_SPEEDUPS: unknown {unknown}; known: {sorted(FEATURES)}, all, none")
    return names


def enabled(name: str, setting: str | None = None) -> bool:
    """Whether ``name`` is on in ``setting`` (default: the ``UH_RASA_SPEEDUPS`` setting)."""
    return name in selected(settings.load().rasa_speedups if setting is None else setting)


def install(setting: str | None = None) -> list[str]:
    """Install the speed-ups named by ``setting`` (default: the ``UH_RASA_SPEEDUPS``
    setting); returns those in effect (a patch refused on another Rasa version is not)."""
    names = selected(settings.load().rasa_speedups if setting is None else setting)
    return patches.install([n for n in names if n not in OWN_FEATURES]) + [n for n in names if n in OWN_FEATURES]
