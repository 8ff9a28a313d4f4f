#!/usr/bin/env python3
"""DICOMweb: Lightbox against Orthanc 1.10 with its DICOMweb plugin (1.7), on the same data in one run, with the
same Python client (requests, one keep-alive Session per server, or per thread):

- QIDO-RS study search on the 100,000-study archives of bench/archive.py (the same C-FIND query set: by PatientID,
  by PatientName=SMITH*, about 100 matches, and by a StudyDate range), median of 30 requests, with
  Accept-Encoding identity and gzip; both must return the same number of matches.
- WADO-RS retrieval of a 500-instance CT series (512x512, 16-bit, store.py's set, sent in with storescu): MB/s
  and time to the first body byte, the multipart read as it arrives (up to 1 MiB at a time), median of 3. Then
  the same from the client's ceiling, a server that sends Lightbox's very answer from /dev/shm by sendfile, and
  the share of it each server reaches; and all three again with curl, a client much faster than Python.
- WADO-RS /metadata of that series, median of 10, identity and gzip.
- frames/1 of single instances (raw 512x512 pixels), 200 sequential requests, and /rendered (JPEG), 100.
- STOW-RS ingest of the series into fresh empty archives, BENCH_STOW_BATCH instances (10) per request, from 1
  and from 4 threads. Both make each file durable before answering (Lightbox fsyncs, Orthanc SyncStorageArea).
- The peak RSS of each server over everything it served.

Bodies are timed as they come over the wire (gzip is not decoded inside the timing: that is the client's work);
binary requests say Accept-Encoding: identity. Lightbox is asked with HTTP Basic (its credentials are cached
after the first check; a warm-up request pays it), Orthanc with authentication off. Everything runs inside a
network namespace with only loopback, as bench/store.py does: Orthanc cannot be bound to 127.0.0.1 only.

The client is Python: the series row gives its CPU share (near 100% means the client, not the server, is the
limit). BENCH_STUDIES (100000) sizes the QIDO archives, built once and kept in bench/out by archive.populated()
(about ten minutes the first time); BENCH_SERIES (500) the CT series, BENCH_PARTS=qido,wado,stow what runs. The
other archives are fresh and deleted at the end: ext4 slows file creation for a few minutes after mass deletion,
so let five minutes pass between runs. Prints one table with the ratio Lightbox/Orthanc per row and how many
times better Lightbox is, then each failed request with its response.
"""
import gzip
import json
import multiprocessing
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import archive  # noqa: E402  (the 100,000-study archives, stop())
import store  # noqa: E402  (namespace, ports, process stats, the CT set)

import requests  # noqa: E402
from urllib3.util.retry import Retry  # noqa: E402

OUT = store.OUT
SERIES = int(os.environ.get("BENCH_SERIES", "500"))
STOW_BATCH = int(os.environ.get("BENCH_STOW_BATCH", "10"))
PARTS = set(os.environ.get("BENCH_PARTS", "qido,wado,stow").split(","))
RUN = OUT / f"dicomweb-run-{os.getpid()}"
CAPTURE = Path("/dev/shm") / f"lightbox-bench-wado-{os.getpid()}"  # the ceiling's body
USER, PASSWORD = "bench", "bench-password"
DICOM_ANY = 'multipart/related; type="application/dicom"; transfer-syntax=*'
FRAME_ANY = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
JSON = "application/dicom+json"
PEAK_RSS = {"Lightbox": 0.0, "Orthanc": 0.0}
PROBLEMS = []


class Failure(Exception):
    """A request that did not get the answer it should: recorded and reported, the run goes on."""


# MARK: servers

def lightbox(argv, start=subprocess.run, **kwargs):
    """Runs or starts the lightbox binary, waiting and retrying while another build replaces it (missing, or exec
    fails on a half-written file)."""
    for _ in range(60):
        try:
            return start([store.LIGHTBOX] + argv, env=store.ENV, **kwargs)
        except OSError:
            time.sleep(2)
    sys.exit(f"cannot run {store.LIGHTBOX}: run `make build`")


