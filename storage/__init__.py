"""Shared state: the database every server process (on any machine) reads and writes, and the
stores kept in it (conversations, refused questions, pseudonym key, Zalo tokens and outbox)."""
