#!/usr/bin/env python3
"""C-STORE throughput: `lightbox receive` (fsync on) against DCMTK's storescp and Orthanc as receivers, and
`lightbox send` against DCMTK's storescu as senders, on the same 4,000-instance CT set, with 1 and 4
associations, in one run. Prints one table with instances/s, MB/s, receiver CPU per instance, peak RSS, and the
ratio to the peer.

Everything runs inside a network namespace that has only loopback (`unshare --net`): Orthanc cannot be told to
listen on 127.0.0.1 only, and this way the benchmark never opens a port beyond this machine. DCMTK and Orthanc get
TCP_NODELAY=1 (without it each round trip stalls about 40 ms).

Receivers, each fed by storescu (1 association; 4 storescu processes for 4): storescp --ignore (the ceiling: it
discards everything), storescp (writes files, no fsync), Orthanc 1.10 (files, fsync'd as its SyncStorageArea default says, and its SQLite index), and
lightbox receive (files, fsync before each success). Senders, into storescp --ignore: storescu and lightbox send.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTBOX = os.environ.get("LIGHTBOX", str(ROOT / ".build" / "release" / "lightbox"))
OUT = ROOT / "bench" / "out"
COUNT = int(os.environ.get("BENCH_INSTANCES", "4000"))
ENV = dict(os.environ, TCP_NODELAY="1")


def in_namespace():
    """Re-runs this script in a network namespace with only loopback, unless already inside one."""
    if os.environ.get("LIGHTBOX_BENCH_NETNS") == "1":
        return
    cmd = ["unshare", "--net", "sh", "-c", f"ip link set lo up && LIGHTBOX_BENCH_NETNS=1 exec {sys.executable} {' '.join(sys.argv)}"]
    sys.exit(subprocess.call(cmd))


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def proc_stats(pid):
    """CPU seconds (user+system, children included once they are reaped) and peak RSS in MiB of a process tree."""
    cpu, rss = 0.0, 0.0
    for p in [pid] + children(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks = os.sysconf("SC_CLK_TCK")
            cpu += (int(stat[11]) + int(stat[12]) + int(stat[13]) + int(stat[14])) / ticks
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    rss += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return cpu, rss


def children(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except FileNotFoundError:
        return []
    result = []
    for c in out:
        result.append(int(c))
        result += children(int(c))
    return result


def dataset():
    folder = OUT / f"ct{COUNT}"
    series = folder / "LB0001" / "20260302-ct-current" / "1"
    if not series.is_dir() or len(list(series.glob("*.dcm"))) != COUNT:
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([LIGHTBOX, "demo-data", "--out", str(folder), "--ct-slices", str(COUNT), "--quiet"], check=True)
    files = sorted(str(p) for p in series.glob("*.dcm"))
    return files, sum(os.path.getsize(f) for f in files) / 1e6


def storescu(port, aet, files, parallel):
    """Sends with DCMTK's storescu: `parallel` processes, each one association."""
    shares = [files[i::parallel] for i in range(parallel)]
    start = time.perf_counter()
    procs = [subprocess.Popen(["storescu", "-aec", aet, "-xs", "127.0.0.1", str(port)] + share, env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for share in shares]
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"storescu failed: {err.decode()[-300:]}")
    return time.perf_counter() - start


def lightbox_send(port, aet, files, parallel):
    start = time.perf_counter()
    p = subprocess.run([LIGHTBOX, "send", "-q", "--aec", aet, "--associations", str(parallel), "127.0.0.1", str(port)] + files,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"lightbox send failed: {p.stdout[-300:]} {p.stderr[-300:]}")
    return time.perf_counter() - start


