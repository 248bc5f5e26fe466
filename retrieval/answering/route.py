"""One answer path: a record answer (conference series, a procedure, a list of procedures, a
choice list, a "not held" with leads) and the passage answer compete; a small fitted decision
chooses the record, the passage or a refusal.

Each record answer comes with its own evidence (what kind of answer, how well the procedure's name
explained the question, how much of the name it gave, the margin over the next name, the fields
asked, the size of a list …) and the passage answer with the passage engine's: its fitted
probability of being right (`Answer.confidence`), whether its own threshold refused, and whether
it cites the record's document. A three-way logistic decision over these, fitted by
`training/fit_route.py` on fit questions only (procedures, conference series, regulations, news),
is stored in retrieval/weights/route.json with what it was fitted from: its feature names, the
data hash, the command, and the sha256 of the passage model whose confidences it read. On load
the feature names and that passage model are checked: on a mismatch (say the passage model was
refitted) the decision is not used, a line is logged, and the order used before stands (a record
answer when there is one, else the passage answer).
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.answers import Answer

log = logging.getLogger(__name__)
WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "route.json"
CHOICES = ("record", "passage", "refuse")
KINDS = ("series", "procedure", "by_code", "choices", "not_held", "list")
FEATURES = (
    tuple(f"record_{k}" for k in KINDS)
    + ("record_refused", "explained", "named", "margin", "missing", "unsaid", "fields_asked", "list_size",
       "series_named", "passage_logit", "passage_refused", "passage_cites_record", "passage_missing")
)
# Without a usable passage answer (nothing searchable) its evidence reads as a sure refusal.
_NO_PASSAGE_LOGIT = -6.0


@dataclass
class RecordCandidate:
    answer: Answer
    evidence: dict[str, float]  # with "kind": one of KINDS


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def features(record: RecordCandidate, passage: Answer | None) -> dict[str, float]:
    """The decision's inputs for one question (the names in FEATURES)."""
    e = record.evidence
    kind = e.get("kind", "")
    values = {f"record_{k}": float(kind == k) for k in KINDS}
    record_documents = {c.doc_id for c in record.answer.citations if c.doc_id}
    values.update({
        "record_refused": float(record.answer.refused),
        # a code or a series name is a name matched whole
        "explained": float(e.get("explained", 1.0 if kind in ("by_code", "series") else 0.0)),
        "named": float(e.get("named", 1.0 if kind in ("by_code", "series") else 0.0)),
        "margin": float(e.get("margin", 0.0)),
        "missing": min(float(e.get("missing", 0.0)), 10.0),
        "unsaid": min(float(e.get("unsaid", 0.0)), 10.0),
        "fields_asked": float(e.get("fields", 0.0)),
        "list_size": math.log1p(float(e.get("list_size", 0.0))),
        "series_named": float(e.get("series_named", 0.0)),
        "passage_logit": _logit(passage.confidence) if passage is not None and passage.citations else _NO_PASSAGE_LOGIT,
        "passage_refused": float(passage is None or passage.refused),
        "passage_cites_record": float(passage is not None and not passage.refused and bool(record_documents) and
                                      any(c.doc_id in record_documents for c in passage.citations[:1])),
        "passage_missing": float(passage is None),
    })
    return values


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class RouteModel:
    """A standardized three-way logistic model: scores = W · (x - mean) / scale + b, one row per choice."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (len(CHOICES), len(features))
    intercept: np.ndarray
    info: dict

    def probabilities(self, values: dict[str, float]) -> np.ndarray:
        row = np.asarray([values[name] for name in self.features], dtype=np.float64)
        scores = self.coef @ ((row - self.mean) / self.scale) + self.intercept
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def to_dict(self) -> dict:
        return {**self.info, "choices": list(CHOICES), "features": list(self.features), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "intercept": self.intercept.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "RouteModel":
        info = {k: v for k, v in data.items() if k not in ("features", "mean", "scale", "coef", "intercept", "choices")}
        return cls(tuple(data["features"]), np.asarray(data["mean"], dtype=np.float64),
                   np.asarray(data["scale"], dtype=np.float64), np.asarray(data["coef"], dtype=np.float64),
                   np.asarray(data["intercept"], dtype=np.float64), info)


def load(passage_model: Path | None, path: Path = WEIGHTS) -> RouteModel | None:
    """The fitted decision, or None (logged) when it is missing or was fitted for other inputs: the
    features this code computes, and the very passage model whose confidences it weighs."""
    if not Path(path).exists():
        log.warning("no fitted route (%s): record answers go first, as before", Path(path).name)
        return None
    try:
        model = RouteModel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (ValueError, KeyError) as broken:
        log.error("route weights %s unreadable (%s): record answers go first, as before", Path(path).name, broken)
        return None
    if model.features != FEATURES or list(model.info.get("choices_order", CHOICES)) != list(CHOICES):
        log.error("route weights %s were fitted on other features: record answers go first, as before",
                  Path(path).name)
        return None
    fitted_with = model.info.get("passage_model_sha256", "")
    if passage_model is None or not Path(passage_model).exists() or file_sha256(passage_model) != fitted_with:
        log.error("route weights %s were fitted with another passage model than %s: record answers go first, "
                  "as before", Path(path).name, Path(passage_model).name if passage_model else None)
        return None
    return model


# The passage's evidence and the values it can take (a logit is clipped to ±9.2 by _logit).
_PASSAGE_RANGE = {"passage_logit": (-9.2, 9.2), "passage_refused": (0.0, 1.0), "passage_cites_record": (0.0, 1.0),
                  "passage_missing": (0.0, 1.0)}


def needs_passage(model: RouteModel, record: RecordCandidate) -> bool:
    """Whether the passage answer could change the decision for this record. The scores are linear
    in the features, so the record wins whatever the passage says iff it wins at every corner of
    the passage evidence's range; then the passage path need not run (a record answer stays a
    matter of milliseconds)."""
    values = features(record, None)
    corners: list[dict[str, float]] = [{}]
    for name, (low, high) in _PASSAGE_RANGE.items():
        corners = [{**c, name: v} for c in corners for v in (low, high)]
    return any(int(np.argmax(model.probabilities({**values, **corner}))) != CHOICES.index("record")
               for corner in corners)


def refusal(question: str, confidence: float) -> Answer:
    from retrieval.answering.answerer import REFUSAL, REFUSAL_HINT

    return Answer(question=question, answer=REFUSAL + "\n" + REFUSAL_HINT, refused=True, confidence=confidence)


def premise_refuted(record: RecordCandidate, passage: Answer | None, procedure_documents: AbstractSet[str]) -> bool:
    """A "not held" refusal rests on the question being about a procedure. When the passage engine,
    under its own fitted refusal, answers it from a document that is not a procedure at all (a
    regulation, an article), the question was not about one: "Hồ sơ xin cấp thẻ nhà báo … gồm những
    gì?" in an office holding both the decree and the portal's procedures. An answer from another
    procedure's document is what the refusal is there to prevent, so it refutes nothing."""
    if record.evidence.get("kind") != "not_held" or passage is None or passage.refused or not passage.citations:
        return False
    return passage.citations[0].doc_id not in procedure_documents


def must_read_passages(record: RecordCandidate) -> bool:
    """Whether the passage answer is needed even when the fitted decision would keep the record."""
    return record.evidence.get("kind") == "not_held"


def choose(model: RouteModel | None, record: RecordCandidate | None, passage: Answer,
           procedure_documents: AbstractSet[str] = frozenset()) -> tuple[str, Answer]:
    """(what was chosen, the answer). Without a record there is nothing to choose: the passage
    answer (with its own fitted refusal). A "not held" whose premise the passage refutes gives way
    to the passage. Without a model: the record, as before."""
    if record is None:
        return "passage", passage
    if premise_refuted(record, passage, procedure_documents):
        return "passage", passage
    if model is None:
        return "record", record.answer
    probabilities = model.probabilities(features(record, passage))
    chosen = CHOICES[int(np.argmax(probabilities))]
    if chosen == "record":
        return chosen, record.answer
    if chosen == "passage":
        return chosen, passage
    # A refusal: the record's own when it is one (a choice list, or "not held" with the nearest
    # held procedures), else the passage engine's, else a plain one.
    if record.answer.refused:
        return chosen, record.answer
    if passage.refused:
        return chosen, passage
    return chosen, refusal(passage.question, passage.confidence)
