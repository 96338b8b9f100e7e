"""What every part of Union Helper shares and nothing else owns.

* :mod:`common.settings` — the one reader of environment variables;
* :mod:`common.clock` — "now" and "today" in Ningbo, injectable (tests never read the
  real clock);
* :mod:`common.privacy` — the one masking policy for phone, certificate and ID numbers
  (logs, transcripts, exports);
* :mod:`common.texts` — the words workers and staff read that are not Rasa responses.

This package imports nothing of ours: knowledge, registry, actions, bot and rasa_ext all
build on it, never the other way round.
"""
