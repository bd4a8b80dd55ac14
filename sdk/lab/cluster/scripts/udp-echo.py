#!/usr/bin/env python3
"""UDP echo server of a lab backend pod (run inside the pod's network namespace).

Every datagram is answered, from the listening port, with one line: `<name> <peer address as the
pod sees it>`. One process and one socket (socat's UDP-RECVFROM with fork hands datagrams to child
processes that can swallow a later datagram from another peer: seen as lost requests in the lab).

Usage: udp-echo.py NAME PORT LOG   (LOG: the lab's log file; it names the run dir, so `lab down`
recognises the process as the lab's)
"""
import socket
import sys


def main() -> None:
    name, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", port))
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"{name}: UDP echo on port {port}\n")
    while True:
        _, peer = sock.recvfrom(2048)
        sock.sendto(f"{name} {peer[0]}\n".encode(), peer)


if __name__ == "__main__":
    main()
