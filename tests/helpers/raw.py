"""Raw TCP clients for the tests of connection hygiene: a peer that trickles, idles or
never reads, which no well-behaved client library can be made to be."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from dataclasses import dataclass

WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


@dataclass
class RawConnection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def stop_reading(self) -> None:
        """Take nothing more off the socket (asyncio would otherwise read ahead up to
        128 KB into the reader): the kernel's small receive buffer fills and stays full."""
        self.writer.transport.pause_reading()  # type: ignore[attr-defined]  # a ReadTransport

    async def ended(self, bound_secs: float = 30.0) -> str:
        """Read (and discard) until the server ends the connection: "eof" or "reset".
        The bound only keeps a broken server from hanging the suite."""
        self.writer.transport.resume_reading()  # type: ignore[attr-defined]  # a ReadTransport
        async with asyncio.timeout(bound_secs):
            try:
                while await self.reader.read(65536):
                    pass
            except ConnectionResetError:
                return "reset"
        return "eof"

    async def read_all(self, bound_secs: float = 30.0) -> bytes:
        """Everything the server sends until it ends the connection."""
        chunks: list[bytes] = []
        self.writer.transport.resume_reading()  # type: ignore[attr-defined]  # a ReadTransport
        async with asyncio.timeout(bound_secs):
            try:
                while chunk := await self.reader.read(65536):
                    chunks.append(chunk)
            except ConnectionResetError:
                pass
        return b"".join(chunks)

    def close(self) -> None:
        self.writer.close()


async def open_raw(host: str, port: int | None, *, rcvbuf: int | None = None) -> RawConnection:
    assert port is not None, "the server is not listening"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before the handshake
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
    except BaseException:
        sock.close()
        raise
    reader, writer = await asyncio.open_connection(sock=sock)
    return RawConnection(reader, writer)


async def open_raw_ws(
    host: str, port: int | None, token: str, *, rcvbuf: int | None = None, reading: bool = True
) -> RawConnection:
    """A WebSocket opened by hand (101 read); with `reading=False` nothing is taken off
    the socket after that until `ended()`."""
    conn = await open_raw(host, port, rcvbuf=rcvbuf)
    await conn.send(
        (
            f"GET /ws?token={token} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    status = await conn.reader.readline()
    assert b" 101 " in status, status
    while (await conn.reader.readline()) not in (b"\r\n", b""):
        pass
    if not reading:
        conn.stop_reading()
    return conn


def text_frame(text: str) -> bytes:
    """One masked client text frame (RFC 6455 5.2)."""
    payload = text.encode()
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 0x80 | 127, length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked
