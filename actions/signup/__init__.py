"""The sign-up forms, one module each: its start action, questions, validation and
submit action (see :mod:`actions.signup.base`).

Every form module is imported here, so the table of forms (``base.FORMS``) is complete
whichever module is imported first — the start actions forget the slots of all forms.
"""

from actions.signup import cancel, delete_data, enrollment, leave, profile, reading_team, subsidy

__all__ = ["cancel", "delete_data", "enrollment", "leave", "profile", "reading_team", "subsidy"]
