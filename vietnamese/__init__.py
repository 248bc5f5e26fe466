"""Vietnamese as the project reads it, in one place: one Unicode form and accent folding (text),
search tokens (search), dates (dates), names and document codes (names), abbreviations
(abbreviations), English questions (english). Every room uses these; none is written twice."""
