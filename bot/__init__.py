"""Front ends of Union Helper: the Telegram bot, the terminal chat and operator hand-off."""
