"""``host:port`` strings as Toxiproxy's Go server parses, resolves and prints them."""

from __future__ import annotations

import ipaddress
import socket

from scenarios.proxy.errors import ApiError

#: Toxiproxy's listeners use Go's default, the kernel's somaxconn (4096 on Linux ≥ 5.4)
LISTEN_BACKLOG = 4096


def split_hostport(text: str) -> tuple[str, int]:
    """Split ``host:port`` / ``[v6]:port``; errors read like Go's ``net`` package.

    An empty address is what Toxiproxy's API passes to ``net.Listen`` when ``listen`` is
    omitted: Go binds an ephemeral port on every interface, and so do we.
    """
    if text == "":
        return "", 0
    if ":" not in text:
        raise ApiError.os_error(f"address {text}: missing port in address")
    host, _, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ApiError.os_error(f"address {text}: too many colons in address")
    try:
        port = int(port_text) if port_text else 0
    except ValueError:
        raise ApiError.os_error(f"address {text}: invalid port") from None
    if not 0 <= port <= 65535:
        raise ApiError.os_error(f"address {text}: invalid port")
    return host, port


def join_hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def resolve_host(host: str) -> str:
    """An IP literal for ``host`` (``""`` stays empty: all interfaces)."""
    if not host:
        return ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ApiError.os_error(f"lookup {host}: no such host") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)  # prefer IPv4, like Go
    return str(infos[0][4][0])


def normalize_listen(text: str) -> str:
    """The resolved form Toxiproxy compares when deciding whether a listen changed."""
    host, port = split_hostport(text)
    return join_hostport(resolve_host(host), port)


def bind_socket(text: str) -> socket.socket:
    """A listening socket for ``text``; an empty host binds every interface (dual stack)."""
    try:
        host, port = split_hostport(text)
        ip = resolve_host(host)
    except ApiError as exc:
        raise ApiError.os_error(f"listen tcp: {exc.message}") from None
    if not ip and socket.has_dualstack_ipv6():
        family, bind_to = socket.AF_INET6, "::"
    else:
        bind_to = ip or "0.0.0.0"
        family = socket.AF_INET6 if ":" in bind_to else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when
    # their proto says TCP (uvloop always does); without it Nagle delays small replies
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and not ip:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((bind_to, port))
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        raise ApiError.os_error(f"listen tcp {join_hostport(ip, port)}: bind: {reason}") from None
    return sock


def bound_address(sock: socket.socket) -> str:
    name = sock.getsockname()
    return join_hostport(str(name[0]), int(name[1]))
