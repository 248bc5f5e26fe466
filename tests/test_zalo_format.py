"""How replies look in Zalo (plain text, split below 2,000 characters) and how tokens are kept."""
from __future__ import annotations

import json

from bot import texts
from bot.zalo.format import MESSAGE_LIMIT, answer_text, source_line, split_text, text_length, welcome_text
from storage.zalo_tokens import TokenPair, TokenStore, env_fingerprint, initial_tokens
from config.settings import Settings
from knowledge.answers import Answer, Citation


def _citation(n: int, **fields) -> Citation:
    values = {"source": f"00{n}_abc.txt", "title": f"Bài {n}", "publisher": "Báo TG&VN",
              "date": "03/01/2020", "quote": "…", **fields}
    return Citation(n=n, **values)


def test_a_source_line_has_number_title_publisher_date_and_file():
    assert source_line(_citation(1)) == "[1] Bài 1 — Báo TG&VN, 03/01/2020 (001_abc.txt)"
    assert source_line(_citation(2, title="", publisher="", date="")) == "[2] 002_abc.txt"


def test_an_answer_is_plain_text_with_the_fact_the_note_and_the_sources():
    answer = Answer(question="q", answer="Theo tài liệu, <b> & 119 thỏa thuận [1].", refused=False,
                    citations=[_citation(1), _citation(2)], fact="119 thỏa thuận")
    text = answer_text(answer, question="Năm 2019 thì sao?", rewritten=True, note="Lưu ý.")
    blocks = text.split("\n\n")
    assert blocks[0] == texts.UNDERSTOOD_AS.format(question="Năm 2019 thì sao?")
    assert blocks[1] == "Theo tài liệu, <b> & 119 thỏa thuận [1]."  # nothing escaped
    assert blocks[2] == "Lưu ý."
    assert blocks[3].splitlines() == [texts.SOURCES_HEADING, source_line(_citation(1)),
                                      source_line(_citation(2))]


def test_a_fact_missing_from_the_body_leads_it():
    answer = Answer(question="q", answer="“…ký 119 thỏa thuận…” [1]", refused=False,
                    citations=[_citation(1)], fact="119")
    assert answer_text(answer).startswith("“…ký 119")
    answer.fact = "25/7/2018"
    assert answer_text(answer).startswith("25/7/2018\n“…ký 119")


def test_the_welcome_lists_the_example_questions():
    text = welcome_text()
    assert text.startswith(texts.WELCOME)
    assert all(f"• {q}" in text for q in texts.EXAMPLE_QUESTIONS)


def test_short_text_is_one_message():
    assert split_text("  Xin chào  ") == ["Xin chào"]
    assert split_text("   ") == []


def test_long_text_splits_between_paragraphs():
    paragraphs = [f"Đoạn {i}: " + "chữ " * 150 for i in range(10)]
    parts = split_text("\n\n".join(paragraphs))
    assert len(parts) > 1
    assert all(text_length(p) <= MESSAGE_LIMIT for p in parts)
    assert "\n\n".join(parts) == "\n\n".join(p.strip() for p in paragraphs)


def test_a_paragraph_longer_than_a_message_is_cut_between_words():
    words = [f"từ{i}" for i in range(1500)]
    parts = split_text(" ".join(words))
    assert len(parts) >= 3
    assert all(text_length(p) <= MESSAGE_LIMIT for p in parts)
    assert " ".join(parts).split() == words


def test_characters_outside_the_bmp_count_double():
    parts = split_text("😀" * 1500)  # 3,000 UTF-16 units, no spaces to cut at
    assert [text_length(p) for p in parts] == [2000, 1000]


def test_the_token_store_replaces_its_file_whole(tmp_path):
    store = TokenStore.in_dir(tmp_path)
    assert store.load() is None
    store.save(TokenPair("a1", "r1", 1000.0), "fp")
    store.save(TokenPair("a2", "r2", 2000.0), "fp")
    assert store.load() == (TokenPair("a2", "r2", 2000.0), "fp")
    assert [p.name for p in tmp_path.iterdir()] == [TokenStore.FILE_NAME]  # no temp files left
    assert (tmp_path / TokenStore.FILE_NAME).stat().st_mode & 0o077 == 0


def test_an_unreadable_token_file_is_ignored(tmp_path):
    (tmp_path / TokenStore.FILE_NAME).write_text("{not json")
    settings = Settings(data_dir=tmp_path, zalo_access_token="env-a", zalo_refresh_token="env-r")
    assert initial_tokens(settings, TokenStore.in_dir(tmp_path)) == TokenPair("env-a", "env-r")


def test_the_stored_pair_wins_until_the_environment_holds_a_new_one(tmp_path):
    store = TokenStore.in_dir(tmp_path)
    old_env = Settings(data_dir=tmp_path, zalo_access_token="env-a", zalo_refresh_token="env-r")
    store.save(TokenPair("a9", "r9", 5000.0), env_fingerprint(old_env))
    assert initial_tokens(old_env, store) == TokenPair("a9", "r9", 5000.0)
    no_env = Settings(data_dir=tmp_path)
    assert initial_tokens(no_env, store) == TokenPair("a9", "r9", 5000.0)
    # The operator authorized the OA again and put the new pair in the environment.
    new_env = Settings(data_dir=tmp_path, zalo_access_token="new-a", zalo_refresh_token="new-r")
    assert initial_tokens(new_env, store) == TokenPair("new-a", "new-r")
    assert json.loads((tmp_path / TokenStore.FILE_NAME).read_text())["access_token"] == "a9"
