"""Turns off transmit checksum offload on a guest's interface (run inside the guest
namespace: ``python txcsum.py eth0``). A veth hands the relay frames whose TCP/UDP
checksums the kernel meant to fill in later; written into a tap they would arrive
with bad checksums. Without offload the guest computes them (and TSO goes off too)."""
from __future__ import annotations

import array
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17


def main(interface: str) -> None:
    value = array.array("I", [ETHTOOL_STXCSUM, 0])
    address, _ = value.buffer_info()
    request = struct.pack("16sP", interface.encode(), address)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock.fileno(), SIOCETHTOOL, request)


if __name__ == "__main__":
    main(sys.argv[1])
