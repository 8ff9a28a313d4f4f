"""Hostile peers against `lightbox receive`, with raw sockets: malformed, out-of-order, oversized, truncated and
slow PDUs, and 2,000 rapid connect-and-abort cycles. After each the server must have answered A-ABORT or
A-ASSOCIATE-RJ (or closed), promptly, and must still serve a good association (echoscu); after the cycles its
memory and threads must be back near where they were.

The slow peers run in background threads from the first test of the module on, and are judged by the last
tests, so that their 30-odd seconds overlap the other tests. ARTIM (30 s) and the PDU timeout (60 s) are the
server's defaults; `lightbox receive` has no option to shorten them."""
import os
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

from interop_support import A_ABORT, A_ASSOCIATE_AC, A_ASSOCIATE_RJ, A_ASSOCIATE_RQ, A_RELEASE_RP, \
    A_RELEASE_RQ, HOST, P_DATA_TF, abort_pdu, associate_rq, associate_rq_body, describe, pdu, read_pdu, run

ARTIM = 30.0
SLACK = 5.0


def connect(server, timeout=10.0):
    s = socket.create_connection((HOST, server.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def answers_until_close(s, limit=10.0):
    """The types of the PDUs the server sends until it closes the connection; fails if it does not close
    within `limit` seconds."""
    s.settimeout(limit)
    kinds = []
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            p = read_pdu(s)
            if p is None:
                return kinds
            kinds.append(p[0])
    except ConnectionResetError:
        return kinds
    except socket.timeout:
        pass
    raise AssertionError(f"the server kept the connection open more than {limit} s (sent {kinds})")


def open_association(server):
    s = connect(server)
    s.sendall(associate_rq(called=server.aet))
    kind, _ = read_pdu(s)
    assert kind == A_ASSOCIATE_AC
    return s


def assert_refused(kinds, allowed=(A_ABORT, A_ASSOCIATE_RJ)):
    assert all(k in allowed for k in kinds), f"answered {kinds}, expected only {allowed} (or a close)"


def assert_serves(server):
    assert server.alive(), "the server died"
    cp = run(["echoscu", "-to", "10", "-aec", server.aet, HOST, server.port], timeout=30)
    assert cp.returncode == 0, describe(cp) + server.output()[-3000:]


def threads(server):
    for line in Path(f"/proc/{server.pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])


# ---------------------------------------------------------------------------------------------------------------
# Servers and the slow peers running in the background


@pytest.fixture(scope="module")
def server(module_launcher, tmp_path_factory, dcmtk):
    return module_launcher.receive(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def tls_server(module_launcher, tmp_path_factory, pki):
    return module_launcher.receive(tmp_path_factory.mktemp("hostile-tls"), "--tls", "--tls-cert", pki.server,
                                   "--tls-key", pki.server_key)


class SlowPeer(threading.Thread):
    """Connects, then sends `data` one byte per second; records after how long the server cut the connection
    (None if it had not after `give_up` seconds)."""

    def __init__(self, name, port, data, give_up=ARTIM + SLACK + 1):
        super().__init__(name=name, daemon=True)
        self.port, self.data, self.give_up = port, data, give_up
        self.cut_after = None
        self.started_at = None
        self.stop = threading.Event()

    def run(self):
        s = socket.create_connection((HOST, self.port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.started_at = time.monotonic()
        closed, sent = False, 0
        try:
            while not self.stop.is_set() and time.monotonic() - self.started_at < self.give_up:
                if self.data is not None and sent < len(self.data):
                    s.sendall(self.data[sent:sent + 1])
                    sent += 1
                s.settimeout(1.0)
                try:
                    chunk = s.recv(4096)  # an A-ABORT, say, before the close
                except socket.timeout:
                    continue
                if not chunk:
                    closed = True
                    break
        except OSError:  # reset, broken pipe
            closed = True
        if closed:
            self.cut_after = time.monotonic() - self.started_at
        s.close()

    def result(self):
        remaining = self.started_at + self.give_up + 2 - time.monotonic() if self.started_at else self.give_up
        self.join(timeout=max(0.0, remaining))
        return self.cut_after


@pytest.fixture(scope="module", autouse=True)
def slow_peers(server, tls_server):
    peers = {
        # Connects and sends nothing: ARTIM.
        "silent": SlowPeer("silent", server.port, None),
        # An A-ASSOCIATE-RQ one byte a second: ARTIM runs until the whole PDU has arrived (PS3.8 9.1.5, Sta2).
        "association": SlowPeer("association", server.port, associate_rq() * 4),
        # A TLS ClientHello record one byte a second.
        "tls": SlowPeer("tls", tls_server.port, b"\x16\x03\x01\x40\x00\x01\x00\x3f\xfc\x03\x03" + bytes(16384)),
    }
    for p in peers.values():
        p.start()
    yield peers
    for p in peers.values():
        p.stop.set()


# ---------------------------------------------------------------------------------------------------------------
# Malformed and out-of-order PDUs


def test_good_association_first(server):
    s = open_association(server)
    s.sendall(pdu(A_RELEASE_RQ, bytes(4)))
    assert read_pdu(s)[0] == A_RELEASE_RP
    s.close()
    assert_serves(server)


def test_pdu_length_shorter_than_its_items(server):
    """An A-ASSOCIATE-RQ whose PDU length cuts its items short."""
    body = associate_rq_body(called=server.aet)
    s = connect(server)
    s.sendall(pdu(A_ASSOCIATE_RQ, body[:-20], length=len(body) - 20))
    assert_refused(answers_until_close(s))
    s.close()
    assert_serves(server)


def test_pdu_length_zero(server):
    s = connect(server)
    s.sendall(pdu(A_ASSOCIATE_RQ, b"", length=0))
    assert_refused(answers_until_close(s))
    s.close()
    assert_serves(server)


def test_item_length_beyond_the_pdu(server):
    """A P-DATA-TF on an established association whose PDV item claims more bytes than the PDU holds."""
    s = open_association(server)
    s.sendall(pdu(P_DATA_TF, struct.pack(">IB", 1000, 1) + b"\x03" + bytes(10)))
    assert_refused(answers_until_close(s), allowed=(A_ABORT,))
    s.close()
    assert_serves(server)


def test_truncated_associate_rq_then_close(server):
    before = threads(server)
    for n in (1, 6, 10, 74, 100):
        s = connect(server)
        s.sendall(associate_rq(called=server.aet)[:n])
        s.close()
    assert_serves(server)
    deadline = time.monotonic() + 5
    while threads(server) > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert threads(server) <= before, "threads serving the closed connections are still there"


def test_p_data_before_association(server):
    s = connect(server)
    s.sendall(pdu(P_DATA_TF, struct.pack(">IB", 6, 1) + b"\x03" + bytes(4)))
    kinds = answers_until_close(s)
    assert kinds == [A_ABORT] or kinds == [], kinds
    s.close()
    assert_serves(server)


def test_release_before_association(server):
    s = connect(server)
    s.sendall(pdu(A_RELEASE_RQ, bytes(4)))
    kinds = answers_until_close(s)
    assert kinds == [A_ABORT] or kinds == [], kinds
    s.close()
    assert_serves(server)


def test_garbage(server):
    for seed in range(5):
        s = connect(server)
        data = bytes([0xAB]) + os.urandom(2047) if seed % 2 else os.urandom(2048)
        try:
            s.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            pass
        else:
            assert_refused(answers_until_close(s))
        s.close()
    assert_serves(server)


def test_unknown_pdu_type_after_association(server):
    s = open_association(server)
    s.sendall(pdu(0x42, bytes(8)))
    assert_refused(answers_until_close(s), allowed=(A_ABORT,))
    s.close()
    assert_serves(server)


def test_4gb_associate_rq(server):
    rss = server.rss_kb()
    started = time.monotonic()
    s = connect(server)
    s.sendall(pdu(A_ASSOCIATE_RQ, associate_rq_body(called=server.aet), length=0xFFFFFFFF))
    assert_refused(answers_until_close(s))
    assert time.monotonic() - started < 5
    s.close()
    assert server.rss_kb() - rss < 16 * 1024, "a 4 GB announcement made the server allocate"
    assert_serves(server)


def test_4gb_p_data_before_association(server):
    s = connect(server)
    s.sendall(struct.pack(">BBI", P_DATA_TF, 0, 0xFFFFFFFF) + bytes(64))
    assert_refused(answers_until_close(s))
    s.close()
    assert_serves(server)


def test_4gb_p_data_on_association(server):
    rss = server.rss_kb()
    s = open_association(server)
    s.sendall(struct.pack(">BBI", P_DATA_TF, 0, 0xFFFFFFFF) + struct.pack(">IB", 0xFFFFFFFB, 1) + b"\x03" + bytes(64))
    assert_refused(answers_until_close(s), allowed=(A_ABORT,))
    s.close()
    assert server.rss_kb() - rss < 16 * 1024
    assert_serves(server)


def test_abort_while_waiting_for_the_close(server):
    s = open_association(server)
    s.sendall(pdu(A_RELEASE_RQ, bytes(4)))
    assert read_pdu(s)[0] == A_RELEASE_RP
    s.sendall(abort_pdu())
    try:
        assert answers_until_close(s, limit=5) == []
    finally:
        s.close()


def test_unknown_called_ae_rejected(server):
    """A-ASSOCIATE-RJ: rejected-permanent (1), service-user (1), called AE title not recognized (7)."""
    s = connect(server)
    s.sendall(associate_rq(called="SOMEONE-ELSE"))
    kind, body = read_pdu(s)
    assert kind == A_ASSOCIATE_RJ
    assert body[1:4] == bytes([1, 1, 7])
    s.close()
    assert_serves(server)


def test_unsupported_protocol_version_rejected(server):
    """Protocol version 2 (bit 0 clear): A-ASSOCIATE-RJ, rejected-permanent (1), service-provider ACSE (2),
    protocol version not supported (2) (PS3.8 9.3.4)."""
    s = connect(server)
    s.sendall(associate_rq(called=server.aet, version=2))
    kind, body = read_pdu(s)
    assert kind == A_ASSOCIATE_RJ, f"answered PDU type {kind}"
    assert body[1:4] == bytes([1, 2, 2])
    s.close()
    assert_serves(server)


def uid(text):
    b = text.encode()
    return b + b"\x00" if len(b) % 2 else b


def command_set(elements):
    """A command set in implicit VR little endian, its group length first."""
    body = b"".join(struct.pack("<HHI", 0, e, len(v)) + v for e, v in elements)
    return struct.pack("<HHII", 0, 0, 4, len(body)) + body


def pdv(context, control, data):
    return struct.pack(">IB", len(data) + 2, context) + bytes([control]) + data


def test_abort_in_the_middle_of_a_store(server):
    """A C-STORE begun and abandoned with A-ABORT halfway through its data set leaves nothing in the folder."""
    ct = "1.2.840.10008.5.1.4.1.1.2"
    s = connect(server)
    s.sendall(associate_rq(called=server.aet, abstract=ct))
    kind, body = read_pdu(s)
    assert kind == A_ASSOCIATE_AC
    before = set(server.out.iterdir())
    command = command_set([(0x0002, uid(ct)), (0x0100, struct.pack("<H", 0x0001)), (0x0110, struct.pack("<H", 1)),
                           (0x0700, struct.pack("<H", 0)), (0x0800, struct.pack("<H", 0x0000)),
                           (0x1000, uid("1.2.826.0.1.3680043.9.9999.42"))])
    s.sendall(pdu(P_DATA_TF, pdv(1, 0x03, command)))
    # The start of a data set (implicit VR): SOP Class and Instance UIDs, then 64 kB of a 1 MB pixel data.
    data = (struct.pack("<HHI", 0x0008, 0x0016, len(uid(ct))) + uid(ct)
            + struct.pack("<HHI", 0x0008, 0x0018, len(uid("1.2.826.0.1.3680043.9.9999.42")))
            + uid("1.2.826.0.1.3680043.9.9999.42") + struct.pack("<HHI", 0x7FE0, 0x0010, 1 << 20))
    s.sendall(pdu(P_DATA_TF, pdv(1, 0x00, data + bytes(8000))))
    time.sleep(0.2)
    s.sendall(abort_pdu())
    assert answers_until_close(s) == []
    s.close()
    time.sleep(0.2)
    assert set(server.out.iterdir()) == before, "a partial instance (or its temporary file) was left behind"
    assert_serves(server)


def test_sop_instance_uid_with_a_path_is_not_a_path(server, tmp_path):
    """A C-STORE whose SOP Instance UID is "../../<somewhere>": whatever is stored lands inside the folder."""
    ct = "1.2.840.10008.5.1.4.1.1.2"
    target = tmp_path / "escaped"
    evil = os.path.relpath(target, server.out)
    assert evil.startswith("..")
    s = connect(server)
    s.sendall(associate_rq(called=server.aet, abstract=ct))
    assert read_pdu(s)[0] == A_ASSOCIATE_AC
    command = command_set([(0x0002, uid(ct)), (0x0100, struct.pack("<H", 0x0001)), (0x0110, struct.pack("<H", 7)),
                           (0x0700, struct.pack("<H", 0)), (0x0800, struct.pack("<H", 0x0000)), (0x1000, uid(evil))])
    data = (struct.pack("<HHI", 0x0008, 0x0016, len(uid(ct))) + uid(ct)
            + struct.pack("<HHI", 0x0008, 0x0018, len(uid(evil))) + uid(evil))
    s.sendall(pdu(P_DATA_TF, pdv(1, 0x03, command)) + pdu(P_DATA_TF, pdv(1, 0x02, data)))
    response = read_pdu(s)
    s.sendall(pdu(A_RELEASE_RQ, bytes(4)))
    s.close()
    assert response is not None and response[0] == P_DATA_TF
    time.sleep(0.2)
    assert not list(tmp_path.iterdir()), "a file was written outside the folder"
    assert not list(server.out.parent.glob("*.dcm")) and not list(server.out.parent.parent.glob("*.dcm"))
    assert_serves(server)


def connect_and_abort(port, i, aet):
    s = socket.create_connection((HOST, port), timeout=10)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(associate_rq(called=aet, calling=f"CYCLE{i % 1000}"))
        if i % 2:
            s.sendall(abort_pdu())
        elif i % 4 == 0:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST rather than FIN
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()


def test_2000_connect_and_abort_cycles(server):
    """Connect, send an A-ASSOCIATE-RQ, then close (FIN or RST) or send A-ABORT; 2,000 times. The resident set
    size grows by less than 4 MB, and the threads come back to where they were."""
    for i in range(1000):  # warm-up: the allocator's arenas grow for the first few thousand threads, then stay
        connect_and_abort(server.port, i, server.aet)
    time.sleep(1.0)
    assert_serves(server)
    rss_before, threads_before = server.rss_kb(), threads(server)
    started = time.monotonic()
    for i in range(2000):
        connect_and_abort(server.port, i, server.aet)
    elapsed = time.monotonic() - started
    deadline = time.monotonic() + 10
    while threads(server) > threads_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert_serves(server)
    rss_after, threads_after = server.rss_kb(), threads(server)
    print(f"2000 cycles in {elapsed:.1f} s; RSS {rss_before} -> {rss_after} kB; threads {threads_before} -> "
          f"{threads_after}")
    assert threads_after <= threads_before
    assert rss_after - rss_before < 4 * 1024, f"RSS grew from {rss_before} kB to {rss_after} kB"


# ---------------------------------------------------------------------------------------------------------------
# The slow peers, judged last


def test_silent_peer_cut_by_artim(slow_peers, server):
    cut = slow_peers["silent"].result()
    assert cut is not None and cut <= ARTIM + SLACK, f"a silent connection was kept {cut or 'more than 36'} s"
    assert_serves(server)


def test_trickling_associate_rq_cut_by_artim(slow_peers, server):
    cut = slow_peers["association"].result()
    assert cut is not None and cut <= ARTIM + SLACK, f"a trickling A-ASSOCIATE-RQ was kept {cut or 'more than 36'} s"


def test_trickling_tls_handshake_cut(slow_peers, tls_server):
    cut = slow_peers["tls"].result()
    assert cut is not None and cut <= ARTIM + SLACK, f"a trickling TLS handshake was kept {cut or 'more than 36'} s"


def test_tls_server_still_serves(tls_server, pki):
    cp = run(["echoscu", "+tla", "+cf", pki.ca, "-aec", tls_server.aet, HOST, tls_server.port])
    assert cp.returncode == 0, describe(cp)