def start_lightbox(folder, port):
    folder.mkdir(parents=True, exist_ok=True)
    # Every DICOMweb route needs a user; the populated archive keeps the one added by an earlier run.
    added = lightbox(["users", "add", USER, "--role", "admin", "--data", str(folder)], input=PASSWORD + "\n",
                     capture_output=True, text=True)
    if added.returncode != 0 and USER not in lightbox(["users", "list", "--data", str(folder)], capture_output=True,
                                                      text=True).stdout:
        raise RuntimeError(f"lightbox users add failed: {added.stderr[-300:]}")
    return lightbox(["serve", "--data", str(folder), "--dicom-port", str(port), "--http-port", str(port + 1), "--aet",
                     "LIGHTBOX", "--no-demo"], start=subprocess.Popen, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_orthanc(folder, port):
    """bench/archive.py's Orthanc settings plus the DICOMweb plugin (the options of its /etc/orthanc/dicomweb.json,
    metadata read in full from the files, which is what Lightbox answers)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "dicomweb.json"
    config.write_text(json.dumps({
        "Name": "bench", "StorageDirectory": f"{folder}/storage", "IndexDirectory": f"{folder}/index",
        "DicomAet": "ORTHANC", "DicomPort": port, "HttpPort": port + 1, "DicomCheckCalledAet": False,
        "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "StorageCompression": False,
        "DicomScpTimeout": 30, "HttpServerEnabled": True, "LimitFindResults": 0, "LimitFindInstances": 0,
        "SyncStorageArea": True, "DicomAlwaysAllowStore": True, "DicomAlwaysAllowFind": True,
        "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True, "Ssl": False,
                     "StudiesMetadata": "Full", "SeriesMetadata": "Full"},
    }, indent=2))
    return subprocess.Popen(["Orthanc", str(config)], env=store.ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=folder)


class Server:
    """One running server: its AE title, DICOMweb root and a keep-alive session."""

    def __init__(self, name, folder, port):
        self.name, self.port = name, port
        self.aet = name.upper()
        self.proc = (start_lightbox if name == "Lightbox" else start_orthanc)(folder, port)
        self.root = f"http://127.0.0.1:{port + 1}/dicom-web"
        store.wait_port(port + 1)
        store.wait_port(port)
        self.session = self.new_session()
        # Warm-up and readiness: the plugin is loaded and Lightbox has checked the password once.
        deadline = time.time() + 60
        while self.session.get(f"{self.root}/studies?limit=1", headers={"Accept": JSON}).status_code not in (200, 204):
            if time.time() > deadline:
                raise RuntimeError(f"{name}: {self.root}/studies does not answer")
            time.sleep(0.5)

    def new_session(self):
        session = requests.Session()
        # A kept-alive connection the server closes as the next request leaves fails that request (the keep-alive
        # race every HTTP client knows): retry such a GET once, as browsers do. A server that really drops a
        # request fails the retry too.
        session.mount("http://", requests.adapters.HTTPAdapter(max_retries=Retry(total=1, allowed_methods={"GET"})))
        if self.name == "Lightbox":
            session.auth = (USER, PASSWORD)
        return session

    def stop(self):
        _, rss = archive.stop(self.proc)
        PEAK_RSS[self.name] = max(PEAK_RSS[self.name], rss)


def start_ceiling(source, study, series):
    """The client's ceiling: a server that answers every GET with the very bytes `source` sent for the series (kept
    in /dev/shm), body by sendfile, zero-copy, so it costs as little as the kernel allows. Forked, so that its CPU
    is not the client's. (process, server)"""
    # Captured by curl --raw: Lightbox's chunked framing kept, so that the client parses the same bytes (given
    # Content-Length, requests reads ~1 MiB at a time and costs more), and this process's malloc left as it was.
    reply = curl(source, f"/studies/{study}/series/{series}", "--raw", "-D", "-", "-o", str(CAPTURE))
    if not reply.startswith(b"HTTP/1.1 200"):
        raise Failure(f"GET {source.root}/studies/{study}/series/{series} for the ceiling: {reply[:300]!r}")
    head = b"\r\n".join(line for line in reply.split(b"\r\n")  # kept alive, and no stale Date
                         if line and not line.lower().startswith((b"connection:", b"date:"))) + b"\r\n\r\n"
    listener = socket.create_server(("127.0.0.1", 0))  # a free port in the namespace, like the servers
    port = listener.getsockname()[1]

    def connection(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # the body's last segment not held for an ACK
        with conn, conn.makefile("rb") as request, open(CAPTURE, "rb") as body:
            while True:  # keep-alive: each request head, read up to its empty line and ignored, gets the same answer
                while (line := request.readline()) not in (b"\r\n", b""):
                    pass
                if not line:
                    return
                conn.sendall(head)
                conn.sendfile(body, 0)

    def serve():  # a thread per connection: the requests session stays connected while curl comes
        while True:
            threading.Thread(target=connection, args=(listener.accept()[0],), daemon=True).start()

    proc = multiprocessing.get_context("fork").Process(target=serve, daemon=True)
    proc.start()
    listener.close()
    return proc, types.SimpleNamespace(name="ceiling", root=f"http://127.0.0.1:{port}/dicom-web",
                                       session=requests.Session())


# MARK: client

def timed_get(server, path, accept, encoding="identity", ok=(200,)):
    """GET and read the whole body as sent (no gzip decoding in the timing): (seconds, decoded body, response)."""
    url = server.root + path
    start = time.perf_counter()
    r = server.session.get(url, headers={"Accept": accept, "Accept-Encoding": encoding}, stream=True)
    raw = r.raw.read(decode_content=False)
    seconds = time.perf_counter() - start
    if r.status_code not in ok:
        raise Failure(f"GET {url} (Accept: {accept}; Accept-Encoding: {encoding}) -> {r.status_code} "
                      f"{r.headers.get('Content-Type')}: {raw[:300]!r}")
    body = gzip.decompress(raw) if r.headers.get("Content-Encoding") == "gzip" else raw
    r.wire_bytes = len(raw)
    return seconds, body, r


def qido(server, query, encoding):
    """Median ms of 30 study searches, the number of matches and the bytes on the wire."""
    times, counts = [], set()
    for _ in range(31):
        seconds, body, r = timed_get(server, f"/studies?{query}", JSON, encoding, ok=(200, 204))
        times.append(seconds)
        counts.add(len(json.loads(body)) if body else 0)
    if len(counts) != 1:
        raise Failure(f"GET {server.root}/studies?{query}: match counts vary between requests: {counts}")
    return statistics.median(times[1:]) * 1000, counts.pop(), r.wire_bytes


def boundary_of(r):
    for param in r.headers.get("Content-Type", "").split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            return value.strip('"').encode()
    raise Failure(f"{r.url}: no boundary in Content-Type {r.headers.get('Content-Type')!r}")


def retrieve_series(server, study, series, count):
    """WADO-RS of the series, streamed: (MB/s, ms to the first body byte, bytes, the client's CPU share: near 1
    means the client is the limit), medians of 3, after counting the parts."""
    url = f"{server.root}/studies/{study}/series/{series}"
    rates, firsts, busy = [], [], []
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        r = server.session.get(url, headers={"Accept": DICOM_ANY, "Accept-Encoding": "identity"}, stream=True)
        if r.status_code != 200:
            raise Failure(f"GET {url} (Accept: {DICOM_ANY}) -> {r.status_code}: {r.raw.read(300)!r}")
        delimiter = b"--" + boundary_of(r)
        # read1 returns what has arrived (up to 1 MiB), chunked or not: read(1 MiB) would wait for the whole MiB.
        first, size, parts, tail = None, 0, 0, b""
        while chunk := r.raw.read1(1 << 20):
            first = first or time.perf_counter()
            size += len(chunk)
            # A delimiter may straddle two chunks: keep what could be its start (too short to hold a whole one).
            data = tail + chunk
            parts += data.count(delimiter)
            tail = data[-(len(delimiter) - 1):]
        seconds = time.perf_counter() - start
        if parts - 1 != count:  # the last delimiter closes the body
            raise Failure(f"GET {url} (Accept: {DICOM_ANY}): {parts - 1} parts of {count}, {size} bytes")
        rates.append(size / 1e6 / seconds)
        busy.append((time.process_time() - cpu) / seconds)
        firsts.append((first - start) * 1000)
    return statistics.median(rates), statistics.median(firsts), size, statistics.median(busy)


def curl(server, path, *options):
    """curl's output for a GET of `path` with the Python client's Accept headers (and Basic auth for Lightbox)."""
    auth = ["-u", f"{USER}:{PASSWORD}"] if server.name == "Lightbox" else []
    return subprocess.run(["curl", "-s", "-H", f"Accept: {DICOM_ANY}", "-H", "Accept-Encoding: identity", *auth,
                           *options, server.root + path], capture_output=True).stdout


def curl_series(server, study, series, minimum):
    """The same retrieval by curl into /dev/null: (MB/s, ms to the first response byte, curl's CPU share), medians
    of 3. A new connection each time (negligible on loopback); at least `minimum` bytes (the files) must come."""
    rates, firsts, busy = [], [], []
    for _ in range(3):
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = curl(server, f"/studies/{study}/series/{series}", "-o", "/dev/null", "-w", "%{http_code} %{size_download} "
                   "%{speed_download} %{time_starttransfer} %{time_total}")
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        code, size, speed, first, total = out.split()  # written out even when curl fails
        if code != b"200" or int(size) < minimum:
            raise Failure(f"curl {server.root}/studies/{study}/series/{series} -> {code.decode()}, {int(size)} bytes")
        rates.append(float(speed) / 1e6)
        firsts.append(float(first) * 1000)
        busy.append((used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime) / float(total))
    return statistics.median(rates), statistics.median(firsts), statistics.median(busy)


def metadata(server, study, series, count, encoding):
    """Median ms of 10 /metadata requests of the series, and the bytes on the wire."""
    times = []
    for _ in range(11):
        seconds, body, r = timed_get(server, f"/studies/{study}/series/{series}/metadata", JSON, encoding)
        times.append(seconds)
    items = json.loads(body)
    if len(items) != count or "7FE00010" in items[0] and "Value" in items[0]["7FE00010"]:
        raise Failure(f"GET {r.url} /metadata: {len(items)} items of {count}, or pixel data inline")
    return statistics.median(times[1:]) * 1000, r.wire_bytes


def frames(server, study, series, instances, requests_count, minimum):
    """Frames per second of frames/1 requests one after another over the same connection, across instances."""
    start = time.perf_counter()
    for i in range(requests_count):
        path = f"/studies/{study}/series/{series}/instances/{instances[i % len(instances)]}/frames/1"
        _, body, r = timed_get(server, path, FRAME_ANY)
        if len(body) < minimum:
            raise Failure(f"GET {r.url} (Accept: {FRAME_ANY}): {len(body)} bytes, a frame has {minimum}")
    return requests_count / (time.perf_counter() - start)


def rendered(server, study, series, instances, requests_count):
    start = time.perf_counter()
    for i in range(requests_count):
        path = f"/studies/{study}/series/{series}/instances/{instances[i % len(instances)]}/rendered"
        _, body, r = timed_get(server, path, "image/jpeg")
        if not body.startswith(b"\xff\xd8"):
            raise Failure(f"GET {r.url} (Accept: image/jpeg): not a JPEG: {r.headers.get('Content-Type')} {body[:60]!r}")
    return requests_count / (time.perf_counter() - start)


def stow_bodies(files, batch):
    """multipart/related request bodies of `batch` Part 10 files each, built before the clock starts."""
    boundary = b"lightbox-bench-4f1c9a"
    bodies = []
    for i in range(0, len(files), batch):
        parts = [b"--" + boundary + b"\r\nContent-Type: application/dicom\r\n\r\n" + Path(f).read_bytes() + b"\r\n"
                 for f in files[i:i + batch]]
        bodies.append(b"".join(parts) + b"--" + boundary + b"--\r\n")
    return bodies, f'multipart/related; type="application/dicom"; boundary={boundary.decode()}'


def stow(server, bodies, content_type, clients, study, series, count):
    """Seconds to POST every body to /studies from `clients` threads, each on its own keep-alive session; then
    checks that the series holds them all."""
    errors, queue, lock = [], list(bodies), threading.Lock()

    def client():
        session = server.new_session()
        while True:
            with lock:
                if not queue or errors:
                    return
                body = queue.pop()
            try:
                r = session.post(f"{server.root}/studies", data=body, headers={
                    "Content-Type": content_type, "Accept": JSON, "Accept-Encoding": "identity"})
            except requests.RequestException as e:
                errors.append(f"POST {server.root}/studies ({content_type}, {len(body)} bytes): {e!r}")
                return
            try:
                failed = r.status_code == 200 and r.json().get("00081198", {}).get("Value")  # FailedSOPSequence
            except ValueError:
                failed = True
            if r.status_code != 200 or failed:
                errors.append(f"POST {server.root}/studies ({content_type}, {len(body)} bytes) -> {r.status_code}: "
                              f"{r.text[:400]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    if errors:
        raise Failure(errors[0])
    _, body, r = timed_get(server, f"/studies/{study}/series/{series}/instances", JSON)
    if len(json.loads(body)) != count:
        raise Failure(f"GET {r.url} after STOW-RS: {len(json.loads(body))} instances of {count}")
    return seconds


# MARK: the run

def both(what, fn, *args, servers=None):
    """{name: fn(server, *args)} for the servers started (or `servers`); a Failure becomes None and a problem."""
    results = {}
    for name, server in (servers or SERVERS).items():
        try:
            results[name] = fn(server, *args)
        except Failure as e:
            PROBLEMS.append(f"{name}, {what}: {e}")
            results[name] = None
        except requests.RequestException as e:
            PROBLEMS.append(f"{name}, {what}: connection failed: {e!r}")
            results[name] = None
    return results


SERVERS = {}


def started(folders, port):
    SERVERS.clear()
    for offset, name in enumerate(("Lightbox", "Orthanc")):
        SERVERS[name] = Server(name, folders[name], port + 50 * offset)


def stopped():
    for server in SERVERS.values():
        server.stop()
    SERVERS.clear()


def row(what, unit, ours, theirs, higher_is_better=True, note=""):
    if ours is None or theirs is None:
        print(f"{what:44} {unit:7} {'failed' if ours is None else f'{ours:.2f}':>10} "
              f"{'failed' if theirs is None else f'{theirs:.2f}':>10}  {note}", flush=True)
        return
    ratio = ours / theirs if theirs else float("nan")
    better = ratio if higher_is_better else (1 / ratio if ratio else float("nan"))
    print(f"{what:44} {unit:7} {ours:10.2f} {theirs:10.2f} {ratio:8.2f} {better:8.2f}x  {note}", flush=True)


def pick(results, index):
    return {name: None if value is None else value[index] for name, value in results.items()}


def steady_client_allocator():
    """The Python client reads ~1 MiB pieces; glibc maps and unmaps each afresh (page faults, 80% kernel time)
    until something moves its threshold, so whichever server is read first looks slow. Fixed thresholds
    (M_MMAP_THRESHOLD -3, M_TRIM_THRESHOLD -1) make the client the same for every server and every row."""
    import ctypes
    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 64 << 20)
    libc.mallopt(-1, 128 << 20)


def main():
    store.in_namespace()
    steady_client_allocator()
    lightbox(["--help"], capture_output=True)
    built = os.stat(store.LIGHTBOX).st_mtime
    OUT.mkdir(parents=True, exist_ok=True)
    RUN.mkdir(parents=True)
    began = time.time()
    try:
        store.COUNT = SERIES  # store.dataset() makes and keeps bench/out/ct<COUNT>
        files, mb = store.dataset()
        import pydicom
        headers = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
        study, series = headers[0].StudyInstanceUID, headers[0].SeriesInstanceUID
        instances = [h.SOPInstanceUID for h in headers]
        frame_bytes = headers[0].Rows * headers[0].Columns * headers[0].BitsAllocated // 8
        print(f"{len(files)}-instance CT series ({mb:.0f} MB, {headers[0].Rows}x{headers[0].Columns}); "
              f"{archive.STUDIES} studies for QIDO; Lightbox {store.LIGHTBOX}; Orthanc 1.10 + DICOMweb plugin 1.7\n")
        header = f"{'what':44} {'unit':7} {'Lightbox':>10} {'Orthanc':>10} {'L/O':>8} {'better':>9}"
        print(header)
        print("-" * len(header), flush=True)

        if "qido" in PARTS:
            started({name: archive.populated(name) for name in ("Lightbox", "Orthanc")}, 23000)
            for what, query in [("QIDO by PatientID", "PatientID=P012345"),
                                ("QIDO by PatientName=SMITH*", "PatientName=SMITH*"),
                                ("QIDO by StudyDate range (a month)", "StudyDate=20150301-20150331")]:
                for encoding in ("identity", "gzip"):
                    got = both(f"{what}, {encoding}", qido, query, encoding)
                    counts = {name: value[1] for name, value in got.items() if value}
                    note = f"{counts.get('Lightbox')} matches" + (
                        "" if len(set(counts.values())) == 1 else f" (Orthanc: {counts.get('Orthanc')})")
                    if len(set(counts.values())) > 1 and encoding == "identity":
                        PROBLEMS.append(f"{what}: GET /dicom-web/studies?{query}: Lightbox {counts.get('Lightbox')} "
                                        f"matches, Orthanc {counts.get('Orthanc')}")
                    sizes = pick(got, 2)
                    row(f"{what}, {encoding}", "ms", *pick(got, 0).values(), higher_is_better=False,
                        note=note + f"; {sizes['Lightbox']} / {sizes['Orthanc']} bytes")
            stopped()

        if "wado" in PARTS:
            started({name: RUN / f"wado-{name}" for name in ("Lightbox", "Orthanc")}, 23100)
            for server in SERVERS.values():
                store.storescu(server.port, server.aet, files, 1)
            got = both("WADO-RS series", retrieve_series, study, series, len(files))
            row(f"WADO-RS series ({len(files)} instances)", "MB/s", *pick(got, 0).values(),
                note=f"{(pick(got, 2)['Lightbox'] or 0) / 1e6:.0f} MB multipart; client CPU "
                     + " / ".join(f"{100 * (v or 0):.0f}%" for v in pick(got, 3).values()))
            row("WADO-RS series, time to first byte", "ms", *pick(got, 1).values(), higher_is_better=False)
            if got["Lightbox"]:
                # The target: WADO within 80% of what the client can take. The ceiling fills both columns; each
                # server's share of it is the row to judge. Then the same with curl, a much faster client.
                proc, ceiling = start_ceiling(SERVERS["Lightbox"], study, series)
                alone = {"ceiling": ceiling}
                top = both("WADO-RS ceiling", retrieve_series, study, series, len(files), servers=alone)["ceiling"]
                by_curl = both("WADO-RS by curl", curl_series, study, series, mb * 1e6)
                curl_top = both("WADO-RS curl ceiling", curl_series, study, series, mb * 1e6, servers=alone)["ceiling"]
                proc.kill()
                CAPTURE.unlink()
                c, cc = top and top[0], curl_top and curl_top[0]
                row("WADO-RS series, client ceiling", "MB/s", c, c, note=top and "same bytes from sendfile; first "
                    f"byte {top[1]:.1f} ms; client CPU {100 * top[3]:.0f}%" or "")
                row("WADO-RS series, share of the client ceiling", "%",
                    *(v and c and 100 * v / c for v in pick(got, 0).values()))
                row("WADO-RS series via curl", "MB/s", *pick(by_curl, 0).values(), note="first response byte "
                    + " / ".join(f"{v or 0:.1f}" for v in pick(by_curl, 1).values()) + " ms; curl CPU "
                    + " / ".join(f"{100 * (v or 0):.0f}%" for v in pick(by_curl, 2).values()))
                row("WADO-RS series, curl ceiling", "MB/s", cc, cc, note=curl_top and
                    f"first response byte {curl_top[1]:.1f} ms; curl CPU {100 * curl_top[2]:.0f}%" or "")
                row("WADO-RS series, share of curl ceiling", "%",
                    *(v and cc and 100 * v / cc for v in pick(by_curl, 0).values()))
            for encoding in ("identity", "gzip"):
                got = both(f"/metadata {encoding}", metadata, study, series, len(files), encoding)
                sizes = pick(got, 1)
                row(f"WADO-RS series /metadata, {encoding}", "ms", *pick(got, 0).values(), higher_is_better=False,
                    note=f"{(sizes['Lightbox'] or 0) / 1e3:.0f} / {(sizes['Orthanc'] or 0) / 1e3:.0f} kB")
            got = both("frames", frames, study, series, instances, 200, frame_bytes)
            row("WADO-RS frames/1, 200 sequential", "frames/s", *got.values(), note=f"{frame_bytes // 1024} KiB raw each")
            got = both("rendered", rendered, study, series, instances, 100)
            row("WADO-RS /rendered JPEG, 100 sequential", "frames/s", *got.values())
            stopped()

        if "stow" in PARTS:
            bodies, content_type = stow_bodies(files, STOW_BATCH)
            for clients in (1, 4):
                started({name: RUN / f"stow-{name}-{clients}" for name in ("Lightbox", "Orthanc")}, 23200 + clients)
                got = both(f"STOW-RS, {clients} clients", stow, bodies, content_type, clients, study, series, len(files))
                rates = {name: None if s is None else len(files) / s for name, s in got.items()}
                row(f"STOW-RS, {clients} client{'s' if clients > 1 else ''}, {STOW_BATCH} per request", "inst/s",
                    *rates.values(), note=" / ".join(f"{mb / len(files) * (v or 0):.0f}" for v in rates.values()) + " MB/s")
                stopped()

        row("peak RSS of the server over the run", "MiB", PEAK_RSS["Lightbox"], PEAK_RSS["Orthanc"],
            higher_is_better=False)
        print("\nL/O: Lightbox's value over Orthanc's; better: how many times better Lightbox is on that row.")
        print(f"run time {time.time() - began:.0f} s")
        if os.path.exists(store.LIGHTBOX) and os.stat(store.LIGHTBOX).st_mtime != built:
            PROBLEMS.append(f"{store.LIGHTBOX} was rebuilt during the run: the rows may come from two builds")
        for problem in PROBLEMS:
            print(f"PROBLEM {problem}")
    finally:
        for server in SERVERS.values():
            server.proc.kill()
        shutil.rmtree(RUN, ignore_errors=True)
        CAPTURE.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
