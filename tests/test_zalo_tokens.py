"""The Zalo token pair in the shared data layer: a table in zalo_tokens.sqlite3 under the data
directory (private to us) or in PostgreSQL shared by every machine; one refresh at a time across
processes; a token file left by an earlier version taken over once, losing no refresh token."""
from __future__ import annotations

import json
import threading
import time

import pytest

from config.settings import Settings
from storage.zalo_tokens import TokenPair, TokenStore, env_fingerprint, initial_tokens
from webhook.zalo import token_store

ENV = {"zalo_access_token": "env-a", "zalo_refresh_token": "env-r"}


def _legacy_file(data_dir, pair: TokenPair, fingerprint: str, saved_at: float):
    """zalo_tokens.json as versions before the data layer wrote it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / TokenStore.LEGACY_FILE
    path.write_text(json.dumps({"access_token": pair.access_token, "refresh_token": pair.refresh_token,
                                "expires_at": pair.expires_at, "env_fingerprint": fingerprint,
                                "saved_at": saved_at}))
    return path


def _refreshes_one_at_a_time(first: TokenStore, second: TokenStore) -> None:
    """While one process holds the lock (refreshing), another waits, then sees the new pair."""
    handle = first.lock()
    taken: list = []
    waiter = threading.Thread(target=lambda: (taken.append(second.lock()), taken.append(second.load()),
                                              second.unlock(taken[0])))
    waiter.start()
    time.sleep(0.5)
    assert not taken  # the other process waits while this one refreshes
    first.save(TokenPair("a2", "r2", 1e10), "fingerprint")
    first.unlock(handle)
    waiter.join(timeout=10)
    assert taken and taken[1] == (TokenPair("a2", "r2", 1e10), "fingerprint")


def test_the_pair_is_kept_in_a_private_sqlite_file_under_the_data_directory(tmp_path):
    store = TokenStore.in_dir(tmp_path)
    assert store.load() is None
    store.save(TokenPair("a1", "r1", 1000.0), "fp")
    store.save(TokenPair("a2", "r2", 2000.0), "fp")
    assert TokenStore.in_dir(tmp_path).load() == (TokenPair("a2", "r2", 2000.0), "fp")
    assert [p.name for p in tmp_path.iterdir()] == ["zalo_tokens.sqlite3"]
    assert (tmp_path / "zalo_tokens.sqlite3").stat().st_mode & 0o077 == 0  # secrets: ours only


def test_refreshes_take_turns_on_sqlite(tmp_path):
    _refreshes_one_at_a_time(TokenStore.in_dir(tmp_path), TokenStore.in_dir(tmp_path))


def test_the_stored_pair_wins_until_the_environment_holds_a_new_one(tmp_path):
    store = TokenStore.in_dir(tmp_path)
    old_env = Settings(data_dir=tmp_path, **ENV)
    store.save(TokenPair("a9", "r9", 5000.0), env_fingerprint(old_env))
    assert initial_tokens(old_env, store) == TokenPair("a9", "r9", 5000.0)
    assert initial_tokens(Settings(data_dir=tmp_path), store) == TokenPair("a9", "r9", 5000.0)
    # The operator authorized the OA again and put the new pair in the environment.
    new_env = Settings(data_dir=tmp_path, zalo_access_token="new-a", zalo_refresh_token="new-r")
    assert initial_tokens(new_env, store) == TokenPair("new-a", "new-r")
    assert store.load()[0] == TokenPair("a9", "r9", 5000.0)  # kept until a refresh replaces it


def test_an_older_versions_token_file_is_taken_over_once(tmp_path):
    settings = Settings(data_dir=tmp_path, **ENV)
    refreshed = TokenPair("a-refreshed", "r-unspent", 9e9)  # the env pair's refresh token is spent
    legacy = _legacy_file(tmp_path, refreshed, env_fingerprint(settings), saved_at=100.0)
    store = token_store(settings)
    assert initial_tokens(settings, store) == refreshed
    assert not legacy.exists() and (tmp_path / "zalo_tokens.json.migrated").exists()
    store.save(TokenPair("a3", "r3", 9e9), env_fingerprint(settings))
    assert token_store(settings).load()[0] == TokenPair("a3", "r3", 9e9)  # the old file is not read again


def test_an_unreadable_token_file_is_left_alone(tmp_path, caplog):
    (tmp_path / TokenStore.LEGACY_FILE).write_text("{not json")
    settings = Settings(data_dir=tmp_path, **ENV)
    assert initial_tokens(settings, token_store(settings)) == TokenPair("env-a", "env-r")
    assert "unreadable Zalo token file" in caplog.text
    assert (tmp_path / TokenStore.LEGACY_FILE).read_text() == "{not json"  # for the operator to look at


@pytest.fixture
def shared(database_url, tmp_path):
    """Two machines' stores: each its own data directory, one PostgreSQL database."""
    return [token_store(Settings(data_dir=tmp_path / name, database_url=database_url, **ENV)) for name in "ab"]


def test_the_pair_is_shared_through_postgres(shared, tmp_path):
    first, second = shared
    assert first.load() is None
    _refreshes_one_at_a_time(first, second)
    assert not [p for p in tmp_path.glob("*/*") if p.name.startswith("zalo_tokens")]  # nothing on disk


def test_a_token_file_moves_into_postgres_unless_the_database_holds_a_later_pair(database_url, tmp_path):
    url = {"database_url": database_url}
    older = _legacy_file(tmp_path / "a", TokenPair("a-old", "r-old", 1e9), "fp", saved_at=100.0)
    newer = _legacy_file(tmp_path / "b", TokenPair("a-new", "r-new", 2e9), "fp", saved_at=200.0)
    token_store(Settings(data_dir=tmp_path / "b", **url))
    store = token_store(Settings(data_dir=tmp_path / "a", **url))  # a machine upgraded later
    assert store.load() == (TokenPair("a-new", "r-new", 2e9), "fp")  # the later refresh wins
    assert not older.exists() and not newer.exists()
