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
