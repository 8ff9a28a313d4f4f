"""Pixel data: decoding speed per transfer syntax and rendering speed, Lightbox against the references on the same
files in one run (issue 5's benchmark).

Decoding: every corpus file of a syntax (its frames), decoded to Explicit VR Little Endian
  - by `lightbox transcode` and by DCMTK's dcmdjpeg / dcmdjpls / dcmdrle: whole processes, file to file;
  - by pydicom with the pylibjpeg plugins: in process, pixel_array only (no process start, no file written).
  MB/s counts the decoded bytes. Each tool runs the file set 3 times; the best run counts.
Rendering: a 512x512 CT frame to PNG and to JPEG
  - Lightbox in process (`lightbox render --repeat`: read, decode, window, encode each time);
  - Orthanc 1.10 over HTTP on loopback: /instances/{id}/preview (PNG) and /instances/{id}/frames/0/preview with
    Accept: image/jpeg, timed per request with a kept-alive connection, after one warm-up request.
Prints one table with the ratio and which way is better.
"""
import csv
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import store  # noqa: E402

ROOT = store.ROOT
LIGHTBOX = store.LIGHTBOX
CORPUS = ROOT.parent / "shared" / "corpus"
EXPLICIT = "1.2.840.10008.1.2.1"
PARTS = set(os.environ.get("BENCH_PARTS", "decode,render").split(","))
SYNTAXES = {
    "1.2.840.10008.1.2.4.50": ("JPEG Baseline", "dcmdjpeg"),
    "1.2.840.10008.1.2.4.51": ("JPEG Extended 12-bit", "dcmdjpeg"),
    "1.2.840.10008.1.2.4.70": ("JPEG Lossless SV1", "dcmdjpeg"),
    "1.2.840.10008.1.2.4.80": ("JPEG-LS Lossless", "dcmdjpls"),
    "1.2.840.10008.1.2.4.81": ("JPEG-LS Near-lossless", "dcmdjpls"),
    "1.2.840.10008.1.2.4.90": ("JPEG 2000 Lossless", None),
    "1.2.840.10008.1.2.4.91": ("JPEG 2000", None),
    "1.2.840.10008.1.2.5": ("RLE Lossless", "dcmdrle"),
}


def files_by_syntax():
    out = {}
    with open(CORPUS / "MANIFEST.csv") as f:
        for r in csv.DictReader(f):
            if r["transfer_syntax_uid"] in SYNTAXES and r["pydicom_pixels"].startswith("ok"):
                out.setdefault(r["transfer_syntax_uid"], []).append(CORPUS / r["path"])
    return out


def decoded_bytes(files):
    import pydicom
    return sum(pydicom.dcmread(f).pixel_array.nbytes for f in files)


def best_of(runs, fn):
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        ok = fn()
        best = min(best, time.perf_counter() - t)
        if not ok:
            return None
    return best


def run_tool(argv_for, files, tmp):
    def go():
        for i, f in enumerate(files):
            if subprocess.run(argv_for(f, tmp / f"out{i}.dcm"), capture_output=True).returncode != 0:
                return False
        return True
    return best_of(3, go)


def lightbox_in_process(files, tmp):
    """Seconds for one decode of every file, in process: `lightbox transcode --repeat` times its own loop."""
    total = 0.0
    for i, f in enumerate(files):
        cp = subprocess.run([LIGHTBOX, "transcode", str(f), "--to", EXPLICIT, "--out", str(tmp / f"in{i}.dcm"), "--repeat", "5"],
                            capture_output=True, text=True)
        if cp.returncode != 0:
            return None
        total += float(cp.stderr.split("transcode: ")[1].split(" ms")[0]) / 1000
    return total


def pydicom_decode(files):
    import pydicom

    def go():
        for f in files:
            pydicom.dcmread(f).pixel_array
        return True
    return best_of(3, go)


