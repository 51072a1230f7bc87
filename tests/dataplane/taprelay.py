"""Plays QEMU for a dataplane test: opens a port's tap by name and relays its frames to
and from a veth whose other end is a "guest" namespace's eth0.

Run inside the host namespace: ``python tests/dataplane/taprelay.py TAP VETH``; it
prints ``ready`` once both ends are open and runs until killed.
"""
from __future__ import annotations

import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def open_tap(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main(tap: str, veth: str) -> None:
    tap_fd = open_tap(tap)
    wire = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    wire.bind((veth, 0))
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([tap_fd, wire], [], [])
        if tap_fd in readable:
            wire.send(os.read(tap_fd, 65536))
        if wire in readable:
            frame, address = wire.recvfrom(65536)
            if address[2] != PACKET_OUTGOING:
                os.write(tap_fd, frame)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
