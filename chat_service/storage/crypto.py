"""Sensitive values at rest: client-side field-level encryption, explicit mode.

One data key per customer lives in the key-vault collection `<database>.encryption_keys`
(key alt name `customer:<id>`), wrapped by the master key: `CHAT_SERVICE_MASTER_KEY` (the
"local" KMS provider), or, with CHAT_SERVICE_KMIP_ENDPOINT set, a key held by a KMIP server
reached over mutual TLS (the "kmip" provider; new data keys are made there, and keys made
under the local key stay readable while that key is configured; `rewrap_data_keys` moves
them). Values are encrypted with the random algorithm
(AEAD_AES_256_CBC_HMAC_SHA_512_Random): two encryptions of one value differ, and nothing
about the plaintext can be queried. Deleting a customer's data key (`shred`) makes every copy
of every value under it unreadable, backups included (crypto-shredding).

Key cache: libmongocrypt keeps unwrapped data keys in memory for `key_expiration_ms`
(60 s by default; 0 means *never expire*, not "no cache"). So that a shred takes effect at
once in this process, `shred` replaces the `AsyncClientEncryption` (and its cache) after
deleting the key; operations already running on the old one finish on it, then it is closed.
Another process that shredded a key is seen here within `KEY_CACHE_MS`.

A wrong master key is a configuration error, not a shredded key: `start`, `encrypt` and
`decrypt` raise `MasterKeyError` when a data key exists but cannot be unwrapped, so a bad
`CHAT_SERVICE_MASTER_KEY` never passes for "every customer was erased"; `KmipError` (one of
them) when the KMIP server cannot be reached or refuses this service, so a KMIP outage never
passes for one either, and there is no fall back to the local key.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import os
import secrets
import socket
import ssl
import stat
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, Literal, NotRequired, TypedDict

from bson.binary import STANDARD, UUID_SUBTYPE, Binary
from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.encryption import AsyncClientEncryption
from pymongo.encryption_shared import Algorithm  # defined here; re-exported untyped elsewhere
from pymongo.errors import DuplicateKeyError, EncryptionError

from chat_service.errors import ConfigError
from chat_service.settings import KmipSettings, Secret

logger = logging.getLogger(__name__)

MASTER_KEY_BYTES: Final = 96
DEV_KEY_FILE: Final = "master.key"
KEY_VAULT_COLLECTION: Final = "encryption_keys"
KMS_PROVIDER: Final = "local"
KMIP_PROVIDER: Final = "kmip"
# Connecting to the KMIP server at start (the TLS handshake included).
KMIP_CONNECT_TIMEOUT_SECS: Final = 10.0
ALGORITHM: Final = Algorithm.AEAD_AES_256_CBC_HMAC_SHA_512_Random
# How long libmongocrypt may keep an unwrapped data key: bounds how late a shred made by
# another process is seen here (this process's own shreds take effect at once).
KEY_CACHE_MS: Final = 10_000
# Customer -> data key id, in process; bounded so a long run does not grow without end.
MAX_CACHED_KEY_IDS: Final = 100_000
# An encrypted value (BSON binary subtype 6): blob subtype, key UUID (16 bytes), BSON type.
_ENCRYPTED_SUBTYPE: Final = 6
_FLE_BLOB_SUBTYPES: Final = (1, 2)


class MasterKeyError(ConfigError):
    """The master key is missing, malformed, or cannot unwrap the stored data keys."""


class KmipError(MasterKeyError):
    """The KMIP server cannot be reached, refuses this service, or cannot unwrap a data key."""


Provider = Literal["local", "kmip"]


def load_master_key(secret: Secret | None, data_dir: Path, *, allow_dev_key: bool) -> bytes:
    """The 96-byte master key from CHAT_SERVICE_MASTER_KEY (base64), or the development key.

    The development key (`<data_dir>/master.key`, mode 0600) is only for the embedded store on
    loopback (`allow_dev_key`); it is created once and reused. Blocking (file I/O): from async
    code, call it through `asyncio.to_thread`. Error messages never contain the value.
    """
    if secret is not None:
        return _decode_master_key(secret.reveal())
    if not allow_dev_key:
        raise MasterKeyError(
            "CHAT_SERVICE_MASTER_KEY is required with this store: base64 of 96 random bytes "
            '(e.g. python -c "import base64, secrets; '
            'print(base64.b64encode(secrets.token_bytes(96)).decode())")'
        )
    path = data_dir / DEV_KEY_FILE
    key = _read_or_create_dev_key(path)
    logger.warning(
        "CHAT_SERVICE_MASTER_KEY is not set: a development master key is in use; "
        "set CHAT_SERVICE_MASTER_KEY for any real data",
        extra={"path": str(path)},
    )
    return key


def _decode_master_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(
            "CHAT_SERVICE_MASTER_KEY is not valid base64 (expected base64 of 96 random bytes)"
        ) from None
    if len(key) != MASTER_KEY_BYTES:
        raise MasterKeyError(
            f"CHAT_SERVICE_MASTER_KEY must decode to exactly {MASTER_KEY_BYTES} bytes, "
            f"not {len(key)}"
        )
    return key


def _read_or_create_dev_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    # An earlier start (or a concurrent one) may have made it: then reuse it.
    with contextlib.suppress(FileExistsError):
        _create_dev_key(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning(
            "the development master key file is readable by others; chmod 600 it",
            extra={"path": str(path)},
        )
    key = path.read_bytes()
    if len(key) != MASTER_KEY_BYTES:
        raise MasterKeyError(
            f"{path} must hold exactly {MASTER_KEY_BYTES} bytes, not {len(key)}: "
            "remove it only if no data was encrypted with it"
        )
    return key


def _create_dev_key(path: Path) -> None:
    """Write a fresh key to a private temporary file, then link it into place.

    The link is the O_EXCL step: it fails if the key exists, and readers never see a partly
    written key.
    """
    if path.exists():
        raise FileExistsError(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # exactly 0600 whatever the umask
        os.write(fd, secrets.token_bytes(MASTER_KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    finally:
        tmp.unlink()


def key_alt_name(customer_id: str) -> str:
    return f"customer:{customer_id}"


def encrypted_key_id(value: Binary) -> Binary:
    """The data key id (UUID, subtype 4) an encrypted value was made with."""
    if value.subtype != _ENCRYPTED_SUBTYPE or len(value) < 18:
        raise ValueError("not a field-level encrypted value")
    if value[0] not in _FLE_BLOB_SUBTYPES:
        raise ValueError("not a field-level encrypted value")
    return Binary(bytes(value[1:17]), UUID_SUBTYPE)


class MasterKeyDoc(TypedDict):
    """Which master key wraps a data key, as libmongocrypt stores it."""

    provider: str
    keyId: NotRequired[str]  # the KMIP SecretData's unique identifier


class DataKeyDoc(TypedDict):
    """A data key in the key vault, as libmongocrypt stores it; only what this module reads
    (its id, the `keyAltNames` it is found by, the master key's provider)."""

    _id: Binary
    keyAltNames: NotRequired[list[str]]
    masterKey: NotRequired[MasterKeyDoc]


class _Generation:
    """One AsyncClientEncryption and its key cache; closed once retired and idle."""

    __slots__ = ("encryption", "retired", "users")

    def __init__(self, encryption: AsyncClientEncryption[DataKeyDoc]) -> None:
        self.encryption = encryption
        self.users = 0
        self.retired = False


class FieldCipher:
    """One data key per customer in the key vault (key_alt_name f"customer:{customer_id}"),
    wrapped by the master key: the local one, or the KMIP server's when `kmip` is given (the
    local key then still unwraps the data keys made before)."""

    def __init__(
        self,
        client: AsyncMongoClient[Any],
        database: str,
        master_key: bytes,
        *,
        kmip: KmipSettings | None = None,
    ) -> None:
        if len(master_key) != MASTER_KEY_BYTES:
            raise MasterKeyError(f"the master key must be exactly {MASTER_KEY_BYTES} bytes")
        self._client = client
        self._namespace = f"{database}.{KEY_VAULT_COLLECTION}"
        self._kmip = kmip
        self._kms_providers: dict[str, dict[str, bytes | str]] = {KMS_PROVIDER: {"key": master_key}}
        self._kms_tls_options: dict[str, dict[str, str]] | None = None
        if kmip is not None:
            self._kms_providers[KMIP_PROVIDER] = {"endpoint": kmip.endpoint}
            self._kms_tls_options = {
                KMIP_PROVIDER: {
                    "tlsCAFile": str(kmip.ca_file),
                    "tlsCertificateKeyFile": str(kmip.cert_file),
                }
            }
        # The client's document type is left open (PyMongo's typing recipe, as in db.py).
        self._vault: AsyncCollection[DataKeyDoc] = client[database][KEY_VAULT_COLLECTION]
        self._current: _Generation | None = None
        self._key_ids: dict[str, Binary] = {}
        # Per-customer locks for first key creation and shred; gone when no task holds one.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock]
        self._locks = weakref.WeakValueDictionary()

    @property
    def provider(self) -> Provider:
        """The KMS provider new data keys are made with."""
        return KMIP_PROVIDER if self._kmip is not None else KMS_PROVIDER

    async def start(self) -> None:
        """Create the key vault's index, reach the KMIP server if one is configured, then
        check each configured master key against a data key it wraps."""
        # As MongoDB documents for key vaults; the embedded store (mongoeco) accepts it too.
        await self._vault.create_index(
            "keyAltNames",
            unique=True,
            partialFilterExpression={"keyAltNames": {"$exists": True}},
        )
        if self._kmip is not None:
            # Fail fast on an unreachable server or unusable TLS files, even with no data
            # key under it yet.
            await asyncio.to_thread(_reach_kmip, self._kmip)
        self._current = _Generation(await self._new_encryption())
        # Fail fast on a wrong CHAT_SERVICE_MASTER_KEY (or KMIP key), or on data keys under
        # a KMIP server that is not configured: unwrap one stored data key per provider.
        for provider in (KMS_PROVIDER, KMIP_PROVIDER):
            # index: none (the first match in a small collection: one key per customer)
            doc = await self._vault.find_one({"masterKey.provider": provider}, {"_id": 1})
            if doc is not None:
                await self._check_master_key(_as_key_id(doc["_id"]))

    async def close(self) -> None:
        current, self._current = self._current, None
        if current is not None:
            current.retired = True
            if current.users == 0:
                await current.encryption.close()

    async def encrypt(self, customer_id: str, value: str) -> Binary:
        """`value` encrypted (random algorithm) under the customer's data key, made on first use."""
        key_id = await self._key_id(customer_id)
        failure: EncryptionError
        async with self._encryption() as encryption:
            try:
                return await encryption.encrypt(value, ALGORITHM, key_id=key_id)
            except EncryptionError as exc:
                failure = exc
        if await self._key_provider(key_id) is not None:
            await self._check_master_key(key_id)
            raise failure
        # Shredded by another process since we cached its id: a new key for new values.
        self._forget(customer_id, key_id)
        key_id = await self._key_id(customer_id)
        async with self._encryption() as encryption:
            return await encryption.encrypt(value, ALGORITHM, key_id=key_id)

    async def decrypt(self, value: Binary) -> str | None:
        """The plaintext, or None when the value's data key was shredded.

        Raises MasterKeyError when the key exists but this master key cannot unwrap it,
        ValueError for a value that is not field-encrypted, EncryptionError for a corrupted
        one, PyMongoError when the store cannot be reached.
        """
        key_id = encrypted_key_id(value)
        failure: EncryptionError
        async with self._encryption() as encryption:
            try:
                plain = await encryption.decrypt(value)
            except EncryptionError as exc:
                failure = exc
            else:
                if not isinstance(plain, str):
                    raise ValueError("the encrypted value is not a string")
                return plain
        if await self._key_provider(key_id) is None:
            return None
        await self._check_master_key(key_id)
        raise failure

    async def shred(self, customer_id: str) -> bool:
        """Delete the customer's data key: every value under it is unreadable from now on.

        True if a key existed. In this process the effect is immediate (the key cache is
        dropped with its AsyncClientEncryption); a later `encrypt` makes a new key.
        """
        async with self._lock(customer_id):
            # index: keyAltNames_1
            result = await self._vault.delete_many({"keyAltNames": key_alt_name(customer_id)})
            self._key_ids.pop(customer_id, None)
            await self._renew_encryption()
        shredded = result.deleted_count > 0
        logger.info(
            "customer data key shredded" if shredded else "no customer data key to shred",
            extra={"customer_id": customer_id},
        )
        return shredded

    async def rewrap_data_keys(self, *, from_provider: Provider | None = None) -> int:
        """Rewrap every data key (or those under `from_provider`) with the current master key:
        the KMIP server's (its `key_id` if set) when configured, else the local one. The data
        keys themselves do not change, so every value stays readable. Returns how many were
        rewrapped. Both the old and the new master key must be configured while it runs."""
        query: dict[str, Any] = {}
        if from_provider is not None:
            query["masterKey.provider"] = from_provider
        master_key: dict[str, Any] | None = None
        if self._kmip is not None and self._kmip.key_id is not None:
            master_key = {"keyId": self._kmip.key_id}
        async with self._encryption() as encryption:
            result = await encryption.rewrap_many_data_key(
                query, provider=self.provider, master_key=master_key
            )
        # Forget data keys unwrapped under the old master key.
        await self._renew_encryption()
        bulk = result.bulk_write_result
        count = 0 if bulk is None else bulk.modified_count
        logger.info(
            "customer data keys rewrapped",
            extra={"count": count, "provider": self.provider, "from_provider": from_provider},
        )
        return count

    async def has_key(self, customer_id: str) -> bool:
        # index: keyAltNames_1
        doc = await self._vault.find_one({"keyAltNames": key_alt_name(customer_id)}, {"_id": 1})
        return doc is not None

    # -- internals ---------------------------------------------------------------------------

    async def _new_encryption(self) -> AsyncClientEncryption[DataKeyDoc]:
        # libmongocrypt is set up synchronously in the constructor (native handle, options):
        # keep that off the event loop.
        return await asyncio.to_thread(
            AsyncClientEncryption,
            self._kms_providers,
            self._namespace,
            self._client,
            CodecOptions(uuid_representation=STANDARD),
            kms_tls_options=self._kms_tls_options,
            key_expiration_ms=KEY_CACHE_MS,
        )

    async def _renew_encryption(self) -> None:
        """Replace the AsyncClientEncryption, so no data key stays cached in this process."""
        fresh = _Generation(await self._new_encryption())
        old, self._current = self._current, fresh
        if old is not None:
            old.retired = True
            if old.users == 0:
                await old.encryption.close()

    @asynccontextmanager
    async def _encryption(self) -> AsyncIterator[AsyncClientEncryption[DataKeyDoc]]:
        generation = self._current
        if generation is None:
            raise RuntimeError("FieldCipher is not started (or is closed)")
        generation.users += 1
        try:
            yield generation.encryption
        finally:
            generation.users -= 1
            if generation.retired and generation.users == 0:
                await generation.encryption.close()

    def _lock(self, customer_id: str) -> asyncio.Lock:
        lock = self._locks.get(customer_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[customer_id] = lock
        return lock

    async def _key_id(self, customer_id: str) -> Binary:
        """The customer's data key id; creates the key once, across tasks and processes."""
        cached = self._key_ids.get(customer_id)
        if cached is not None:
            return cached
        async with self._lock(customer_id):
            cached = self._key_ids.get(customer_id)
            if cached is not None:
                return cached
            key_id = await self._find_key(customer_id)
            if key_id is None:
                key_id = await self._create_key(customer_id)
            if len(self._key_ids) >= MAX_CACHED_KEY_IDS:
                self._key_ids.pop(next(iter(self._key_ids)))
            self._key_ids[customer_id] = key_id
            return key_id

    async def _create_key(self, customer_id: str) -> Binary:
        async with self._encryption() as encryption:
            master_key: dict[str, Any] | None = None
            if self._kmip is not None and self._kmip.key_id is not None:
                master_key = {"keyId": self._kmip.key_id}
            try:
                key_id = await encryption.create_data_key(
                    self.provider, master_key=master_key, key_alt_names=[key_alt_name(customer_id)]
                )
            except EncryptionError as exc:
                if not isinstance(exc.cause, DuplicateKeyError):
                    if self._kmip is not None:
                        raise KmipError(
                            f"the KMIP server at {self._kmip.endpoint} could not make a data key "
                            f"(CHAT_SERVICE_KMIP_ENDPOINT, _KEY_ID): {exc}"
                        ) from exc
                    raise
                # Another process made it first (unique keyAltNames index): use theirs.
                existing = await self._find_key(customer_id)
                if existing is None:
                    raise  # and it was shredded in between: let the caller retry
                return existing
        logger.debug("customer data key created")
        return key_id

    async def _find_key(self, customer_id: str) -> Binary | None:
        # index: keyAltNames_1
        doc = await self._vault.find_one({"keyAltNames": key_alt_name(customer_id)}, {"_id": 1})
        return None if doc is None else _as_key_id(doc["_id"])

    async def _key_provider(self, key_id: Binary) -> str | None:
        """The provider of the master key that wraps this data key; None if it is gone."""
        # index: _id_
        doc = await self._vault.find_one({"_id": key_id}, {"masterKey.provider": 1})
        if doc is None:
            return None
        return doc.get("masterKey", {"provider": KMS_PROVIDER})["provider"]

    def _forget(self, customer_id: str, key_id: Binary) -> None:
        if self._key_ids.get(customer_id) == key_id:
            del self._key_ids[customer_id]

    async def _check_master_key(self, key_id: Binary) -> None:
        """Raise MasterKeyError if the data key exists but this master key cannot unwrap it."""
        async with self._encryption() as encryption:
            try:
                await encryption.encrypt("", ALGORITHM, key_id=key_id)
            except EncryptionError as exc:
                provider = await self._key_provider(key_id)
                if provider is None:
                    return
                if provider == KMIP_PROVIDER and self._kmip is None:
                    raise KmipError(
                        f"data keys in the key vault ({self._namespace}) are wrapped by a KMIP "
                        "server, but CHAT_SERVICE_KMIP_ENDPOINT is not set"
                    ) from exc
                if provider == KMIP_PROVIDER and self._kmip is not None:
                    raise KmipError(
                        f"the KMIP server at {self._kmip.endpoint} cannot unwrap the data keys "
                        f"in the key vault ({self._namespace}): {exc}"
                    ) from exc
                raise MasterKeyError(
                    "the master key cannot unwrap the data keys in the key vault "
                    f"({self._namespace}): CHAT_SERVICE_MASTER_KEY is not the key they "
                    "were created with"
                ) from exc


def _reach_kmip(kmip: KmipSettings) -> None:
    """A mutual-TLS handshake with the KMIP server, or KmipError (blocking: in a thread)."""
    try:
        context = ssl.create_default_context(cafile=str(kmip.ca_file))
        # No stricter than the driver's own KMS connections (no X.509 strict mode).
        context.verify_flags &= ~ssl.VERIFY_X509_STRICT
        context.load_cert_chain(str(kmip.cert_file))
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise KmipError(
            "CHAT_SERVICE_KMIP_CA_FILE or CHAT_SERVICE_KMIP_CERT_FILE cannot be used "
            f"(a CA certificate, and a client certificate with its key, in PEM): {exc}"
        ) from exc
    try:
        with (
            socket.create_connection(
                (kmip.host, kmip.port), timeout=KMIP_CONNECT_TIMEOUT_SECS
            ) as raw,
            context.wrap_socket(raw, server_hostname=kmip.host) as tls,
        ):
            # TLS 1.3 reports a rejected client certificate only on the first read.
            tls.setblocking(False)
            with contextlib.suppress(ssl.SSLWantReadError):
                tls.recv(1)
    except OSError as exc:
        raise KmipError(
            f"the KMIP server at {kmip.endpoint} (CHAT_SERVICE_KMIP_ENDPOINT) cannot be "
            f"reached over mutual TLS: {exc}"
        ) from exc


def _as_key_id(raw: object) -> Binary:
    if isinstance(raw, uuid.UUID):
        return Binary.from_uuid(raw)
    if isinstance(raw, Binary) and raw.subtype == UUID_SUBTYPE:
        return raw
    raise ValueError("a key vault document has an _id that is not a UUID")
