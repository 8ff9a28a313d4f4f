"""Helpers of the interop tests: where the tools are, peers started on free ports and stopped again, DIMSE tools
run with a bounded time, and the data set bytes of Part 10 files.

Kept out of conftest.py so that the tests can import them by a name no other test folder uses."""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIGHTBOX = os.path.abspath(os.environ.get("LIGHTBOX", str(ROOT / ".build" / "release" / "lightbox")))
SHARED = Path(os.environ.get("LIGHTBOX_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
PYTHON = sys.executable
HOST = "127.0.0.1"

# DCMTK sends small PDUs; without TCP_NODELAY, Nagle and delayed ACKs add 40 ms to many round trips.
ENV = dict(os.environ, TCP_NODELAY="1")

DCMTK_TOOLS = ("echoscu", "storescu", "dcmsend", "findscu", "movescu", "getscu", "storescp")

DEFLATED = "1.2.840.10008.1.2.1.99"


def missing_tools(names=DCMTK_TOOLS + ("openssl",)):
    return [n for n in names if shutil.which(n) is None]


def corpus(path):
    """A file of ../shared/corpus by its path relative to the corpus."""
    return CORPUS / path


# ---------------------------------------------------------------------------------------------------------------
# Ports and processes


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port, proc=None, timeout=15.0, log=None):
    """Waits until something accepts connections on the port; fails early when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}:\n{read_log(log)}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout} s:\n{read_log(log)}")


def read_log(path, limit=4000):
    if path is None or not Path(path).exists():
        return ""
    text = Path(path).read_text(errors="replace")
    return text[-limit:]


class Service:
    """A peer process listening on a port; `stop()` ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, name, argv, port, log, cwd=None, env=None):
        self.name = name
        self.argv = argv
        self.port = port
        self.log = Path(log)
        self._log_file = open(self.log, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log_file, stderr=subprocess.STDOUT, env={**ENV, **(env or {})}, cwd=cwd,
                                     start_new_session=True)
        try:
            wait_for_port(port, self.proc, log=self.log)
        except Exception:
            self.stop()
            raise

    @property
    def pid(self):
        return self.proc.pid

    def rss_kb(self):
        """Resident set size from /proc/PID/status (VmRSS), in kB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=15):
        """Ends the process; returns its exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                self._log_file.close()
                return None
        self._log_file.close()
        return self.proc.returncode

    def output(self):
        return read_log(self.log, limit=20000)

    def __repr__(self):
        return f"<{self.name} pid {self.pid} port {self.port}>"


