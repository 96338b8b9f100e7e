"""Custom actions of Union Helper, served by rasa-sdk's action server.

rasa-sdk imports every submodule of this package at start-up, so modules here must not
do work at import time (no database opened, no CLI run).
"""
