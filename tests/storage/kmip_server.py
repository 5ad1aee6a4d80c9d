"""A real KMIP server for the tests: PyKMIP's, as a subprocess on a free loopback port.

Certificates are made here with `cryptography`: a CA, a server certificate for 127.0.0.1
(IP SAN), and a client certificate (certificate and key in one PEM, as libmongocrypt reads
`tlsCertificateKeyFile`). The server keeps its SQLite database, policy directory, config
and log in the given directory; `stop()` ends it (its objects stay in the database, so a
`start()` afterwards serves the same keys).
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.helpers.ports import free_port

# PyKMIP's server reads its policies and opens its database in about a second here.
START_TIMEOUT_SECS = 30.0
_CERT_DAYS = 2


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    server_cert_file: Path
    server_key_file: Path
    client_file: Path  # client certificate + key


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    usage: x509.ObjectIdentifier | None = None,
    ip: str | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=not ca,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if ip is not None:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_tls_files(directory: Path, *, name: str = "test") -> TlsFiles:
    """A fresh CA, a server certificate for 127.0.0.1 and a client certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"chat-service {name} CA")
    ca = _issue(f"chat-service {name} CA", ca_key, ca_name, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue(
        "127.0.0.1",
        server_key,
        ca_name,
        ca_key,
        ca=False,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        ip="127.0.0.1",
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue(
        "chat-service", client_key, ca_name, ca_key, ca=False, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    files = TlsFiles(
        ca_file=directory / "ca.pem",
        server_cert_file=directory / "server.pem",
        server_key_file=directory / "server.key",
        client_file=directory / "client.pem",
    )
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.server_cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.server_key_file.write_bytes(_pem_key(server_key))
    files.client_file.write_bytes(
        client.public_bytes(serialization.Encoding.PEM) + _pem_key(client_key)
    )
    return files


class KmipServer:
    """PyKMIP's server in a subprocess (blocking methods: call them in a thread)."""

    def __init__(self, directory: Path, tls: TlsFiles) -> None:
        self.directory = directory
        self.tls = tls
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr = directory / "stderr.log"

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        policies = self.directory / "policies"
        policies.mkdir(parents=True, exist_ok=True)
        config = self.directory / "server.conf"
        config.write_text(
            "[server]\n"
            "hostname=127.0.0.1\n"
            f"port={self.port}\n"
            f"certificate_path={self.tls.server_cert_file}\n"
            f"key_path={self.tls.server_key_file}\n"
            f"ca_path={self.tls.ca_file}\n"
            "auth_suite=TLS1.2\n"
            f"policy_path={policies}\n"
            "enable_tls_client_auth=True\n"
            "logging_level=INFO\n"
            f"database_path={self.directory / 'kmip.sqlite'}\n"
        )
        with self._stderr.open("wb") as stderr:
            self._process = subprocess.Popen(  # noqa: S603  # PyKMIP's server, fixed arguments
                [
                    sys.executable,
                    "-m",
                    "kmip.services.server.server",
                    "--config_path",
                    str(config),
                    "--log_path",
                    str(self.directory / "server.log"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                # It forks a manager and a process per session: stop() ends the whole group.
                start_new_session=True,
            )
        self._wait_until_serving()

    def _wait_until_serving(self) -> None:
        """Until a mutual-TLS handshake succeeds (the server is up), or the process ends."""
        assert self._process is not None
        context = ssl.create_default_context(cafile=str(self.tls.ca_file))
        context.load_cert_chain(str(self.tls.client_file))
        deadline = START_TIMEOUT_SECS
        step = 0.05
        waited = 0.0
        while True:
            if self._process.poll() is not None:
                err = self._stderr.read_text(errors="replace")
                raise RuntimeError(f"the KMIP server exited: {err}")
            try:
                with (
                    socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw,
                    context.wrap_socket(raw, server_hostname="127.0.0.1"),
                ):
                    return
            except (ConnectionRefusedError, ssl.SSLError, OSError):
                if waited >= deadline:
                    self.stop()
                    raise RuntimeError("the KMIP server did not start listening") from None
            # Waiting for the server's listening socket, or for the process to end.
            try:
                self._process.wait(timeout=step)
            except subprocess.TimeoutExpired:
                waited += step

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        # Killed outright, with its manager and session processes: what it stored is
        # committed to its SQLite database already.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
