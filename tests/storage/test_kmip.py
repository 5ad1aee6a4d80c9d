"""The master key from a KMIP key manager: PyKMIP's server, started here on loopback over
mutual TLS, against the real embedded store. Local keys stay readable; rewrap moves them."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from bson.binary import Binary
from pymongo import AsyncMongoClient

from chat_service.errors import ConfigError
from chat_service.settings import KmipSettings, Settings
from chat_service.storage.crypto import (
    KEY_VAULT_COLLECTION,
    FieldCipher,
    KmipError,
    MasterKeyError,
    encrypted_key_id,
)
from tests.cli.test_cli import run_cli
from tests.helpers.ports import free_port
from tests.storage.kmip_server import KmipServer, TlsFiles, make_tls_files

SECRET_VALUE = "my card is 4111 1111 1111 1111"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("kmip-tls"))


def _serve(directory: Path, tls: TlsFiles) -> KmipServer:
    server = KmipServer(directory, tls)
    server.start()  # fails the test if the server cannot start: nothing is skipped
    return server


@pytest.fixture(scope="module")
def kmip_server(tmp_path_factory: pytest.TempPathFactory, tls: TlsFiles) -> Iterator[KmipServer]:
    """One KMIP server for the module (a test that stops one starts its own)."""
    server = _serve(tmp_path_factory.mktemp("kmip"), tls)
    try:
        yield server
    finally:
        server.stop()


def kmip_settings(server: KmipServer, *, key_id: str | None = None) -> KmipSettings:
    return KmipSettings(
        host="127.0.0.1",
        port=server.port,
        ca_file=server.tls.ca_file,
        cert_file=server.tls.client_file,
        key_id=key_id,
    )


class Vault:
    def __init__(self, client: AsyncMongoClient[dict[str, Any]], name: str) -> None:
        self.client = client
        self.name = name
        self.ciphers: list[FieldCipher] = []

    def cipher(self, master_key: bytes, kmip: KmipSettings | None = None) -> FieldCipher:
        cipher = FieldCipher(self.client, self.name, master_key, kmip=kmip)
        self.ciphers.append(cipher)
        return cipher

    async def started(self, master_key: bytes, kmip: KmipSettings | None = None) -> FieldCipher:
        cipher = self.cipher(master_key, kmip)
        await cipher.start()
        return cipher

    async def master_keys(self) -> list[dict[str, Any]]:
        docs = self.client[self.name][KEY_VAULT_COLLECTION].find({}, {"masterKey": 1})
        return [doc["masterKey"] async for doc in docs]

    async def master_key_of(self, value: Binary) -> dict[str, Any]:
        vault = self.client[self.name][KEY_VAULT_COLLECTION]
        doc = await vault.find_one({"_id": encrypted_key_id(value)}, {"masterKey": 1})
        assert doc is not None
        master: dict[str, Any] = doc["masterKey"]
        return master


@pytest.fixture
async def vault(store_uri: str | None) -> AsyncIterator[Vault]:
    uri = store_uri or os.environ["MONGODB_URI"]
    client: AsyncMongoClient[dict[str, Any]] = await asyncio.to_thread(
        AsyncMongoClient, uri, tz_aware=True
    )
    made = Vault(client, "t_" + secrets.token_hex(6))
    try:
        yield made
    finally:
        for cipher in made.ciphers:
            await cipher.close()
        await client.drop_database(made.name)
        await client.close()


@pytest.fixture
def local_key() -> bytes:
    return secrets.token_bytes(96)


# -- encryption under the KMIP server ----------------------------------------------------------


async def test_when_kmip_is_configured_then_new_data_keys_are_wrapped_by_it_and_values_read_back(
    vault: Vault, kmip_server: KmipServer, local_key: bytes
) -> None:
    cipher = await vault.started(local_key, kmip_settings(kmip_server))
    assert cipher.provider == "kmip"
    encrypted = await cipher.encrypt("cust-1", SECRET_VALUE)
    assert SECRET_VALUE.encode() not in bytes(encrypted)
    assert await cipher.decrypt(encrypted) == SECRET_VALUE
    master = await vault.master_key_of(encrypted)
    assert master["provider"] == "kmip"
    assert master.get("keyId")  # libmongocrypt registered a SecretData for it
    # Another process, with a different local key: the KMIP server alone unwraps it.
    other = await vault.started(secrets.token_bytes(96), kmip_settings(kmip_server))
    assert await other.decrypt(encrypted) == SECRET_VALUE


async def test_when_a_kmip_key_id_is_given_then_new_data_keys_are_wrapped_by_that_key(
    vault: Vault, kmip_server: KmipServer, local_key: bytes
) -> None:
    first = await vault.started(local_key, kmip_settings(kmip_server))
    key_id = (await vault.master_key_of(await first.encrypt("cust-1", "a")))["keyId"]
    assert isinstance(key_id, str)
    pinned = await vault.started(local_key, kmip_settings(kmip_server, key_id=key_id))
    encrypted = await pinned.encrypt("cust-2", SECRET_VALUE)
    assert await vault.master_key_of(encrypted) == {"provider": "kmip", "keyId": key_id}
    assert await pinned.decrypt(encrypted) == SECRET_VALUE


async def test_when_a_customer_is_shredded_under_kmip_then_their_values_read_as_none(
    vault: Vault, kmip_server: KmipServer, local_key: bytes
) -> None:
    cipher = await vault.started(local_key, kmip_settings(kmip_server))
    gone = await cipher.encrypt("cust-1", SECRET_VALUE)
    kept = await cipher.encrypt("cust-2", SECRET_VALUE)
    assert await cipher.shred("cust-1")
    assert await cipher.decrypt(gone) is None
    assert await cipher.decrypt(kept) == SECRET_VALUE
    fresh = await vault.started(local_key, kmip_settings(kmip_server))
    assert await fresh.decrypt(gone) is None
    assert await fresh.decrypt(kept) == SECRET_VALUE


# -- migration and rotation --------------------------------------------------------------------


async def test_when_kmip_is_added_then_local_data_keys_stay_readable_and_new_ones_use_kmip(
    vault: Vault, kmip_server: KmipServer, local_key: bytes
) -> None:
    before = await (await vault.started(local_key)).encrypt("cust-1", SECRET_VALUE)
    assert (await vault.master_key_of(before))["provider"] == "local"
    both = await vault.started(local_key, kmip_settings(kmip_server))
    assert await both.decrypt(before) == SECRET_VALUE
    after = await both.encrypt("cust-2", SECRET_VALUE)
    assert (await vault.master_key_of(after))["provider"] == "kmip"
    # The existing customer keeps their (local) data key until it is rewrapped.
    again = await both.encrypt("cust-1", SECRET_VALUE)
    assert encrypted_key_id(again) == encrypted_key_id(before)


async def test_when_local_data_keys_are_rewrapped_to_kmip_then_old_values_read_without_local_key(
    vault: Vault, kmip_server: KmipServer, local_key: bytes
) -> None:
    local = await vault.started(local_key)
    old = [await local.encrypt(f"cust-{n}", f"{SECRET_VALUE} #{n}") for n in range(3)]
    both = await vault.started(local_key, kmip_settings(kmip_server))
    assert await both.rewrap_data_keys(from_provider="local") == 3
    assert [m["provider"] for m in await vault.master_keys()] == ["kmip"] * 3
    # A process whose local key is another one: only the KMIP server can unwrap them now.
    kmip_only = await vault.started(secrets.token_bytes(96), kmip_settings(kmip_server))
    assert [await kmip_only.decrypt(v) for v in old] == [f"{SECRET_VALUE} #{n}" for n in range(3)]
    assert await both.decrypt(old[0]) == f"{SECRET_VALUE} #0"


async def test_when_data_keys_are_rewrapped_to_another_kmip_key_then_values_stay_readable(
    vault: Vault, kmip_server: KmipServer, local_key: bytes
) -> None:
    cipher = await vault.started(local_key, kmip_settings(kmip_server))
    value = await cipher.encrypt("cust-1", SECRET_VALUE)
    target = (await vault.master_key_of(await cipher.encrypt("cust-2", "b")))["keyId"]
    assert (await vault.master_key_of(value))["keyId"] != target
    rotated = await vault.started(local_key, kmip_settings(kmip_server, key_id=target))
    assert await rotated.rewrap_data_keys() == 2
    assert await vault.master_key_of(value) == {"provider": "kmip", "keyId": target}
    assert await rotated.decrypt(value) == SECRET_VALUE


# -- failures are loud, never a fall back ------------------------------------------------------


async def test_when_the_kmip_server_is_stopped_then_start_fails_and_decrypt_raises(
    vault: Vault, tls: TlsFiles, tmp_path: Path, local_key: bytes
) -> None:
    server = await asyncio.to_thread(_serve, tmp_path / "kmip", tls)
    try:
        writer = await vault.started(local_key, kmip_settings(server))
        encrypted = await writer.encrypt("cust-1", SECRET_VALUE)
        reader = await vault.started(local_key, kmip_settings(server))
    finally:
        await asyncio.to_thread(server.stop)
    # A fresh process does not start: no silent fall back to the local key.
    with pytest.raises(KmipError, match="cannot be reached") as refused:
        await vault.started(local_key, kmip_settings(server))
    assert isinstance(refused.value, MasterKeyError)  # callers' handling of a bad key
    assert isinstance(refused.value, ConfigError)  # the service refuses to start
    # A running one whose key cache was dropped (a shred does that) cannot decrypt: an
    # error, never None (which would mean "this customer was erased").
    await reader.shred("someone-else")
    with pytest.raises(KmipError, match="cannot unwrap"):
        await reader.decrypt(encrypted)
    with pytest.raises(KmipError, match="cannot unwrap"):
        await reader.encrypt("cust-1", "more")


async def test_when_the_kmip_server_is_unreachable_then_start_fails_even_with_an_empty_vault(
    vault: Vault, kmip_server: KmipServer, local_key: bytes
) -> None:
    settings = kmip_settings(kmip_server)
    closed = replace(settings, port=free_port())  # nothing listens there
    with pytest.raises(KmipError, match=f"KMIP server at 127.0.0.1:{closed.port}"):
        await vault.started(local_key, closed)


async def test_when_the_client_certificate_is_from_another_ca_then_start_fails(
    vault: Vault, kmip_server: KmipServer, local_key: bytes, tmp_path: Path
) -> None:
    stranger = make_tls_files(tmp_path / "stranger", name="stranger")
    wrong_client = replace(kmip_settings(kmip_server), cert_file=stranger.client_file)
    with pytest.raises(KmipError, match="mutual TLS"):
        await vault.started(local_key, wrong_client)
    wrong_ca = replace(kmip_settings(kmip_server), ca_file=stranger.ca_file)
    with pytest.raises(KmipError, match="mutual TLS"):
        await vault.started(local_key, wrong_ca)


async def test_when_the_tls_files_are_not_pem_then_start_fails(
    vault: Vault, kmip_server: KmipServer, local_key: bytes, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(KmipError, match="CHAT_SERVICE_KMIP_CA_FILE or CHAT_SERVICE_KMIP_CERT"):
        await vault.started(local_key, replace(kmip_settings(kmip_server), cert_file=junk))


async def test_when_kmip_data_keys_exist_but_kmip_is_not_configured_then_start_fails(
    vault: Vault, kmip_server: KmipServer, local_key: bytes
) -> None:
    await (await vault.started(local_key, kmip_settings(kmip_server))).encrypt("c", "x")
    with pytest.raises(KmipError, match="CHAT_SERVICE_KMIP_ENDPOINT is not set"):
        await vault.started(local_key)


# -- configuration from the environment --------------------------------------------------------


def test_when_no_kmip_endpoint_is_set_then_there_is_no_kmip_settings() -> None:
    assert KmipSettings.from_env({}) is None


def test_when_the_service_settings_load_then_the_kmip_environment_is_read(
    base_settings: Settings, tls: TlsFiles
) -> None:
    env = {
        **os.environ,
        "CHAT_SERVICE_KMIP_ENDPOINT": "[::1]:5696",
        "CHAT_SERVICE_KMIP_CA_FILE": str(tls.ca_file),
        "CHAT_SERVICE_KMIP_CERT_FILE": str(tls.client_file),
    }
    loaded = Settings.load(base_settings.config_dir, base_settings.data_dir, env)
    assert loaded.kmip is not None
    assert (loaded.kmip.host, loaded.kmip.port, loaded.kmip.key_id) == ("::1", 5696, None)
    assert loaded.kmip.endpoint == "[::1]:5696"
    assert loaded.with_overrides().kmip == loaded.kmip
    assert base_settings.kmip is None


def test_when_the_kmip_environment_is_complete_then_it_is_read(tls: TlsFiles) -> None:
    env = {
        "CHAT_SERVICE_KMIP_ENDPOINT": "kmip.example:5696",
        "CHAT_SERVICE_KMIP_CA_FILE": str(tls.ca_file),
        "CHAT_SERVICE_KMIP_CERT_FILE": str(tls.client_file),
        "CHAT_SERVICE_KMIP_KEY_ID": "42",
    }
    assert KmipSettings.from_env(env) == KmipSettings(
        host="kmip.example",
        port=5696,
        ca_file=tls.ca_file,
        cert_file=tls.client_file,
        key_id="42",
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CHAT_SERVICE_KMIP_ENDPOINT": "kmip.example"}, "must be host:port"),
        ({"CHAT_SERVICE_KMIP_ENDPOINT": "kmip.example:99999"}, "must be host:port"),
        ({"CHAT_SERVICE_KMIP_ENDPOINT": "kmip.example:5696"}, "CA_FILE is required"),
        ({"CHAT_SERVICE_KMIP_KEY_ID": "1"}, "ENDPOINT is not"),
    ],
)
def test_when_the_kmip_environment_is_incomplete_then_it_is_a_config_error(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        KmipSettings.from_env(env)


def test_when_a_kmip_tls_file_is_missing_then_it_is_a_config_error(
    tls: TlsFiles, tmp_path: Path
) -> None:
    env = {
        "CHAT_SERVICE_KMIP_ENDPOINT": "127.0.0.1:5696",
        "CHAT_SERVICE_KMIP_CA_FILE": str(tls.ca_file),
        "CHAT_SERVICE_KMIP_CERT_FILE": str(tmp_path / "absent.pem"),
    }
    with pytest.raises(ConfigError, match=r"CHAT_SERVICE_KMIP_CERT_FILE: .* is not a readable"):
        KmipSettings.from_env(env)


# -- the commands refuse to start --------------------------------------------------------------


# One process that starts Python and its own store child: seconds on an idle machine, far
# more at the load the suite runs under.
@pytest.mark.timeout(360)
async def test_when_the_kmip_server_is_unreachable_then_a_data_command_refuses_to_start(
    tls: TlsFiles, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    env = {
        "CHAT_SERVICE_KMIP_ENDPOINT": f"127.0.0.1:{port}",
        "CHAT_SERVICE_KMIP_CA_FILE": str(tls.ca_file),
        "CHAT_SERVICE_KMIP_CERT_FILE": str(tls.client_file),
    }
    code, out, err = await run_cli("privacy", "report", "--data", str(tmp_path), env=env)
    assert code == 2
    assert out == ""
    assert f"configuration error: the KMIP server at 127.0.0.1:{port}" in err
