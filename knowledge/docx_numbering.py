"""The labels Word draws in front of auto-numbered paragraphs ("Điều 3.", "2.", "b)"), which are
not in the paragraph's text: a guidance note typed in Word numbers its articles, clauses and steps
this way, and without the labels its clauses read as bullets and cannot be cited ("khoản 2").

Read from the document's numbering part (numbering.xml): a paragraph, or its style, names a list
instance (numId) and a level (ilvl); the level says where it starts, how it counts (decimal,
letters, roman) and the label's pattern ("%1.", "Điều %1.", "%1.%2."). Counters run per list
instance, and a level resets the ones below it, as Word does."""
from __future__ import annotations

from dataclasses import dataclass

from docx.oxml.ns import qn

from knowledge.markup import list_counter

BULLET = "-"  # what a bullet (or a level drawn without a number) becomes


@dataclass(frozen=True)
class Level:
    start: int
    kind: str  # numFmt: decimal, lowerLetter, upperRoman, bullet, …
    pattern: str  # lvlText: "%1.", "Điều %1.", "%1.%2)"


def _val(element, tag: str) -> str | None:
    child = element.find(qn(tag)) if element is not None else None
    return child.get(qn("w:val")) if child is not None else None


class Numbering:
    """Labels for one document's numbered paragraphs, in reading order."""

    def __init__(self, document) -> None:
        self.levels: dict[str, dict[int, Level]] = {}  # numId -> ilvl -> Level
        self.counters: dict[str, dict[int, int]] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return  # no numbering part: nothing is auto-numbered
        abstract = {}
        for node in numbering.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in node.findall(qn("w:lvl")):
                start = _val(lvl, "w:start")
                levels[int(lvl.get(qn("w:ilvl"), "0"))] = Level(
                    int(start) if start and start.isdigit() else 1, _val(lvl, "w:numFmt") or "decimal",
                    _val(lvl, "w:lvlText") or "")
            abstract[node.get(qn("w:abstractNumId"))] = levels
        for num in numbering.findall(qn("w:num")):
            levels = dict(abstract.get(_val(num, "w:abstractNumId") or "", {}))
            for override in num.findall(qn("w:lvlOverride")):
                ilvl = int(override.get(qn("w:ilvl"), "0"))
                start = _val(override, "w:startOverride")
                if ilvl in levels and start and start.isdigit():
                    old = levels[ilvl]
                    levels[ilvl] = Level(int(start), old.kind, old.pattern)
            self.levels[num.get(qn("w:numId"))] = levels

    @staticmethod
    def _reference(paragraph) -> tuple[str, int] | None:
        """(numId, level) from the paragraph's own properties, else from its style's (and the
        styles it is based on)."""
        properties = paragraph._p.pPr
        num = properties.numPr if properties is not None else None
        style = paragraph.style
        seen = 0
        while num is None and style is not None and seen < 10:
            style_properties = style.element.pPr
            num = style_properties.numPr if style_properties is not None else None
            style, seen = style.base_style, seen + 1
        if num is None or num.numId is None:
            return None
        level = num.ilvl.val if num.ilvl is not None else 0
        return str(num.numId.val), int(level)

    def label(self, paragraph) -> str:
        """The label Word shows before this paragraph: "2.", "Điều 3.", "b)", BULLET, or "" when
        it is not numbered. Call once per paragraph, in order: it advances the counters."""
        reference = self._reference(paragraph)
        if reference is None:
            return ""
        num_id, ilvl = reference
        if num_id == "0":
            return ""  # numId 0 switches numbering off
        levels = self.levels.get(num_id, {})
        level = levels.get(ilvl)
        if level is None or level.kind in ("bullet", "none") or "%" not in level.pattern:
            return BULLET
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a new clause restarts its points
        label = level.pattern
        for k in range(9):
            if f"%{k + 1}" in label:
                known = levels.get(k)
                value = counters.get(k, known.start if known else 1)
                label = label.replace(f"%{k + 1}", list_counter(value, known.kind if known else "decimal"))
        return label.strip()
