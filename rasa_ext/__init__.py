"""Extensions the Rasa server loads by module path from endpoints.yml and credentials.yml.

Rasa imports this package after it configured logging, so this is where the Rasa server
process gets the same log masking as the action server (see :mod:`rasa_ext.redaction`)
and its CPU savings (see :mod:`rasa_ext.speedups`).
"""

from rasa_ext import redaction as _redaction
from rasa_ext import speedups as _speedups

_redaction.install()
_speedups.install()
