"""`lightbox dump --json` against pydicom, element by element, for every DICOM file of the shared corpus and of
pydicom's own test data.

Bulk data (binary values over BULK bytes) is compared by presence only; everything else exactly: VRs, strings
after character set decoding, numbers, person name groups, inline binary. A difference is either fixed or listed,
with its reason, in known-differences.txt (which this test reads; a listed difference that no longer occurs is
reported too, so the list stays true).
"""
import base64
import fnmatch
import json
import math
import os
import subprocess
import warnings
from pathlib import Path

import pydicom
import pytest

from conftest import LIGHTBOX, corpus_files, pydicom_files, relative_name

BULK = 4096
KNOWN = Path(__file__).with_name("known-differences.txt")


def load_known():
    entries = []
    for line in KNOWN.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, tag, reason = (line.split("\t") + ["", ""])[:3]
        entries.append((pattern.strip(), tag.strip(), reason.strip()))
    return entries


KNOWN_ENTRIES = load_known()
USED_ENTRIES = set()


def known(name, tag):
    for i, (pattern, t, _) in enumerate(KNOWN_ENTRIES):
        if fnmatch.fnmatch(name, pattern) and fnmatch.fnmatchcase(tag, t):
            USED_ENTRIES.add(i)
            return True
    return False


def reference_json(path):
    """pydicom's DICOM JSON for the data set and the data set itself; an exception when pydicom refuses the file
    (reading it, or converting any element on access)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path, force=True)
            for _ in ds.iterall():
                pass
            return ds.to_json_dict(bulk_data_threshold=BULK * 4 // 3 + 4, bulk_data_element_handler=lambda e: "bulk",
                                   suppress_invalid_tags=True), ds
        except Exception as exc:  # noqa: BLE001 - any refusal counts
            return exc, None


def raw_text(ds, key):
    """The text pydicom read for an element whose value its JSON encoder refused (an invalid IS or DS, say)."""
    elem = ds[int(key, 16)]
    value = elem.value
    values = value if isinstance(value, (list, tuple, pydicom.multival.MultiValue)) else [value]
    return [str(v).strip() for v in values]


def ours_json(path):
    p = subprocess.run([LIGHTBOX, "dump", "--json", "--quiet", f"--bulk-threshold={BULK}", path],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return json.loads(p.stdout), p.stderr.strip()


def norm_string(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v.strip(" \x00")
    return v


def numbers_equal(a, b, vr):
    if isinstance(a, str) or isinstance(b, str):
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            return norm_string(a) == norm_string(b)
    if a is None or b is None:
        return a == b or (a in (None, "") and b in (None, ""))
    if math.isnan(a) and math.isnan(b):
        return True
    tolerance = 1e-6 if vr in ("FL", "OF") else 1e-12
    return a == b or abs(a - b) <= tolerance * max(abs(a), abs(b))


def compare_value(vr, ref, ours, path, diffs):
    if "BulkDataURI" in ref or "BulkDataURI" in ours:
        if ("BulkDataURI" in ref) != ("BulkDataURI" in ours) and "InlineBinary" not in ref and "InlineBinary" not in ours:
            diffs.append((path, f"bulk data on one side only: {list(ref)} vs {list(ours)}"))
        return
    if "InlineBinary" in ref or "InlineBinary" in ours:
        a = base64.b64decode(ref.get("InlineBinary", "")) if ref.get("InlineBinary") else b""
        b = base64.b64decode(ours.get("InlineBinary", "")) if ours.get("InlineBinary") else b""
        # JSON need not pad to even length (DICOM CP 1920): compare without one trailing pad byte.
        if a != b and a.rstrip(b"\x00") != b.rstrip(b"\x00"):
            diffs.append((path, f"binary differs: {len(a)} bytes vs {len(b)} bytes"))
        return
    rv, ov = ref.get("Value", []), ours.get("Value", [])
    if vr == "SQ":
        if len(rv) != len(ov):
            diffs.append((path, f"{len(rv)} items vs {len(ov)}"))
            return
        for i, (ri, oi) in enumerate(zip(rv, ov)):
            compare_dataset(ri, oi, f"{path}[{i}]", diffs)
        return
    # Empty values: a missing Value, [] and [""] / [null] all mean "no value".
    if all(norm_string(x) in ("", None, {}) for x in rv) and all(norm_string(x) in ("", None, {}) for x in ov):
        return
    if len(rv) != len(ov):
        diffs.append((path, f"values {rv!r} vs {ov!r}"))
        return
    for i, (a, b) in enumerate(zip(rv, ov)):
        if vr == "PN":
            a = {k: v for k, v in (a or {}).items() if v}
            b = {k: v for k, v in (b or {}).items() if v}
            if {k: v.rstrip() for k, v in a.items()} != {k: v.rstrip() for k, v in b.items()}:
                diffs.append((path, f"name {a!r} vs {b!r}"))
        elif vr in ("DS", "IS", "FL", "FD", "US", "SS", "UL", "SL", "UV", "SV"):
            if not numbers_equal(a, b, vr):
                diffs.append((path, f"number {a!r} vs {b!r}"))
        elif norm_string(a) != norm_string(b):
            diffs.append((path, f"text {a!r} vs {b!r}"))


def compare_dataset(ref, ours, path, diffs, ds=None):
    for key in sorted(set(ref) | set(ours)):
        here = f"{path}/{key}" if path else key
        if key not in ours:
            diffs.append((here, f"missing in ours (pydicom: {ref[key].get('vr')})"))
            continue
        if key not in ref:
            # pydicom's JSON encoder drops values it cannot encode (an IS of "1A"); compare with what it read.
            if ds is not None and "/" not in here and int(key, 16) in ds:
                theirs = raw_text(ds, key)
                mine = [str(v.get("Alphabetic", v) if isinstance(v, dict) else v).strip() for v in ours[key].get("Value", [])]
                if mine == theirs or [m.rstrip("0").rstrip(".") for m in mine] == [t.rstrip("0").rstrip(".") for t in theirs]:
                    continue
                diffs.append((here, f"pydicom read {theirs!r} (not encodable in its JSON), ours {mine!r}"))
                continue
            diffs.append((here, f"not in pydicom's (ours: {ours[key].get('vr')})"))
            continue
        rvr, ovr = ref[key].get("vr"), ours[key].get("vr")
        if rvr != ovr:
            diffs.append((here, f"VR {rvr} vs {ovr}"))
            continue
        compare_value(rvr, ref[key], ours[key], here, diffs)


FILES = corpus_files() + pydicom_files()


@pytest.mark.parametrize("path", FILES, ids=[relative_name(f) for f in FILES])
def test_matches_pydicom(path):
    name = relative_name(path)
    ref, ds = reference_json(path)
    ours, stderr = ours_json(path)
    if isinstance(ref, Exception):
        # pydicom refuses it: we must refuse it with a clear one-line reason, or read it as DCMTK does.
        if ours is None:
            assert stderr.count("\n") == 0 and stderr, f"refusal must be one line: {stderr!r}"
            return
        dcmtk = subprocess.run(["dcmdump", "-q", path], capture_output=True)
        assert dcmtk.returncode == 0 or known(name, "*"), f"pydicom refuses ({ref}), DCMTK refuses, we read it"
        return
    if ours is None:
        assert known(name, "*"), f"pydicom reads it, we refuse: {stderr}"
        return
    diffs = []
    compare_dataset(ref, ours, "", diffs, ds)
    unexplained = [(p, d) for p, d in diffs if not known(name, p)]
    assert not unexplained, name + ":\n" + "\n".join(f"{p}: {d}" for p, d in unexplained[:40])


def test_known_differences_are_all_still_needed():
    """Runs last (file order): every entry of known-differences.txt must have matched something."""
    if len(USED_ENTRIES) == 0 and not FILES:
        pytest.skip("no reference files")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("needs a single process")
    stale = [KNOWN_ENTRIES[i] for i in range(len(KNOWN_ENTRIES)) if i not in USED_ENTRIES]
    assert not stale, f"known differences that no longer occur (remove them): {stale}"