def orthanc(folder, port):
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "orthanc.json"
    config.write_text(json.dumps({
        "Name": "bench", "StorageDirectory": f"{folder}/storage", "IndexDirectory": f"{folder}/index",
        "DicomPort": port, "HttpPort": port + 1, "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
        "Plugins": [], "HttpServerEnabled": True, "KeepAlive": True}))
    proc = subprocess.Popen(["Orthanc", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    store.wait_port(port + 1)
    return proc


def time_requests(port, path, accept, n):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Accept": accept}
    conn.request("GET", path, headers=headers)
    body = conn.getresponse().read()
    t = time.perf_counter()
    for _ in range(n):
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200, r.status
    return (time.perf_counter() - t) / n * 1000, len(body)


def main():
    store.in_namespace()
    rows = []

    def row(what, unit, ours, theirs, peer, higher_is_better=True):
        ratio = ours / theirs if theirs else float("nan")
        better = ratio if higher_is_better else 1 / ratio
        rows.append(f"{what:44} {unit:6} {ours:10.1f} {theirs:10.1f} {peer:18} {ratio:7.2f} {better:7.2f}x")

    groups = files_by_syntax()
    with tempfile.TemporaryDirectory(dir=store.OUT if store.OUT.is_dir() else None) as tmpdir:
        tmp = Path(tmpdir)
        for uid, (name, tool) in SYNTAXES.items():
            files = groups.get(uid, [])
            if not files or "decode" not in PARTS:
                continue
            mb = decoded_bytes(files) / 1e6
            ours = run_tool(lambda f, o: [LIGHTBOX, "transcode", str(f), "--to", EXPLICIT, "--out", str(o)], files, tmp)
            inside = lightbox_in_process(files, tmp)
            py = pydicom_decode(files)
            if ours is None or inside is None:
                rows.append(f"{name}: lightbox failed on a file")
                continue
            row(f"decode {name} ({len(files)} files, in process)", "MB/s", mb / inside, mb / py, "pydicom+pylibjpeg")
            if tool:
                theirs = run_tool(lambda f, o: [tool, str(f), str(o)], files, tmp)
                if theirs:
                    row(f"decode {name} ({len(files)} files, processes)", "MB/s", mb / ours, mb / theirs, tool)
        # Rendering: the demo head CT's middle slice, 512x512, 16-bit, with the phantom's noise.
        demo = tmp / "demo"
        subprocess.run([LIGHTBOX, "demo-data", "--out", str(demo)], check=True, capture_output=True)
        series = sorted((p for p in demo.rglob("*.dcm") if "ct-prior" in str(p)), key=lambda p: int(p.stem))
        ct = series[len(series) // 2]
        for fmt, accept, suffix in (("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg")):
            cp = subprocess.run([LIGHTBOX, "render", str(ct), "--out", str(tmp / f"r.{suffix}"), "--repeat", "200"],
                                capture_output=True, text=True)
            ours = float(cp.stderr.split("render: ")[1].split(" ms")[0])
            rows.append(("render", fmt, accept, ours))
        proc = orthanc(tmp / "orthanc", 24000)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", 24001)
            conn.request("POST", "/instances", body=ct.read_bytes())
            instance = json.loads(conn.getresponse().read())["ID"]
            renders = [r for r in rows if isinstance(r, tuple)]
            rows[:] = [r for r in rows if not isinstance(r, tuple)]
            for _, fmt, accept, ours in renders:
                theirs, size = time_requests(24001, f"/instances/{instance}/preview", accept, 200)
                row(f"render 512x512 CT frame to {fmt}", "ms", ours, theirs, "Orthanc /preview", higher_is_better=False)
        finally:
            proc.terminate()
            proc.wait()
    print(f"{'what':44} {'unit':6} {'Lightbox':>10} {'peer':>10} {'peer is':18} {'L/P':>7} {'better':>8}")
    for r in rows:
        print(r)
    print("\nL/P: Lightbox's value over the peer's; better: how many times better Lightbox is on that row.")


if __name__ == "__main__":
    main()
