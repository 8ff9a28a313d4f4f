#!/usr/bin/env python3
"""The archive against Orthanc, on the same data in one run (issue 4's benchmark):

- ingest of a 4,000-instance CT set (512x512, 16-bit) with 1 and 4 associations (storescu processes):
  instances/s, MB/s, server CPU per instance, peak RSS. Lightbox syncs every file before its success
  (durability "fsync"); so does Orthanc 1.10 (SyncStorageArea, on by default since 1.7.4, set explicitly here).
- C-FIND study-level latency on an open association (`lightbox find --repeat`, the same client for both), by
  PatientID, by PatientName wildcard (SMITH*, about 100 matches) and by a StudyDate range, on an index of
  100,000 studies.
- C-MOVE (to storescp) and C-GET (getscu) of a 500-instance series, instances/s, and what the receiving tool
  takes from storescu on the same files (the ceiling a retrieve can reach).

Everything runs inside a network namespace with only loopback (Orthanc cannot be bound to 127.0.0.1), and the
DCMTK tools and Orthanc get TCP_NODELAY=1. The 100,000-study archives are built once and kept in bench/out
(rebuilt when missing). Runs write to fresh folders and delete them at the end: ext4 slows file creation for a
few minutes after mass deletion, so let five minutes pass between runs for comparable numbers.

Prints one table with the ratio Lightbox/Orthanc per row and which way is better.
"""
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import store  # noqa: E402  (shared helpers: namespace, ports, process stats, the CT set)

ROOT = store.ROOT
LIGHTBOX = store.LIGHTBOX
OUT = store.OUT
ENV = store.ENV
STUDIES = int(os.environ.get("BENCH_STUDIES", "100000"))
RUN = OUT / f"archive-run-{os.getpid()}"
# Which parts to run (all by default): BENCH_PARTS=find,retrieve skips the ingest, say.
PARTS = set(os.environ.get("BENCH_PARTS", "ingest,find,retrieve").split(","))


