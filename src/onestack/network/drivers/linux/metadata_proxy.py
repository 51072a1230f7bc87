"""The per-network metadata proxy: listens on 169.254.169.254:80 inside a DHCP namespace
and forwards each HTTP request to onestack's metadata endpoint, naming the network
(``X-Onestack-Network-ID``) and the guest's fixed IP (``X-Forwarded-For``, the source
address the request came from) so the server can tell which instance asks, and signs
the two with the secret it shares with the metadata service
(``X-Onestack-Metadata-Signature``: hex HMAC-SHA256 of the network id followed by the
address, as ``onestack.compute.metadata.signing`` checks).
Whatever the guest sent under those names is dropped.

It starts in the agent's namespace, enters the DHCP namespace only to open its listening
socket and returns, so the upstream (usually on loopback) stays reachable. Run as
``python -m onestack.network.drivers.linux.metadata_proxy --netns NS --network-id ID
--upstream URL [--secret-file FILE]``.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from onestack.network.drivers.linux import inside

NETWORK_HEADER = "X-Onestack-Network-ID"
FORWARDED_HEADER = "X-Forwarded-For"
SIGNATURE_HEADER = "X-Onestack-Metadata-Signature"
DROPPED = {"x-forwarded-for", "x-onestack-network-id", "x-onestack-metadata-signature",
           "connection", "keep-alive", "proxy-connection", "host"}
MAX_HEAD = 64 * 1024


def listen_in(namespace: str, address: str, port: int) -> socket.socket:
    """A listening socket opened inside ``namespace``; the caller stays where it was."""
    with inside.entered(namespace):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
    return sock


def sign(secret: str, network_id: str, ip_address: str) -> str:
    return hmac.new(secret.encode(), (network_id + ip_address).encode(),
                    hashlib.sha256).hexdigest()


def rewrite_head(head: bytes, network_id: str, client_ip: str, upstream_host: str,
                 base_path: str, secret: str = "") -> bytes:
    """The request head as the upstream gets it: path under the upstream's base path,
    the identifying headers set by us (whatever the guest sent), one request per
    connection."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    if not target.startswith("/"):
        raise ValueError("only origin-form request targets")
    headers = [line for line in lines[1:] if line and
               line.split(":", 1)[0].strip().lower() not in DROPPED]
    headers += [f"Host: {upstream_host}", f"{NETWORK_HEADER}: {network_id}",
                f"{FORWARDED_HEADER}: {client_ip}", "Connection: close"]
    if secret:
        headers.append(f"{SIGNATURE_HEADER}: {sign(secret, network_id, client_ip)}")
    first = f"{method} {base_path.rstrip('/')}{target} {version}"
    return ("\r\n".join([first, *headers]) + "\r\n\r\n").encode("latin-1")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        if writer.can_write_eof():
            try:
                writer.write_eof()
            except OSError:
                pass


class Proxy:
    def __init__(self, network_id: str, upstream: str, secret: str = ""):
        parts = urlsplit(upstream)
        self.network_id = network_id
        self.secret = secret
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.host_header = parts.netloc
        self.base_path = parts.path

    async def handle(self, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        client_ip = writer.get_extra_info("peername")[0]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > MAX_HEAD:
                raise ValueError("request head too large")
            request = rewrite_head(head[:-4], self.network_id, client_ip, self.host_header,
                                   self.base_path, self.secret)
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except (ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            await _close(writer)
            return
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            await _close(writer)
            return
        up_writer.write(request)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        await _close(up_writer)
        await _close(writer)


async def _close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await writer.wait_closed()
    except OSError:
        pass


async def serve(sock: socket.socket, proxy: Proxy, pid_file: Path | None) -> None:
    server = await asyncio.start_server(proxy.handle, sock=sock)
    if pid_file is not None:
        pid_file.write_text(f"{os.getpid()}\n")
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--netns", required=True)
    parser.add_argument("--network-id", required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--listen", default="169.254.169.254")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--pid-file", type=Path)
    parser.add_argument("--secret-file", type=Path, help="the signing secret (not on the "
                                                          "command line, which anyone sees)")
    args = parser.parse_args(argv)
    secret = args.secret_file.read_text().strip() if args.secret_file else ""
    sock = listen_in(args.netns, args.listen, args.port)
    asyncio.run(serve(sock, Proxy(args.network_id, args.upstream, secret), args.pid_file))


if __name__ == "__main__":
    main()
