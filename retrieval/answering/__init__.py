"""Answering: read the question, gather and describe candidates, read them, select, compose or refuse."""
