"""The fitted scorer: which candidate answers, and whether to answer at all.

Two logistic models whose coefficients ship as JSON (`retrieval/weights/answer_model.json`,
written by `training/fit_answer_model.py`): `select` gives each candidate sentence the
probability that it holds the answer; `confidence` gives the best candidate the probability that
answering with it is right, from the selection scores and question-level evidence. The engine
refuses below a threshold chosen on a fitting split for a stated trade-off: one for passages under a
heading (regulations, guidance) and one for plain text (news, reports), since the two read
differently and are answered right at different rates.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "answer_model.json"
# The model fitted with the reader's scores (`training/fit_answer_model.py --reader`); it records the
# reader file it was fitted with, and is used only with that very reader (else WEIGHTS, without it).
READER_WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "answer_model_reader.json"
# The names of the features both models weigh, and their computation: retrieval.answering.features.


@dataclass
class Linear:
    """A standardized logistic model: p = sigmoid(w · (x - mean) / scale + b)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_dict(cls, data: dict) -> "Linear":
        return cls(tuple(data["features"]), np.asarray(data["mean"], dtype=np.float64),
                   np.asarray(data["scale"], dtype=np.float64), np.asarray(data["coef"], dtype=np.float64),
                   float(data["intercept"]))

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept}

    def logits(self, rows: np.ndarray) -> np.ndarray:
        return ((rows - self.mean) / self.scale) @ self.coef + self.intercept

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(rows)))


class Trees:
    """A LightGBM binary classifier kept as LightGBM's own text model (version-stable, readable)."""

    def __init__(self, features: tuple[str, ...], model_text: str) -> None:
        lightgbm = _lightgbm()
        self.features = features
        self.model_text = model_text
        self.booster = lightgbm.Booster(model_str=model_text)

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(rows, num_threads=1), dtype=np.float64)


def _lightgbm():
    """LightGBM, without its scikit-learn wrappers unless scikit-learn is already loaded: answering
    only reads a Booster, and LightGBM otherwise imports scikit-learn and SciPy (about 1.4 s of a
    cold `ngoaivu ask`). Marking the optional module absent while LightGBM loads is how Python
    skips an optional import; fitting imports scikit-learn first and gets the full library."""
    import sys

    if "lightgbm" in sys.modules or "sklearn" in sys.modules:
        import lightgbm
        return lightgbm
    sys.modules["sklearn"] = None  # type: ignore[assignment]
    try:
        import lightgbm
    finally:
        del sys.modules["sklearn"]
    return lightgbm


def _load_part(spec: dict, folder: Path) -> Linear | Trees:
    if spec.get("kind") == "lightgbm":
        return Trees(tuple(spec["features"]), (folder / spec["file"]).read_text(encoding="utf-8"))
    return Linear.from_dict(spec)


def _save_part(part: Linear | Trees, path: Path, name: str) -> dict:
    if isinstance(part, Trees):
        model_file = path.with_name(f"{path.stem}.{name}.txt")
        model_file.write_text(part.model_text, encoding="utf-8")
        return {"kind": "lightgbm", "features": list(part.features), "file": model_file.name}
    return part.to_dict()


@dataclass
class AnswerModel:
    select: Linear | Trees
    confidence: Linear | Trees
    threshold: float  # when the best candidate is plain text
    info: dict
    structured_threshold: float | None = None  # when it sits under a heading (an article, a section)
    prerank: Linear | Trees | None = None  # with the reader: the first ranking, which picks what it reads

    def threshold_for(self, structured: bool) -> float:
        return self.structured_threshold if structured and self.structured_threshold is not None else self.threshold

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> "AnswerModel":
        path = Path(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(_load_part(data["select"], path.parent), _load_part(data["confidence"], path.parent),
                   float(data["threshold"]), data.get("info", {}),
                   float(data["threshold_structured"]) if "threshold_structured" in data else None,
                   _load_part(data["prerank"], path.parent) if "prerank" in data else None)

    @property
    def reader_sha256(self) -> str:
        """The reader file this model was fitted with ("" for a model without the reader)."""
        return self.info.get("reader_onnx_sha256", "")

    def save(self, path: Path = WEIGHTS) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f"{path.stem}.*.txt"):
            stale.unlink()
        data = {"select": _save_part(self.select, path, "select"),
                "confidence": _save_part(self.confidence, path, "confidence"),
                "threshold": round(self.threshold, 3), "info": self.info}
        if self.prerank is not None:
            data["prerank"] = _save_part(self.prerank, path, "prerank")
        if self.structured_threshold is not None:
            data["threshold_structured"] = round(self.structured_threshold, 3)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))
