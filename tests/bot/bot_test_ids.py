"""Chat and user ids shared by the front end's tests (kept out of conftest so tests can import them)."""

OPS_CHAT = -1001234567890  # the operators' group (a forum unless a test says otherwise)
OPERATOR_ID = 7001  # a member of the operators' group
STAFF_ID = 7002  # listed in TELEGRAM_STAFF_IDS, not a group member
WORKER_ID = 5001
OTHER_WORKER_ID = 5002
