#!/usr/bin/env python3
"""Stands in for systemd's notification socket: binds a unix datagram socket at
SOCKET and appends every message it receives to OUTFILE, one line per field
(READY=1, STATUS=..., WATCHDOG=1, ...). Stops by itself after 300 s."""
import os
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(1.0)
deadline = time.time() + 300
with open(out, "a", buffering=1) as f:
    f.write("LISTENING\n")
    while time.time() < deadline:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        for line in data.decode("utf-8", "replace").splitlines():
            f.write(line + "\n")
os.unlink(path)
