"""Conversation: the platform-neutral dialogue core and the chat channels built on it."""