def lightbox_server(folder, port, modalities=()):
    argv = [LIGHTBOX, "serve", "--data", str(folder), "--dicom-port", str(port), "--aet", "LIGHTBOX", "--no-demo"]
    for m in modalities:
        argv += ["--modality", m]
    proc = subprocess.Popen(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store.wait_port(port)
    return proc


def orthanc_server(folder, port, modalities=()):
    folder.mkdir(parents=True, exist_ok=True)
    entries = ", ".join(f'"{m.split("=")[0]}": ["{m.split("=")[0]}", "{m.split("=")[1].split(":")[0]}", {m.split(":")[-1]}]'
                        for m in modalities)
    config = folder / "orthanc.json"
    config.write_text(f"""{{
  "Name": "bench", "StorageDirectory": "{folder}/storage", "IndexDirectory": "{folder}/index",
  "DicomAet": "ORTHANC", "DicomPort": {port}, "HttpPort": {port + 1}, "DicomCheckCalledAet": false,
  "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "Plugins": [], "StorageCompression": false,
  "DicomScpTimeout": 30, "HttpServerEnabled": true, "DicomModalities": {{ {entries} }},
  "LimitFindResults": 0, "LimitFindInstances": 0, "SyncStorageArea": true,
  "DicomAlwaysAllowEcho": true, "DicomAlwaysAllowStore": true, "DicomAlwaysAllowFind": true,
  "DicomAlwaysAllowGet": true, "DicomAlwaysAllowMove": true
}}""")
    proc = subprocess.Popen(["Orthanc", str(config)], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    store.wait_port(port)
    return proc


def stop(proc):
    cpu, rss = store.proc_stats(proc.pid)
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
    return cpu, rss


SERVERS = {
    "Lightbox": (lightbox_server, "LIGHTBOX"),
    "Orthanc": (orthanc_server, "ORTHANC"),
}


# MARK: data

SURNAMES = None


def surnames():
    """1,000 surnames, SMITH among them: each about a thousandth of the patients."""
    global SURNAMES
    if SURNAMES is None:
        rng = random.Random(7)
        parts = ["AL", "BER", "CAR", "DON", "EL", "FIN", "GAR", "HOL", "IN", "JOR", "KEN", "LAN", "MOR", "NOR", "OL", "PER",
                 "QUIN", "ROS", "SAN", "TOR", "UL", "VAN", "WES", "YOR", "ZEL"]
        names = {"SMITH"}
        while len(names) < 1000:
            names.add(rng.choice(parts) + rng.choice(parts).lower().upper() + rng.choice(["", "S", "SON", "ER", "MAN"]))
        SURNAMES = sorted(names)
    return SURNAMES


def study_set():
    """100,000 one-instance studies of 60,000 patients (small secondary captures), written once."""
    folder = OUT / f"studies{STUDIES}"
    stamp = folder / "complete"
    if stamp.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    rng = random.Random(11)
    names = surnames()
    given = ["JOHN", "MARY", "ANNA", "PETER", "LUCA", "SOFIA", "MING", "FATIMA", "OLGA", "JUAN"]
    patients = max(1, STUDIES * 6 // 10)
    print(f"writing {STUDIES} studies for the C-FIND benchmark (once)...", flush=True)
    for i in range(STUDIES):
        p = i % patients
        ds = Dataset()
        ds.PatientName = f"{names[p % len(names)]}^{given[p % len(given)]}"
        ds.PatientID = f"P{p:06d}"
        ds.PatientBirthDate = f"{1930 + p % 80}0{1 + p % 9}1{p % 9}"
        ds.PatientSex = "MF"[p % 2]
        ds.StudyInstanceUID = f"2.25.{1000000 + i}.1"
        ds.SeriesInstanceUID = f"2.25.{1000000 + i}.2"
        ds.SOPInstanceUID = f"2.25.{1000000 + i}.3"
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        year, day = 2000 + rng.randrange(25), rng.randrange(365)
        date = time.strftime("%Y%m%d", time.gmtime(time.mktime((year, 1, 1, 12, 0, 0, 0, 0, 0)) + day * 86400))
        ds.StudyDate = date
        ds.StudyTime = f"{8 + i % 10:02d}{i % 60:02d}00"
        ds.AccessionNumber = f"A{i:07d}"
        ds.StudyID = str(i)
        ds.Modality = ["CT", "MR", "CR", "US", "OT"][i % 5]
        ds.SeriesNumber = 1
        ds.InstanceNumber = 1
        ds.StudyDescription = "BENCH"
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows = ds.Columns = 8
        ds.BitsAllocated = ds.BitsStored = 8
        ds.HighBit, ds.PixelRepresentation = 7, 0
        ds.PixelData = bytes(64)
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        ds.save_as(sub / f"{i}.dcm", enforce_file_format=True)
    _ = generate_uid
    stamp.write_text("ok\n")
    return folder


def populated(name):
    """An archive of the 100,000 studies for `name`, built once (Lightbox by `lightbox import`, Orthanc by
    storescu with 4 associations) and kept."""
    folder = OUT / f"find-{name.lower()}-{STUDIES}"
    stamp = folder / "populated"
    if stamp.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    studies = study_set()
    files = sorted(str(p) for p in studies.rglob("*.dcm"))
    print(f"populating {name} with {len(files)} studies (once)...", flush=True)
    if name == "Lightbox":
        subprocess.run([LIGHTBOX, "import", "-q", "--data", str(folder), str(studies)], check=True, env=ENV,
                       stdout=subprocess.DEVNULL)
    else:
        proc = orthanc_server(folder, 22000)
        store.storescu(22000, "ORTHANC", files, 4)
        stop(proc)
    stamp.write_text("ok\n")
    return folder


# MARK: measurements

def ingest(name, files, parallel):
    start_server, aet = SERVERS[name]
    folder = RUN / f"ingest-{name}-{parallel}"
    proc = start_server(folder, 22100)
    seconds = store.storescu(22100, aet, files, parallel)
    cpu, rss = stop(proc)
    return len(files) / seconds, cpu / len(files), rss


def find_latency(name, keys):
    start_server, aet = SERVERS[name]
    proc = start_server(populated(name), 22200)
    argv = [LIGHTBOX, "find", "-q", "--repeat", "30", "--aec", aet, "127.0.0.1", "22200", "-L", "STUDY"]
    for k in keys:
        argv += ["-k", k]
    for extra in ["StudyInstanceUID", "PatientName", "PatientID", "StudyDate", "AccessionNumber", "ModalitiesInStudy"]:
        if not any(k.startswith(extra + "=") for k in keys):
            argv += ["-k", extra]
    p = subprocess.run(argv, capture_output=True, text=True, env=ENV)
    stop(proc)
    if p.returncode != 0:
        raise RuntimeError(f"find failed on {name}: {p.stderr[-300:]}")
    # "C-FIND x30: N matches; latency ms min a, median b, p95 c, max d"
    line = p.stderr.strip().splitlines()[-1]
    matches = int(line.split(": ")[1].split()[0])
    median = float(line.split("median ")[1].split(",")[0])
    return median, matches


def retrieve(name, files, how):
    """C-MOVE to storescp or C-GET with getscu of the 500-instance series; best of three."""
    start_server, aet = SERVERS[name]
    folder = RUN / f"retrieve-{name}"
    proc = start_server(folder, 22300, modalities=["STORESCP=127.0.0.1:22310"])
    store.storescu(22300, aet, files, 1)
    import pydicom
    study = pydicom.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID
    series = pydicom.dcmread(files[0], stop_before_pixels=True).SeriesInstanceUID
    best = 0.0
    for attempt in range(3):
        target = RUN / f"retrieved-{name}-{how}-{attempt}"
        target.mkdir(parents=True)
        keys = ["-k", "QueryRetrieveLevel=SERIES", "-k", f"StudyInstanceUID={study}", "-k", f"SeriesInstanceUID={series}"]
        if how == "move":
            scp = subprocess.Popen(["storescp", "-aet", "STORESCP", "-od", str(target), "22310"], env=ENV,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            store.wait_port(22310)
            start = time.perf_counter()
            subprocess.run(["movescu", "-S", "-aec", aet, "-aem", "STORESCP", "127.0.0.1", "22300"] + keys, env=ENV,
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seconds = time.perf_counter() - start
            scp.terminate()
            scp.wait()
        else:
            start = time.perf_counter()
            subprocess.run(["getscu", "-S", "-aec", aet, "-od", str(target), "127.0.0.1", "22300"] + keys, env=ENV,
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seconds = time.perf_counter() - start
        got = len(list(target.iterdir()))
        if got != len(files):
            raise RuntimeError(f"{name} {how}: {got} of {len(files)} instances arrived")
        best = max(best, len(files) / seconds)
    stop(proc)
    return best


def ceiling(files):
    """What storescp takes from storescu (one association) on the same files: the most a retrieve can reach."""
    best = 0.0
    for attempt in range(3):
        target = RUN / f"ceiling-{attempt}"
        target.mkdir(parents=True)
        scp = subprocess.Popen(["storescp", "-aet", "STORESCP", "-od", str(target), "22410"], env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        store.wait_port(22410)
        seconds = store.storescu(22410, "STORESCP", files, 1)
        scp.terminate()
        scp.wait()
        best = max(best, len(files) / seconds)
    return best


def main():
    store.in_namespace()
    if not Path(LIGHTBOX).exists():
        sys.exit(f"{LIGHTBOX} is missing: run `make build`")
    OUT.mkdir(parents=True, exist_ok=True)
    RUN.mkdir(parents=True)
    try:
        files, mb = store.dataset()
        series500 = files[:500]
        rows = []

        def row(what, unit, ours, theirs, higher_is_better=True, note=""):
            ratio = ours / theirs if theirs else float("nan")
            better = ratio if higher_is_better else (1 / ratio if ratio else float("nan"))
            rows.append((what, unit, ours, theirs, ratio, better, note))
            print(f"{what:44} {unit:9} {ours:10.2f} {theirs:10.2f} {ratio:8.2f} {better:8.2f}x  {note}", flush=True)

        header = f"{'what':44} {'unit':9} {'Lightbox':>10} {'Orthanc':>10} {'L/O':>8} {'better':>9}"
        print(f"{len(files)} CT instances ({mb:.0f} MB); {STUDIES} studies for C-FIND; both fsync each file\n")
        print(header)
        print("-" * len(header))
        rss = {"Lightbox": 0.0, "Orthanc": 0.0}
        for parallel in (1, 4) if "ingest" in PARTS else ():
            ours = ingest("Lightbox", files, parallel)
            theirs = ingest("Orthanc", files, parallel)
            row(f"ingest, {parallel} association{'s' if parallel > 1 else ''}", "inst/s", ours[0], theirs[0])
            row(f"ingest, {parallel} association{'s' if parallel > 1 else ''}", "MB/s", ours[0] * mb / len(files),
                theirs[0] * mb / len(files))
            row(f"server CPU per instance, {parallel} assoc.", "ms", ours[1] * 1000, theirs[1] * 1000, higher_is_better=False)
            rss["Lightbox"] = max(rss["Lightbox"], ours[2])
            rss["Orthanc"] = max(rss["Orthanc"], theirs[2])
        if "ingest" in PARTS:
            row("peak RSS while ingesting", "MiB", rss["Lightbox"], rss["Orthanc"], higher_is_better=False)
        for what, keys in [] if "find" not in PARTS else [("C-FIND study by PatientID", ["PatientID=P012345"]),
                           ("C-FIND study by PatientName=SMITH*", ["PatientName=SMITH*"]),
                           ("C-FIND study by StudyDate range (a month)", ["StudyDate=20150301-20150331"])]:
            ours, n1 = find_latency("Lightbox", keys)
            theirs, n2 = find_latency("Orthanc", keys)
            row(what, "ms", ours, theirs, higher_is_better=False,
                note=f"{n1} matches" + ("" if n1 == n2 else f" (Orthanc: {n2})"))
        top = ceiling(series500) if "retrieve" in PARTS else 0
        for how in ("move", "get") if "retrieve" in PARTS else ():
            ours = retrieve("Lightbox", series500, how)
            theirs = retrieve("Orthanc", series500, how)
            row(f"C-{how.upper()} of a 500-instance series", "inst/s", ours, theirs,
                note=f"{100 * ours / top:.0f}% (Orthanc {100 * theirs / top:.0f}%) of storescu->storescp, {top:.0f}/s")
        print("\nL/O: Lightbox's value over Orthanc's; better: how many times better Lightbox is on that row.")
    finally:
        shutil.rmtree(RUN, ignore_errors=True)


if __name__ == "__main__":
    main()