class Launcher:
    """Starts peers in a folder of logs and stops every one of them at the end of its fixture's scope."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.services = []
        self._n = 0

    def start(self, name, argv, port, cwd=None, env=None):
        self._n += 1
        service = Service(name, [str(a) for a in argv], port, self.folder / f"{self._n:02d}-{name}.log", cwd=cwd,
                          env=env)
        self.services.append(service)
        return service

    def receive(self, out, *args, aet="LIGHTBOX", port=None):
        """`lightbox receive` into `out`."""
        port = port or free_port()
        service = self.start("lightbox-receive", [LIGHTBOX, "receive", "--port", port, "--out", out, "--aet", aet, "-v",
                                                  *args], port)
        service.out = Path(out)
        service.aet = aet
        return service

    def serve(self, data, *args, aet="LIGHTBOX", port=None, env=None, http_port=None):
        """`lightbox serve` on the archive folder `data` (no demo studies), with `args` added (--modality ...). Its
        web server listens on a free port of its own (`service.http_port`)."""
        port = port or free_port()
        http_port = http_port or free_port()
        service = self.start("lightbox-serve", [LIGHTBOX, "serve", "--data", data, "--dicom-port", port, "--aet", aet,
                                                "--http-port", http_port, "--no-demo", *args], port, env=env)
        service.data = Path(data)
        service.aet = aet
        service.http_port = http_port
        return service

    def storescp(self, out, aet="STORESCP", *args, port=None):
        """DCMTK storescp writing exactly what it receives (+B), in every transfer syntax it supports (+xa)."""
        port = port or free_port()
        Path(out).mkdir(parents=True, exist_ok=True)
        service = self.start("dcmtk-storescp", ["storescp", "-aet", aet, "+B", "+xa", "-od", out, *args, port], port)
        service.out = Path(out)
        service.aet = aet
        return service

    def pynetdicom_storescp(self, out, aet="PYSTORESCP", port=None):
        port = port or free_port()
        Path(out).mkdir(parents=True, exist_ok=True)
        service = self.start("pynetdicom-storescp", [PYTHON, "-m", "pynetdicom", "storescp", port, "-aet", aet,
                                                     "-od", out, "-ba", HOST], port)
        service.out = Path(out)
        service.aet = aet
        return service

    def qrscp(self, folder, aet="QRSCP", destinations=None, port=None):
        """pynetdicom's qrscp with its database and instances in `folder`; `destinations` maps AE titles to ports."""
        port = port or free_port()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        lines = ["[DEFAULT]", f"    ae_title: {aet}", f"    port: {port}", "    max_pdu: 16382",
                 "    acse_timeout: 30", "    dimse_timeout: 30", "    network_timeout: 30",
                 f"    bind_address: {HOST}", f"    instance_location: {folder / 'instances'}",
                 f"    database_location: {folder / 'instances.sqlite'}", "    log_identifier: True", ""]
        for ae, p in (destinations or {}).items():
            lines += [f"[{ae}]", f"    address: {HOST}", f"    port: {p}", ""]
        config = folder / "qrscp.ini"
        config.write_text("\n".join(lines))
        service = self.start("pynetdicom-qrscp", [PYTHON, "-m", "pynetdicom", "qrscp", "-c", config, "-v"], port,
                             cwd=folder)
        service.folder = folder
        service.aet = aet
        return service

    def stop_all(self):
        statuses = {}
        for service in reversed(self.services):
            statuses[service.name] = service.stop()
        self.services.clear()
        return statuses


def run(argv, timeout=120, cwd=None, input=None):
    """Runs a command (DCMTK tools with TCP_NODELAY=1) and returns the completed process, output as text."""
    argv = [str(a) for a in argv]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=ENV, cwd=cwd, input=input,
                              errors="replace")
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{' '.join(argv)} did not finish in {timeout} s:\n{e.stdout}\n{e.stderr}") from None


def describe(cp):
    return f"$ {' '.join(cp.args)}\nexit {cp.returncode}\n--- stdout\n{cp.stdout[-3000:]}\n--- stderr\n{cp.stderr[-3000:]}"


def lightbox(*args, timeout=120, cwd=None):
    return run([LIGHTBOX, *args], timeout=timeout, cwd=cwd)


# ---------------------------------------------------------------------------------------------------------------
# Upper layer PDUs (PS3.8 9.3), for the tests that play a peer byte by byte

A_ASSOCIATE_RQ, A_ASSOCIATE_AC, A_ASSOCIATE_RJ, P_DATA_TF, A_RELEASE_RQ, A_RELEASE_RP, A_ABORT = range(1, 8)
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"


def pdu(kind, body, length=None):
    return struct.pack(">BBI", kind, 0, len(body) if length is None else length) + body


def item(kind, body):
    return struct.pack(">BBH", kind, 0, len(body)) + body


def associate_rq_body(called="LIGHTBOX", calling="HOSTILE", version=1, abstract=VERIFICATION):
    contexts = item(0x20, bytes([1, 0, 0, 0]) + item(0x30, abstract.encode()) + item(0x40, IMPLICIT.encode()))
    user = item(0x50, item(0x51, struct.pack(">I", 16384)) + item(0x52, b"1.2.826.0.1.3680043.9.9999.1"))
    return (struct.pack(">HH", version, 0) + called.encode().ljust(16) + calling.encode().ljust(16) + bytes(32)
            + item(0x10, b"1.2.840.10008.3.1.1.1") + contexts + user)


def associate_rq(**kw):
    return pdu(A_ASSOCIATE_RQ, associate_rq_body(**kw))


def abort_pdu():
    return pdu(A_ABORT, bytes([0, 0, 0, 0]))


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            return None
        out += chunk
    return out


