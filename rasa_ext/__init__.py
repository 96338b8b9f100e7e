"""Extensions the Rasa server loads by module path from endpoints.yml and credentials.yml.

Rasa imports this package after it configured logging, so importing it gives the Rasa
server process the same log masking as the action server (see :mod:`rasa_ext.redaction`):
any process that loads our Rasa extensions masks its logs, whatever else it does.

Rasa's own code is changed only in :mod:`rasa_ext.patches`, and only once the Rasa server
builds its app (:meth:`rasa_ext.channels.RestInput.blueprint` installs the speed-ups of
:mod:`rasa_ext.speedups`): importing a module of this package leaves Rasa as shipped.
"""

from rasa_ext import redaction as _redaction

_redaction.install()
