"""The fitted weights load as shipped, without pulling scikit-learn into a cold start."""
import json
import subprocess
import sys

import numpy as np

from retrieval.answering.scorer import AnswerModel

PROBE = """
import json, sys
import numpy as np
from retrieval.answering.scorer import AnswerModel
model = AnswerModel.load()
rows = np.random.default_rng(7).normal(size=(5, len(model.confidence.features)))
print(json.dumps({"sklearn": "sklearn" in sys.modules, "p": model.confidence.probabilities(rows).tolist()}))
"""


def test_answering_does_not_import_scikit_learn_and_scores_the_same():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    cold = json.loads(out.stdout)
    assert cold["sklearn"] is False  # ~1.4 s of every cold `ngoaivu ask`
    import sklearn  # noqa: F401  (as when fitting: LightGBM with its scikit-learn API)

    model = AnswerModel.load()
    rows = np.random.default_rng(7).normal(size=(5, len(model.confidence.features)))
    assert np.allclose(model.confidence.probabilities(rows), cold["p"], rtol=0, atol=1e-12)


def test_the_shipped_weights_name_the_features_in_the_order_the_tables_compute_them():
    """Each feature's name sits with its computation (retrieval.answering.features); the order of
    the tables is the order the weights were fitted in, so moving an entry must fail here."""
    from retrieval.answering.features import (CANDIDATE_FEATURES, CONFIDENCE_FEATURES, READER_CONFIDENCE_FEATURES,
                                              READER_FEATURES)
    from retrieval.answering.scorer import READER_WEIGHTS

    plain, read = AnswerModel.load(), AnswerModel.load(READER_WEIGHTS)
    assert plain.select.features == CANDIDATE_FEATURES
    assert plain.confidence.features == CONFIDENCE_FEATURES
    assert read.prerank is not None and read.prerank.features == CANDIDATE_FEATURES
    assert read.select.features == CANDIDATE_FEATURES + READER_FEATURES
    assert read.confidence.features == READER_CONFIDENCE_FEATURES


def test_a_feature_table_refuses_a_name_twice_and_leaves_unstated_features_out():
    import pytest

    from retrieval.answering.features import FeatureTable

    table = FeatureTable()
    table.add("a", "x", lambda known: known * 2.0)
    table.add("b", "y", lambda known: None if known < 0 else 1.0)
    with pytest.raises(ValueError):
        table.add("b", "x", lambda known: 0.0)
    assert table.names("a", "b") == ("x", "y") and table.names("b") == ("y",)
    assert table.compute("b", -1.0, {}) == {}
    assert table.compute("a", 3.0, table.compute("b", 3.0, {})) == {"y": 1.0, "x": 6.0}
