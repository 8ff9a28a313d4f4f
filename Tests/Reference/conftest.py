"""Shared set-up of the reference tests: where the lightbox binary and the reference files are."""
import csv
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIGHTBOX = os.environ.get("LIGHTBOX", str(ROOT / ".build" / "release" / "lightbox"))
SHARED = Path(os.environ.get("LIGHTBOX_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"

sys.path.insert(0, str(Path(__file__).parent))


def corpus_files():
    """Every file of ../shared/corpus (none when it is absent: a fresh clone)."""
    if not CORPUS.is_dir():
        print(f"\nSKIP: {CORPUS} is absent; the corpus reference tests are skipped", file=sys.stderr)
        return []
    return sorted(str(p) for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("MANIFEST.csv", "README.md"))


def manifest():
    rows = {}
    path = CORPUS / "MANIFEST.csv"
    if path.is_file():
        with open(path) as f:
            for row in csv.DictReader(f):
                rows[str(CORPUS / row["path"])] = row
    return rows


def pydicom_files():
    """pydicom's own test data, installed with the package into the virtual environment."""
    import pydicom

    data = Path(pydicom.__file__).parent / "data"
    files = []
    for sub in ("test_files", "charset_files"):
        d = data / sub
        if d.is_dir():
            files += [str(p) for p in d.rglob("*") if p.is_file() and p.suffix.lower() in (".dcm", "") and
                      not p.name.startswith(("README", "."))]
    return sorted(files)


def relative_name(path):
    p = Path(path)
    for base, label in ((CORPUS, "corpus"), (Path(sys.prefix), "venv")):
        try:
            return f"{label}/{p.relative_to(base)}"
        except ValueError:
            pass
    return str(p)


@pytest.fixture(scope="session")
def lightbox():
    if not Path(LIGHTBOX).exists():
        pytest.fail(f"{LIGHTBOX} is missing: run `make build` first")
    return LIGHTBOX