class Receiver:
    def __init__(self, name, port, aet, make_argv, workdir, env=ENV):
        """Starts in a fresh work folder; `make_argv(folder, port)` may write configuration there."""
        self.name, self.port, self.aet = name, port, aet
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        self.workdir = workdir
        self.proc = subprocess.Popen(make_argv(workdir, port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     cwd=workdir)
        wait_port(port)

    def stop(self):
        cpu, rss = proc_stats(self.proc.pid)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return cpu, rss


def orthanc(port, workdir):
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "orthanc.json"
    config.write_text(f"""{{
  "Name": "bench", "StorageDirectory": "{workdir}/storage", "IndexDirectory": "{workdir}/index",
  "DicomAet": "ORTHANC", "DicomPort": {port}, "HttpPort": {port + 1}, "DicomCheckCalledAet": false,
  "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "Plugins": [], "StorageCompression": false,
  "DicomScpTimeout": 30, "HttpServerEnabled": true, "SyncStorageArea": true
}}""")
    return ["Orthanc", str(config)]


def main():
    in_namespace()
    if not Path(LIGHTBOX).exists():
        sys.exit(f"{LIGHTBOX} is missing: run `make build`")
    OUT.mkdir(parents=True, exist_ok=True)
    files, mb = dataset()
    print(f"{len(files)} CT instances, {mb:.0f} MB; Lightbox {LIGHTBOX}; "
          f"{subprocess.run(['storescu', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}; Orthanc 1.10\n")
    header = f"{'what':44} {'assoc':>5} {'inst/s':>8} {'MB/s':>7} {'ms CPU/inst':>11} {'peak RSS MiB':>12} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    results = {}

    def row(name, parallel, seconds, cpu=None, rss=None, ratio=None):
        rate = len(files) / seconds
        results[(name, parallel)] = rate
        cpu_text = f"{cpu * 1000 / len(files):11.2f}" if cpu is not None else f"{'':11}"
        rss_text = f"{rss:12.0f}" if rss is not None else f"{'':12}"
        ratio_text = f"{ratio:7.2f}" if ratio is not None else ""
        print(f"{name:44} {parallel:5} {rate:8.0f} {mb / seconds:7.0f} {cpu_text} {rss_text} {ratio_text}", flush=True)

    receivers = [
        ("storescp --ignore (ceiling, discards)", lambda d, p: ["storescp", "--ignore", "--fork", "-aet", "SCP", str(p)]),
        ("storescp (files, no fsync)", lambda d, p: ["storescp", "--fork", "-od", str(d), "-aet", "SCP", str(p)]),
        ("Orthanc 1.10 (files + index, fsync)", lambda d, p: orthanc(p, d)),
        ("lightbox receive (files, fsync)", lambda d, p: [LIGHTBOX, "receive", "--port", str(p), "--out", str(d / "in"), "--aet", "SCP"]),
    ]
    port = 21000
    for parallel in (1, 4):
        for name, argv in receivers:
            port += 2
            workdir = OUT / "store-receivers" / name.split()[0]
            receiver = Receiver(name, port, "SCP", argv, workdir)
            seconds = storescu(port, "SCP", files, parallel)
            cpu, rss = receiver.stop()
            # storescp --fork does its work in children that exit with their association: no CPU or RSS to read.
            forked = "storescp" in name
            ratio = None
            if name.startswith("lightbox"):
                ratio = len(files) / seconds / results[("storescp (files, no fsync)", parallel)]
            row(name, parallel, seconds, None if forked else cpu, None if forked else rss, ratio)
        ours = results[("lightbox receive (files, fsync)", parallel)]
        print(f"{'  lightbox / Orthanc':44} {parallel:5} {'':8} {'':7} {'':11} {'':12} "
              f"{ours / results[('Orthanc 1.10 (files + index, fsync)', parallel)]:7.2f}")
        print(f"{'  lightbox / ceiling':44} {parallel:5} {'':8} {'':7} {'':11} {'':12} "
              f"{ours / results[('storescp --ignore (ceiling, discards)', parallel)]:7.2f}")
    print()
    for parallel in (1, 4):
        port += 2
        workdir = OUT / "store-senders"
        receiver = Receiver("ignore", port, "SCP", lambda d, p: ["storescp", "--ignore", "--fork", "-aet", "SCP", str(p)], workdir)
        row("sender: storescu -> storescp --ignore", parallel, storescu(port, "SCP", files, parallel))
        seconds = lightbox_send(port, "SCP", files, parallel)
        row("sender: lightbox send -> storescp --ignore", parallel, seconds,
            ratio=len(files) / seconds / results[("sender: storescu -> storescp --ignore", parallel)])
        receiver.stop()
    print("\nratio: Lightbox's rate over the peer's on the line above (storescp for the receiver, storescu for the sender).")


if __name__ == "__main__":
    main()
