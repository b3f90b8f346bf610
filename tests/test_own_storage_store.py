"""Users' own storages at rest: secrets sealed in the database, a wrong key reads nothing, bodies checked."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, select, text

from jupyter_remotem.errors import BadParameter, Conflict
from jupyter_remotem.jobs.store import JobStore
from jupyter_remotem.storage.credentials import CredentialCipher, CredentialsUnreadable, key_file, load_or_make_key
from jupyter_remotem.storage.own import OwnStorages
from jupyter_remotem.storage.registry import RepositoryRegistry

SECRET = "sealed-secret-5c1e0a"


@pytest.fixture
def store(tmp_path):
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    yield store
    store.close()


def webdav_body(name="cloud", **changes):
    body = {"name": name, "protocol": "webdav", "url": "webdav://scans",
            "options": {"base_url": "http://127.0.0.1:9/dav", "username": "ada"}, "secrets": {"password": SECRET}}
    body.update(changes)
    return body


def every_value_in_the_database(store: JobStore) -> str:
    """All rows of all tables, as text."""
    dump = []
    with store.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            dump.extend(repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{table}"')))
    return "\n".join(dump)


def test_a_saved_storage_holds_no_secret_in_clear_and_opens_with_its_key(store):
    own = OwnStorages(store, CredentialCipher(Fernet.generate_key().decode()), protocols=["webdav"])
    saved = own.add("ada", own.check("ada", webdav_body()))
    assert saved["secrets_set"] == ["password"] and SECRET not in repr(saved)
    assert saved["options"] == {"base_url": "http://127.0.0.1:9/dav", "username": "ada"}
    dump = every_value_in_the_database(store)
    assert "webdav://scans" in dump, "what is not secret stays readable"
    assert SECRET not in dump
    repository = own.registry_for("ada", RepositoryRegistry([])).get("cloud")
    assert repository.config.storage_options["auth"] == ("ada", SECRET)
    assert repository.to_json()["own"] is True
    assert own.registry_for("bob", RepositoryRegistry([])).all() == [], "nobody else sees it"


def test_a_wrong_key_reads_nothing_and_says_so(store):
    own = OwnStorages(store, CredentialCipher(Fernet.generate_key().decode()), protocols=["webdav"])
    own.add("ada", own.check("ada", webdav_body()))
    other = OwnStorages(store, CredentialCipher(Fernet.generate_key().decode()), protocols=["webdav"])
    [listed] = other.list("ada")
    assert listed["name"] == "cloud" and listed["readable"] is False
    registry = other.registry_for("ada", RepositoryRegistry([]))
    with pytest.raises(CredentialsUnreadable) as refused:
        registry.get("cloud")
    assert refused.value.status == 409 and "key" in refused.value.message and SECRET not in refused.value.message
    other.remove("ada", "cloud")  # what cannot be read can still be removed
    assert other.list("ada") == []


def test_the_generated_key_is_private_and_made_once(tmp_path):
    path = key_file(tmp_path)
    first = load_or_make_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_make_key(path) == first
    assert CredentialCipher.configured("", tmp_path).key == first
    configured = Fernet.generate_key().decode()
    assert CredentialCipher.configured(configured, tmp_path).key == configured
    with pytest.raises(ValueError) as refused:
        CredentialCipher("not-a-key-but-maybe-a-secret")
    assert "not-a-key" not in str(refused.value)


@pytest.mark.parametrize(("body", "fragment"), [
    (webdav_body(colour="red"), "unknown field"),
    (webdav_body(protocol="file", url="file:///etc"), "protocol"),
    (webdav_body(protocol="memory", url="memory://x"), "protocol"),
    (webdav_body(name="a/b"), "name"),
    (webdav_body(url="s3://bucket"), "url"),
    (webdav_body(url="webdav://ada:pw@host/x"), "credentials"),
    (webdav_body(options={"username": "ada"}), "base_url"),
    (webdav_body(options={"base_url": "http://x", "proxy": "y"}), "unknown option"),
    (webdav_body(secrets={"password": 5}), "string"),
    (webdav_body(writable="yes"), "writable"),
    ("[]", "object"),
])
def test_bodies_are_checked_before_anything_is_opened(store, body, fragment):
    own = OwnStorages(store, CredentialCipher(Fernet.generate_key().decode()), protocols=["webdav", "s3"])
    with pytest.raises(BadParameter) as refused:
        own.check("ada", body)
    assert fragment in refused.value.message.lower()
    assert SECRET not in refused.value.message


def test_names_clash_with_neither_configured_repositories_nor_ones_own(store):
    own = OwnStorages(store, CredentialCipher(Fernet.generate_key().decode()), configured=lambda: ["demo"],
                      protocols=["webdav"])
    with pytest.raises(Conflict):
        own.check("ada", webdav_body(name="demo"))
    own.add("ada", own.check("ada", webdav_body()))
    with pytest.raises(Conflict):
        own.check("ada", webdav_body())
    assert own.check("bob", webdav_body()).name == "cloud", "another user may use the same name"


def test_the_table_is_made_by_migration_0010(store):
    from jupyter_remotem import migrations
    from jupyter_remotem.storage.own_models import OwnStorage

    with store.engine.connect() as connection:
        assert migrations.current(connection) == migrations.head()
        assert inspect(connection).has_table(OwnStorage.__tablename__)
    with store.reading() as session:
        assert session.scalars(select(OwnStorage)).all() == []
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jupyter_remotem.jobs.models import Base

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == [], "the migration makes exactly the model"


def test_the_administrator_allows_further_protocols_but_never_local_ones(store):
    own = OwnStorages(store, CredentialCipher(Fernet.generate_key().decode()), protocols=["s3", "gcs", "file", "memory"])
    assert sorted(own.protocols) == ["gcs", "s3"]
    checked = own.check("ada", {"name": "g", "protocol": "gcs", "url": "gcs://bucket/x",
                                "options": {"project": "p"}, "secrets": {"token": SECRET}})
    assert checked.config().storage_options == {"project": "p", "token": SECRET}
    with pytest.raises(BadParameter):
        own.check("ada", webdav_body())  # webdav was not allowed here
