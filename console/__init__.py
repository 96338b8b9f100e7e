"""The staff console: union office staff keep the knowledge in a browser.

A Django project of its own (its own process, ``python -m console serve``, started by
``make run`` / ``make serve`` beside the Rasa servers). It owns its database (accounts,
sessions, versions of knowledge entries, the audit log: ``$UH_DATA_DIR/console.db`` or
PostgreSQL) and nothing else: the knowledge files, notices and unanswered questions are
read and written through ``knowledge`` (``editing``, ``documents``, ``gaps``), previews
go through ``answering.answer_question``, exactly as the bot answers. See
``console/README.md`` for the layout the next pages (rosters, approvals, the inbox) use.
"""
