"""The Telegram channel: python-telegram-bot handlers over the dialogue core, and HTML replies."""