def read_pdu(s):
    """(type, body) of the next PDU; None when the peer closed."""
    header = recv_exact(s, 6)
    if header is None:
        return None
    kind, _, length = struct.unpack(">BBI", header)
    body = recv_exact(s, length) if length else b""
    return kind, body


# ---------------------------------------------------------------------------------------------------------------
# Part 10 files


def split_file(path):
    """(meta bytes, data set bytes) of a Part 10 file, the meta length taken from (0002,0000)."""
    b = Path(path).read_bytes()
    offset = 128 if b[128:132] == b"DICM" else 0
    if b[offset:offset + 4] != b"DICM":
        raise ValueError(f"{path}: no DICM prefix")
    p = offset + 4
    tag, vr = b[p:p + 4], b[p + 4:p + 6]
    if tag != b"\x02\x00\x00\x00" or vr != b"UL":
        raise ValueError(f"{path}: the file meta information does not start with (0002,0000) UL")
    (length,) = struct.unpack("<I", b[p + 8:p + 12])
    end = p + 12 + length
    return b[offset:end], b[end:]


def dataset_bytes(path):
    return split_file(path)[1]


def transfer_syntax(path):
    import pydicom

    return str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)


def inflate(data):
    """A deflated data set (raw deflate, PS3.5 A.5) inflated."""
    return zlib.decompress(data, -15)


def comparable_dataset(path):
    """The data set bytes, inflated when the file is deflated: a deflate stream depends on the compressor's
    level and version, the data set it carries does not."""
    data = dataset_bytes(path)
    return inflate(data) if transfer_syntax(path) == DEFLATED else data


def sop_instance_uid(path):
    import pydicom

    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def files_by_sop_instance(folder):
    """{SOP Instance UID: path} of the DICOM files of a folder (recursively)."""
    import pydicom

    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if not p.is_file():
            continue
        try:
            ds = pydicom.dcmread(p, stop_before_pixels=True)
        except Exception:
            continue
        if "SOPInstanceUID" in ds:
            out[str(ds.SOPInstanceUID)] = p
    return out


_WORD = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def same_values(a, b, ignore_group_lengths=False, ignore_tags=()):
    """Whether two files hold the same data set in possibly different native transfer syntaxes: every element
    equal as a value, words of OW/OF/OL/OD/OV compared in their own byte order. Returns the first difference
    as text, or None. `ignore_group_lengths`: (gggg,0000) elements are left out (pydicom drops them);
    `ignore_tags`: tags (as ints) left out."""
    import pydicom

    da, db = pydicom.dcmread(a), pydicom.dcmread(b)
    little_a, little_b = da.original_encoding[1], db.original_encoding[1]

    def words(value, vr, little):
        w = _WORD[vr]
        return [int.from_bytes(value[i:i + w], "little" if little else "big") for i in range(0, len(value), w)]

    def compare(x, y, path):
        tags = sorted(set(x.keys()) | set(y.keys()))
        if ignore_group_lengths:
            tags = [t for t in tags if t.element != 0]
        tags = [t for t in tags if t not in ignore_tags]
        for tag in tags:
            if tag not in x or tag not in y:
                return f"{path}{tag}: present in one only"
            ex, ey = x[tag], y[tag]
            if ex.VR == "SQ":
                if len(ex.value) != len(ey.value):
                    return f"{path}{tag}: {len(ex.value)} items vs {len(ey.value)}"
                for i, (ix, iy) in enumerate(zip(ex.value, ey.value)):
                    d = compare(ix, iy, f"{path}{tag}[{i}].")
                    if d:
                        return d
            elif ex.VR in _WORD and isinstance(ex.value, bytes) and little_a != little_b:
                if words(ex.value, ex.VR, little_a) != words(ey.value, ey.VR, little_b):
                    return f"{path}{tag}: {ex.VR} words differ"
            elif ex.value in (None, "", b"") and ey.value in (None, "", b""):
                continue  # empty, whatever the VR the syntax gave it
            elif ex.value != ey.value:
                return f"{path}{tag}: {ex.value!r:.80} vs {ey.value!r:.80}"
        return None

    return compare(da, db, "")
