"""Seeds for the pixels fuzz target: the first frame of small encapsulated corpus files, each behind the two bytes
Fuzz/PixelFuzz.swift reads (the transfer syntax's index, and a shape byte close to the file's own image)."""
import csv
import os
import sys
from pathlib import Path

try:
    import pydicom
    from pydicom.encaps import generate_frames
except ImportError:  # run by the system python3: without pydicom there are no seeds, and the fuzzer starts empty
    sys.exit(0)

SYNTAXES = ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
            "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90",
            "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.8.1",
            "1.2.840.10008.1.2.4.110"]
corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
out = Path(sys.argv[1])
if (corpus / "MANIFEST.csv").is_file():
    with open(corpus / "MANIFEST.csv") as f:
        for i, row in enumerate(csv.DictReader(f)):
            ts = row["transfer_syntax_uid"]
            if ts not in SYNTAXES or os.path.getsize(corpus / row["path"]) > 200_000:
                continue
            try:
                ds = pydicom.dcmread(corpus / row["path"])
                frame = next(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)))
            except Exception:
                continue
            if len(frame) > 16_000:
                continue
            shape = (1 if ds.BitsAllocated == 16 else 0) << 2 | (1 if ds.SamplesPerPixel == 3 else 0) << 3
            (out / f"seed-{i}").write_bytes(bytes([SYNTAXES.index(ts), shape]) + frame)
