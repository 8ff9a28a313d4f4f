#!/usr/bin/env python3
"""Writes seed inputs for the PDU fuzz target: a type byte, then a PDU body (PS3.8 §9.3), one of each kind."""
import os
import struct
import sys


def item(t, value):
    return struct.pack(">BBH", t, 0, len(value)) + value


def associate(called, calling, contexts, accept=False):
    body = struct.pack(">HH", 1, 0) + called.ljust(16).encode() + calling.ljust(16).encode() + bytes(32)
    body += item(0x10, b"1.2.840.10008.3.1.1.1")
    for pcid, abstract, syntaxes in contexts:
        if accept:
            body += item(0x21, struct.pack(">BBBB", pcid, 0, 0, 0) + item(0x40, syntaxes[0].encode()))
        else:
            sub = item(0x30, abstract.encode()) + b"".join(item(0x40, s.encode()) for s in syntaxes)
            body += item(0x20, struct.pack(">BBBB", pcid, 0, 0, 0) + sub)
    user = item(0x51, struct.pack(">I", 16384)) + item(0x52, b"1.2.3.4") + item(0x55, b"SEED")
    user += item(0x53, struct.pack(">HH", 1, 1))
    user += item(0x54, struct.pack(">H", 25) + b"1.2.840.10008.5.1.4.1.1.2" + b"\x00\x01")
    user += item(0x56, struct.pack(">H", 27) + b"1.2.840.10008.5.1.4.1.2.2.1" + b"\x01\x01\x00")
    user += item(0x58, b"\x02\x01" + struct.pack(">H", 4) + b"user" + struct.pack(">H", 4) + b"pass")
    return body + item(0x50, user)


def main(folder):
    ts = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]
    ctx = [(1, "1.2.840.10008.1.1", ts), (3, "1.2.840.10008.5.1.4.1.1.2", ts)]
    seeds = {
        "rq": b"\x01" + associate("SCP", "SCU", ctx),
        "ac": b"\x02" + associate("SCP", "SCU", ctx, accept=True),
        "rj": b"\x03" + bytes([0, 1, 1, 7]),
        "data": b"\x04" + struct.pack(">IBB", 6, 1, 3) + b"abcd" + struct.pack(">IBB", 4, 1, 2) + b"ef",
        "release": b"\x05" + bytes(4),
        "abort": b"\x07" + bytes([0, 0, 2, 1]),
    }
    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
