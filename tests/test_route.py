"""The one answer path (issue 20, part 6): record answers and the passage answer compete, a fitted
decision chooses; weights fitted for other inputs are refused with a log line and records go first."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from retrieval.answering import route
from knowledge.answers import Answer, Citation
from retrieval.answering.scorer import READER_WEIGHTS


def _cited(doc_id: str) -> list[Citation]:
    return [Citation(1, f"{doc_id}.docx", "t", "", "", "q", doc_id)]


def _record(kind: str, refused: bool = False, **evidence) -> route.RecordCandidate:
    answer = Answer("q", "bản ghi", refused, citations=_cited("proc"))
    return route.RecordCandidate(answer, {"kind": kind, **evidence})


def _model(weights: dict[str, list[float]], bias=(0.0, 0.0, 0.0)) -> route.RouteModel:
    """A decision whose scores read the named features (one weight per choice), unscaled."""
    n = len(route.FEATURES)
    coef = np.zeros((3, n))
    for name, per_choice in weights.items():
        coef[:, route.FEATURES.index(name)] = per_choice
    return route.RouteModel(route.FEATURES, np.zeros(n), np.ones(n), coef, np.asarray(bias, dtype=float), {})


def test_the_decision_chooses_record_passage_or_refusal_from_both_evidences():
    # record wins when its name explained the question, the passage when it is confident, else refuse
    model = _model({"explained": [4.0, 0.0, 0.0], "passage_logit": [0.0, 0.3, -1.0]}, bias=(-3.0, 0.0, 0.0))
    passage = Answer("q", "đoạn văn", False, citations=_cited("news"), confidence=0.95)
    assert route.choose(model, _record("procedure", explained=1.0), passage) == ("record", _record("procedure").answer)
    chosen, answer = route.choose(model, _record("procedure", explained=0.2), passage)
    assert chosen == "passage" and answer is passage
    unsure = Answer("q", "đoạn văn", False, citations=_cited("news"), confidence=0.1)
    chosen, answer = route.choose(model, _record("procedure", explained=0.2), unsure)
    assert chosen == "refuse" and answer.refused and answer.citations == []
    # a refusal keeps the record's own when it is one (a choice list, "not held" with leads)
    lead = _record("not_held", refused=True, explained=0.2)
    refused = Answer("q", "xin lỗi", True, citations=_cited("news"), confidence=0.1)
    assert route.choose(model, lead, refused) == ("refuse", lead.answer)
    # no record: nothing to choose, the passage engine's own answer or refusal
    assert route.choose(model, None, unsure) == ("passage", unsure)


def test_a_not_held_gives_way_to_a_confident_answer_from_a_document_that_is_no_procedure():
    model = _model({"explained": [4.0, 0.0, 0.0]}, bias=(0.0, -9.0, -9.0))  # the decision: always the record
    lead = _record("not_held", refused=True, explained=0.2)
    decree = Answer("q", "điều 5", False, citations=_cited("decree"), confidence=0.6)
    assert route.must_read_passages(lead) and not route.must_read_passages(_record("procedure"))
    assert route.choose(model, lead, decree, {"proc", "twin"}) == ("passage", decree)
    # from another procedure's document: the near twin "not held" is there to prevent
    twin = Answer("q", "15 ngày", False, citations=_cited("twin"), confidence=0.9)
    assert route.choose(model, lead, twin, {"proc", "twin"}) == ("record", lead.answer)
    # refused by the passage engine's own threshold: nothing refuted
    unsure = Answer("q", "xin lỗi", True, citations=_cited("decree"), confidence=0.1)
    assert route.choose(model, lead, unsure, {"proc", "twin"}) == ("record", lead.answer)
    # a record that is no "not held" is the fitted decision's to weigh
    assert route.choose(model, _record("procedure", explained=1.0), decree, {"proc"})[0] == "record"


def test_the_features_say_when_the_passage_cites_the_records_document():
    record = _record("procedure", explained=0.9, named=0.5, margin=0.1, fields=1.0)
    agreeing = route.features(record, Answer("q", "x", False, citations=_cited("proc"), confidence=0.8))
    other = route.features(record, Answer("q", "x", False, citations=_cited("news"), confidence=0.8))
    assert set(agreeing) == set(route.FEATURES)
    assert agreeing["passage_cites_record"] == 1.0 and other["passage_cites_record"] == 0.0
    assert agreeing["record_procedure"] == 1.0 and agreeing["passage_logit"] == pytest.approx(np.log(4))


def test_weights_fitted_for_another_passage_model_are_refused_and_logged(tmp_path, caplog):
    shipped = json.loads(route.WEIGHTS.read_text(encoding="utf-8"))
    assert tuple(shipped["features"]) == route.FEATURES
    assert shipped["data_sha256"] and shipped["command"].startswith("python training/fit_route.py")
    assert route.load(READER_WEIGHTS) is not None  # the shipped route goes with the shipped passage model
    other = tmp_path / "answer_model_reader.json"
    other.write_text(READER_WEIGHTS.read_text(encoding="utf-8") + " ")
    with caplog.at_level(logging.ERROR, logger="retrieval.answering.route"):
        assert route.load(other) is None
    assert "fitted with another passage model" in caplog.text
    renamed = tmp_path / "route.json"
    renamed.write_text(json.dumps({**shipped, "features": shipped["features"][:-1] + ["something_else"]}))
    with caplog.at_level(logging.ERROR, logger="retrieval.answering.route"):
        assert route.load(READER_WEIGHTS, renamed) is None
    assert "fitted on other features" in caplog.text


def test_without_a_usable_route_records_go_first_as_before(engine, monkeypatch):
    question = "Liệt kê các Hội nghị Ngoại vụ toàn quốc và chủ đề của từng hội nghị"
    routed = engine.ask(question)
    assert not routed.refused and "series" in routed.records[0]
    monkeypatch.setattr(engine, "_route", None)
    calls = []
    monkeypatch.setattr(engine.answerer, "answer", lambda *a, **k: calls.append(a) or Answer("q", "x", True))
    before = engine.ask(question)
    assert before.answer == routed.answer and calls == []  # the passage path is not even asked


def test_the_passage_path_runs_only_when_it_could_change_the_decision():
    sure = _model({"explained": [8.0, 0.0, 0.0], "passage_logit": [0.0, 0.3, -0.3]}, bias=(-3.0, 0.0, 0.0))
    assert not route.needs_passage(sure, _record("procedure", explained=1.0))  # 5 > 0.3 · 9.2 at every corner
    assert route.needs_passage(sure, _record("procedure", explained=0.5))
    assert route.needs_passage(_model({"passage_logit": [0.0, 1.0, 0.0]}), _record("series"))
