"""Custom actions of Union Helper, served by rasa-sdk's action server.

* :mod:`actions.answers` — answers and the course list from the knowledge base;
* :mod:`actions.handoff` — a person takes over; the last-resort fallback;
* :mod:`actions.signup` — the sign-up forms, one module each (profile, enrollment,
  reading_team, subsidy, cancel, delete_data) on a shared base and one parsing module;
* :mod:`actions.my_records` — 我的报名 / 我的数据 / 我的申请;
* :mod:`actions.stores` — the knowledge base and the registry, off the event loop;
* :mod:`actions.replies` — buttons and source lines; the words are in ``common.texts``.

rasa-sdk imports every submodule of this package at start-up and registers every
concrete ``Action`` subclass, so modules here do no work at import time and every base
class stays abstract.
"""
