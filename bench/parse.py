#!/usr/bin/env python3
"""Header and full parsing throughput of Lightbox against DCMTK's dcmdump and pydicom, on the same files in the
same run, with peak memory. Prints one table with ratios (higher is better for Lightbox).

Data: the shared corpus (files that all three read), a synthetic 500-slice CT series (`lightbox demo-data`),
and one 500-frame file of the same pixels (about 260 MB) to show that memory follows the header, not the file.

What each tool does:
- header: Lightbox `check --header-only` and `dump --header-only`; dcmdump `+sb PixelData`; pydicom
  `dcmread(stop_before_pixels=True)`.
- full: Lightbox `check --values` (every element parsed, every text value decoded, every byte of binary data
  read) and `dump`; dcmdump `+M` (loads every value, pixel data included); pydicom `dcmread` then every value
  converted (`iterall`), pixel data bytes included.
Lightbox `dump` and dcmdump print (to /dev/null); `check` and pydicom do not, so `check` is compared with
pydicom (both timed inside the process, start-up left out) and `dump` with dcmdump (both timed as whole
processes, start-up included: that is what a user waits for).
"""
import csv
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTBOX = os.environ.get("LIGHTBOX", str(ROOT / ".build" / "release" / "lightbox"))
PYTHON = sys.executable
OUT = ROOT / "bench" / "out"
CORPUS = Path(os.environ.get("LIGHTBOX_SHARED", ROOT.parent / "shared")) / "corpus"
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))

PYDICOM_LOOP = r"""
import sys, time, warnings
warnings.simplefilter("ignore")
import pydicom
mode, files = sys.argv[1], sys.argv[2:]
t = time.perf_counter()
for f in files:
    if mode == "header":
        pydicom.dcmread(f, stop_before_pixels=True)
    else:
        ds = pydicom.dcmread(f)
        for e in ds.iterall():
            e.value
print(time.perf_counter() - t)
"""


def run(cmd, capture=False):
    """Runs a command; returns (seconds, peak RSS in MiB, stdout). The peak RSS comes from GNU time, which forks
    the command from its own small process (Linux keeps a parent's high-water mark across fork and exec)."""
    rss_file = OUT / "rss.txt"
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(rss_file)] + cmd,
                       stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    rss = int(rss_file.read_text().strip().splitlines()[-1]) / 1024
    return elapsed, rss, p.stdout or b""


def timed(cmd, inner=False):
    """Median of REPEAT runs. With inner=True the command prints its own timing on its last line, which leaves
    out process and interpreter start-up (pydicom's import alone takes longer than Lightbox's whole run)."""
    times, rss = [], 0
    for _ in range(REPEAT):
        t, r, out = run(cmd, capture=inner)
        times.append(float(out.decode().strip().splitlines()[-1]) if inner else t)
        rss = max(rss, r)
    return statistics.median(times), rss


def corpus_files():
    if not (CORPUS / "MANIFEST.csv").is_file():
        print(f"SKIP corpus: {CORPUS} is absent", file=sys.stderr)
        return []
    files = []
    with open(CORPUS / "MANIFEST.csv") as f:
        for row in csv.DictReader(f):
            # Files every tool reads cleanly, so each tool does the same work.
            if row["pydicom_read"] == "ok" and row["dcmdump_clean"] == "1" and row["ts_category"] != "deflate-explicit-LE":
                files.append(str(CORPUS / row["path"]))
    return files


def demo_series():
    folder = OUT / "demo500"
    series = folder / "LB0001" / "20260302-ct-current" / "1"
    if not series.is_dir() or len(list(series.glob("*.dcm"))) != 500:
        subprocess.run([LIGHTBOX, "demo-data", "--out", str(folder), "--ct-slices", "500", "--quiet"], check=True)
    return sorted(str(p) for p in series.glob("*.dcm"))


def multiframe(series):
    """One 500-frame file built from the series' pixels with pydicom."""
    path = OUT / "ct-500-frames.dcm"
    if not path.is_file():
        import pydicom

        ds = pydicom.dcmread(series[0])
        frames = [pydicom.dcmread(f).PixelData for f in series]
        ds.NumberOfFrames = len(frames)
        ds.PixelData = b"".join(frames)
        ds.save_as(path, enforce_file_format=True)
    return [str(path)]


def mb(files):
    return sum(os.path.getsize(f) for f in files) / 1e6


def main():
    if not Path(LIGHTBOX).exists():
        sys.exit(f"{LIGHTBOX} is missing: run `make build`")
    OUT.mkdir(parents=True, exist_ok=True)
    series = demo_series()
    sets = [("corpus", corpus_files()), ("CT series (500 slices)", series), ("one 500-frame file", multiframe(series))]
    print(f"Lightbox: {LIGHTBOX}; {subprocess.run(['dcmdump', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}; "
          f"pydicom {subprocess.run([PYTHON, '-c', 'import pydicom; print(pydicom.__version__)'], capture_output=True, text=True).stdout.strip()}")
    print(f"median of {REPEAT} runs; rates over the whole set; RSS is the peak of the process\n")
    header = f"{'set':24} {'mode':6} {'tool':22} {'files/s':>10} {'MB/s':>9} {'peak RSS MiB':>13} {'Lightbox ×':>11}"
    print(header)
    print("-" * len(header))
    for name, files in sets:
        if not files:
            continue
        size = mb(files)
        for mode in ("header", "full"):
            check = [LIGHTBOX, "check", "--quiet", "--timing"] + (["--header-only"] if mode == "header" else ["--values"]) + files
            dump = [LIGHTBOX, "dump", "--quiet"] + (["--header-only"] if mode == "header" else []) + files
            dcmdump = ["dcmdump", "-q"] + (["+sb", "7fe0,0010"] if mode == "header" else ["+M"]) + files
            pyd = [PYTHON, "-c", PYDICOM_LOOP, mode] + files
            results = {
                "lightbox check": timed(check, inner=True),
                "pydicom": timed(pyd, inner=True),
                "lightbox dump": timed(dump),
                "dcmdump": timed(dcmdump),
            }
            ratios = {"lightbox check": results["pydicom"][0] / results["lightbox check"][0],
                      "lightbox dump": results["dcmdump"][0] / results["lightbox dump"][0]}
            for tool, (t, rss) in results.items():
                ratio = f"{ratios[tool]:10.1f}×" if tool in ratios else ""
                print(f"{name:24} {mode:6} {tool:22} {len(files) / t:10.0f} {size / t:9.0f} {rss:13.1f} {ratio:>11}")
        print()
    print("Lightbox × = time of the peer (pydicom for check, dcmdump for dump) / time of Lightbox.")


if __name__ == "__main__":
    main()
