"""Which errors are outages of a service (a 503 and "try again later") and which are faults."""
from __future__ import annotations

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, exc, text

from storage.outages import DATABASE, VECTORS, Unavailable, outage_of


def test_a_refused_connection_to_postgresql_is_a_database_outage():
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    with pytest.raises(exc.OperationalError) as raised:
        engine.connect()
    assert outage_of(raised.value) == DATABASE


def test_a_wrong_database_name_or_user_is_a_fault_not_an_outage(postgres_server):
    """A bad NGOAIVU_DATABASE_URL is not waited out (start-up stops on it), while the same server
    stopped or unreachable is."""
    for url in (postgres_server.url("no_such_database"), postgres_server.url().replace("postgres@", "nobody@")):
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with pytest.raises(exc.OperationalError) as raised:
            engine.connect()
        assert "FATAL" in str(raised.value) and outage_of(raised.value) == "", raised.value
    with pytest.raises(exc.OperationalError) as raised:  # the right name, nothing listening
        create_engine(f"postgresql+psycopg://postgres@/postgres?host={postgres_server.root}&port=1").connect()
    assert outage_of(raised.value) == DATABASE


def test_a_refused_connection_to_the_chroma_server_is_a_vector_store_outage():
    with pytest.raises(httpx.ConnectError) as raised:
        httpx.get("http://127.0.0.1:1/api/v2/heartbeat", timeout=2)
    assert outage_of(raised.value) == VECTORS
    try:  # wrapped by a caller: the cause still tells
        raise RuntimeError("search failed") from raised.value
    except RuntimeError as wrapped:
        assert outage_of(wrapped) == VECTORS


def test_faults_of_our_own_are_not_outages(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(exc.SQLAlchemyError) as raised, engine.connect() as db:
        db.execute(text("SELECT * FROM no_such_table"))
    assert outage_of(raised.value) == ""
    assert outage_of(ValueError("bad")) == "" and outage_of(None) == ""
    assert outage_of(psycopg.errors.UniqueViolation("duplicate")) == ""
    assert outage_of(Unavailable(DATABASE)) == DATABASE
