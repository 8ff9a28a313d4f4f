"""`lightbox serve` end to end with real peers: DCMTK's dcmsend of the whole corpus (each file's outcome checked
against what pydicom makes of it), everything moved back out with movescu into storescp and compared byte for byte,
pynetdicom's findscu, movescu and getscu; then the archive commands (import, verify, reindex), the configuration
(errors naming the key, environment overrides), duplicates policies, JSON logs and a graceful SIGTERM.

Matching case by case at every level, both models, lives in test_dcmtk_query_retrieve.py (run against `serve`
as well as `receive`); durability under SIGKILL and a full disk in test_archive_durability.py."""
import json
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pydicom
import pytest

from interop_support import ENV, HOST, LIGHTBOX, PYTHON, comparable_dataset, corpus, dataset_bytes, describe, \
    files_by_sop_instance, free_port, lightbox, run, same_values, sop_instance_uid, transfer_syntax

REQUIRED_UIDS = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
BRAINIX = "orthanc-tests/Database/Brainix"
KNIX = "orthanc-tests/Database/Knix"


def parse_report(path):
    """dcmsend's --create-report-file: one dict per file (Filename, SOP Instance, Original Xfer, Network Xfer,
    DIMSE Status), in the order dcmsend sent them."""
    entries, current = [], None
    for line in Path(path).read_text(errors="replace").splitlines():
        m = re.match(r"^(Number|Filename|SOP Instance|SOP Class|Original Xfer|Network Xfer|DIMSE Status)\s*: (.*)$", line)
        if not m:
            continue
        key, value = m.groups()
        if key == "Number":
            current = {}
            entries.append(current)
        elif current is not None:
            current[key] = value.split(" = ")[0].strip()
    return entries


def status_of(entry):
    """The DIMSE status as a number, None when dcmsend did not send the file."""
    m = re.match(r"0x([0-9a-f]{4})", entry.get("DIMSE Status", ""))
    return int(m.group(1), 16) if m else None


def dcmtk_uids(path):
    """The four UIDs as DCMTK reads them from the top level of the data set (dcmsend sends DCMTK's reading):
    only values it reads as UI count."""
    cp = run(["dcmdump", "-q", "-M", "-Un", path])
    found = re.findall(r"^\((?:0008,001[68]|0020,000[de])\) UI \[([^\]]*)\]\s+#.*\s(\w+)$", cp.stdout, re.M)
    return {keyword: value.strip() for value, keyword in found}


def dcmtk_view(path):
    """DCMTK's dump of the data set's values: file meta, comments, lengths, delimiters and trailing padding
    (which DCMTK re-encodes or drops as it sends) left out."""
    cp = run(["dcmdump", "-q", "-M", "-Un", path])
    out = []
    for line in cp.stdout.splitlines():
        line = re.sub(r"\s+#.*$", "", line)
        line = re.sub(r"\((Sequence|Item) with (undefined|explicit) length", r"(\1", line)
        if line.strip() and not line.startswith(("(0002,", "#", "(fffc,fffc)")) and "Delimitation" not in line:
            out.append(line)
    return out


def pydicom_uids(path):
    try:
        ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
        return {k: str(ds.get(k, "") or "").strip() for k in REQUIRED_UIDS}
    except Exception:
        return None


def expected_status(entry):
    """What the archive must answer to a file dcmsend sent. dcmsend sends DCMTK's reading of the file: when
    that has the four UIDs of the hierarchy, and pydicom (if it reads the file) finds the same ones, the instance
    is stored (success); otherwise the data set is not the instance the request announces, or lacks its place in
    the hierarchy, and the answer is A900 (data set does not match SOP class)."""
    dcmtk, reference = dcmtk_uids(entry["Filename"]), pydicom_uids(entry["Filename"])
    if not all(dcmtk.get(k) for k in REQUIRED_UIDS):
        return 0xA900
    if reference is not None and any(reference[k] != dcmtk[k] for k in REQUIRED_UIDS):
        return 0xA900
    return 0


@pytest.fixture(scope="module")
def corpus_archive(module_launcher, tmp_path_factory, dcmtk, corpus_dir):
    """An archive that was sent the whole corpus by dcmsend (bad files skipped by dcmsend, not by us)."""
    data = tmp_path_factory.mktemp("corpus-archive")
    server = module_launcher.serve(data / "data")
    report = data / "dcmsend-report.txt"
    cp = run(["dcmsend", "-aec", server.aet, "+sd", "+r", "-dn", "-nh", "-nuc", "+crf", report, HOST, server.port,
              corpus_dir], timeout=600)
    assert cp.returncode == 0, describe(cp)
    server.report = parse_report(report)
    server.storage = server.data / "storage"
    # The copy the archive keeps of each SOP Instance UID: the first one it accepted.
    server.kept = {}
    for e in server.report:
        if status_of(e) == 0:
            # dcmsend's report names the UID of the file's meta; the data set it sent may say otherwise.
            server.kept.setdefault(dcmtk_uids(e["Filename"])["SOPInstanceUID"], e)
    return server


def test_corpus_outcomes_follow_the_references(corpus_archive):
    sent = [e for e in corpus_archive.report if status_of(e) is not None]
    assert len(sent) > 200, f"dcmsend sent only {len(sent)} files"
    wrong = []
    for e in sent:
        want, got = expected_status(e), status_of(e)
        if want != got and not (want == 0 and got >> 12 == 0xB):
            wrong.append(f"{e['Filename']}: status {got:04X}, the references expect {want:04X}")
    assert not wrong, "\n".join(wrong)


def test_corpus_stored_once_per_instance_and_indexed(corpus_archive, tmp_path):
    stored = files_by_sop_instance(corpus_archive.storage)
    assert set(stored) == set(corpus_archive.kept)
    assert len(list(corpus_archive.storage.rglob("*.dcm"))) == len(stored), "a duplicate was stored twice"
    assert not [p for p in corpus_archive.storage.rglob("*") if ".part-" in p.name]
    # The index knows every study the files name, and their instance counts.
    studies = {}
    for path in stored.values():
        uid = str(pydicom.dcmread(path, stop_before_pixels=True).StudyInstanceUID)
        studies[uid] = studies.get(uid, 0) + 1
    cp = run(["findscu", "-S", "-aec", corpus_archive.aet, "-X", "-od", tmp_path, HOST, corpus_archive.port,
              "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=", "-k", "NumberOfStudyRelatedInstances="])
    assert cp.returncode == 0, describe(cp)
    found = {}
    for p in tmp_path.glob("rsp*.dcm"):
        r = pydicom.dcmread(p)
        found[str(r.StudyInstanceUID)] = int(r.NumberOfStudyRelatedInstances)
    assert found == studies


def test_stored_files_hold_what_was_sent(corpus_archive):
    """The archive writes the data set as it arrived: byte for byte the file's when dcmsend sent it unchanged,
    the same values when dcmsend converted it (or re-encoded an oddity)."""
    stored = files_by_sop_instance(corpus_archive.storage)
    differences = []
    for uid, e in corpus_archive.kept.items():
        original, path = Path(e["Filename"]), stored[uid]
        if e["Network Xfer"] == e["Original Xfer"] and comparable_dataset(path) == comparable_dataset(original):
            continue
        try:
            # DCMTK drops Data Set Trailing Padding as it sends.
            difference = same_values(path, original, ignore_group_lengths=True, ignore_tags=(0xFFFCFFFC,))
        except Exception:
            # pydicom cannot read the original: compare DCMTK's readings (the one dcmsend sent).
            difference = None if dcmtk_view(path) == dcmtk_view(original) else "DCMTK reads different data sets"
        if difference:
            differences.append(f"{original}: {difference}")
    assert not differences, "\n".join(differences)


# Transfer syntaxes DCMTK's storescp does not accept even with +xa (retired JPEG processes, and process 14): the
# archive decodes those instances and sends them in a native syntax the destination accepted.
STORESCP_REFUSES = {"1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.55", "1.2.840.10008.1.2.4.57"}
NATIVE_SYNTAXES = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}


def test_everything_comes_back_byte_identical_by_movescu(corpus_archive, launcher, tmp_path):
    studies = sorted({str(pydicom.dcmread(p, stop_before_pixels=True).StudyInstanceUID)
                      for p in files_by_sop_instance(corpus_archive.storage).values()})
    storescp = launcher.storescp(tmp_path / "moved", "MOVESCP", "-pm")
    env_modality = f"MOVESCP={HOST}:{storescp.port}"
    # The destination is configured at start: restart the archive with it (the data stays).
    corpus_archive.stop()
    server = launcher.serve(corpus_archive.data, "--modality", env_modality)
    try:
        cp = run(["movescu", "-S", "-aec", server.aet, "-aem", "MOVESCP", HOST, server.port,
                  "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + "\\".join(studies)], timeout=300)
        moved = files_by_sop_instance(storescp.out)
        stored = files_by_sop_instance(corpus_archive.storage)
        assert set(moved) == set(stored), describe(cp)
        assert cp.returncode == 0, describe(cp)
        converted = {uid for uid, p in stored.items() if transfer_syntax(p) in STORESCP_REFUSES}
        for uid, path in moved.items():
            if uid in converted:
                # Decoded for the destination: a native syntax, and the pixels DCMTK's decoder makes of the stored file.
                assert transfer_syntax(path) in NATIVE_SYNTAXES, uid
                reference = tmp_path / f"dcmdjpeg-{uid}.dcm"
                run(["dcmdjpeg", str(stored[uid]), str(reference)], timeout=60)
                ours, theirs = pydicom.dcmread(path).pixel_array, pydicom.dcmread(reference).pixel_array
                assert ours.shape == theirs.shape and abs(ours.astype(int) - theirs.astype(int)).max() <= 2, uid
                continue
            assert transfer_syntax(path) == transfer_syntax(stored[uid]), uid
            assert dataset_bytes(path) == dataset_bytes(stored[uid]), f"{uid}: moved data set differs from the stored one"
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------------------------
# pynetdicom's command-line SCUs against an archive loaded by `lightbox import`


@pytest.fixture(scope="module")
def small_archive(module_launcher, tmp_path_factory, dcmtk, corpus_dir):
    data = tmp_path_factory.mktemp("small-archive") / "data"
    cp = lightbox("import", "--data", data, "--quiet", corpus(BRAINIX), corpus(KNIX))
    assert cp.returncode == 0, describe(cp)
    pyscp = module_launcher.pynetdicom_storescp(tmp_path_factory.mktemp("pystorescp"), aet="PYSTORESCP")
    server = module_launcher.serve(data, "--modality", f"PYSTORESCP={HOST}:{pyscp.port}")
    server.destination = pyscp
    server.originals = files_by_sop_instance(corpus(BRAINIX)) | files_by_sop_instance(corpus(KNIX))
    return server


def pynetdicom(tool, *args, timeout=120, cwd=None):
    return run([PYTHON, "-m", "pynetdicom", tool, *args], timeout=timeout, cwd=cwd)


def test_pynetdicom_findscu(small_archive, tmp_path):
    brainix = pydicom.dcmread(next(iter(files_by_sop_instance(corpus(BRAINIX)).values())), stop_before_pixels=True)
    cp = pynetdicom("findscu", HOST, small_archive.port, "-aec", small_archive.aet, "-S", "-w",
                    "-k", "QueryRetrieveLevel=SERIES", "-k", f"StudyInstanceUID={brainix.StudyInstanceUID}",
                    "-k", "SeriesInstanceUID=", "-k", "NumberOfSeriesRelatedInstances=", cwd=tmp_path)
    assert cp.returncode == 0, describe(cp)
    series = {}
    for p in small_archive.originals.values():
        ds = pydicom.dcmread(p, stop_before_pixels=True)
        if ds.StudyInstanceUID == brainix.StudyInstanceUID:
            series[str(ds.SeriesInstanceUID)] = series.get(str(ds.SeriesInstanceUID), 0) + 1
    got = {str(r.SeriesInstanceUID): int(r.NumberOfSeriesRelatedInstances)
           for r in map(pydicom.dcmread, sorted(tmp_path.glob("rsp*.dcm")))}
    assert got == series, describe(cp)


def test_pynetdicom_movescu(small_archive):
    knix = {uid: p for uid, p in small_archive.originals.items() if KNIX in str(p)}
    study = str(pydicom.dcmread(next(iter(knix.values())), stop_before_pixels=True).StudyInstanceUID)
    cp = pynetdicom("movescu", HOST, small_archive.port, "-aec", small_archive.aet, "-aem", "PYSTORESCP", "-S",
                    "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}")
    assert cp.returncode == 0, describe(cp)
    moved = files_by_sop_instance(small_archive.destination.out)
    assert set(knix) <= set(moved), describe(cp)
    for uid in knix:
        assert dataset_bytes(moved[uid]) == dataset_bytes(knix[uid]), uid


def test_pynetdicom_getscu(small_archive, tmp_path):
    brainix = files_by_sop_instance(corpus(BRAINIX))
    patient = str(pydicom.dcmread(next(iter(brainix.values())), stop_before_pixels=True).PatientID)
    cp = pynetdicom("getscu", HOST, small_archive.port, "-aec", small_archive.aet, "-P", "-od", tmp_path,
                    "-k", "QueryRetrieveLevel=PATIENT", "-k", f"PatientID={patient}")
    assert cp.returncode == 0, describe(cp)
    got = files_by_sop_instance(tmp_path)
    assert set(got) == set(brainix), describe(cp)
    for uid, path in got.items():
        if transfer_syntax(path) == transfer_syntax(brainix[uid]):
            assert dataset_bytes(path) == dataset_bytes(brainix[uid]), uid
        else:
            # pynetdicom's getscu accepts implicit VR little endian only: the archive converts, values unchanged.
            assert transfer_syntax(path) == "1.2.840.10008.1.2", uid
            assert same_values(path, brainix[uid]) is None, uid


def test_pynetdicom_getscu_gets_compressed_instances_decoded(small_archive, tmp_path):
    """Knix is JPEG Lossless; pynetdicom's getscu takes implicit VR little endian only, so the archive decodes the
    pixel data for it: every instance arrives, with the pixels pydicom decodes from the stored original."""
    knix = files_by_sop_instance(corpus(KNIX))
    patient = str(pydicom.dcmread(next(iter(knix.values())), stop_before_pixels=True).PatientID)
    cp = pynetdicom("getscu", HOST, small_archive.port, "-aec", small_archive.aet, "-P", "-od", tmp_path,
                    "-k", "QueryRetrieveLevel=PATIENT", "-k", f"PatientID={patient}")
    assert cp.returncode == 0, describe(cp)
    got = files_by_sop_instance(tmp_path)
    assert set(got) == set(knix), describe(cp)
    for uid, path in got.items():
        assert transfer_syntax(path) == "1.2.840.10008.1.2", uid
        assert (pydicom.dcmread(path).pixel_array == pydicom.dcmread(knix[uid]).pixel_array).all(), uid


# ---------------------------------------------------------------------------------------------------------------
# Archive commands


def storage_files(data):
    return sorted(p for p in (Path(data) / "storage").rglob("*") if p.is_file())


def test_import_twice_adds_nothing(tmp_path, corpus_dir):
    data = tmp_path / "data"
    first = lightbox("import", "--data", data, corpus(BRAINIX), corpus(KNIX) / "Loc", tmp_path / "does-not-exist")
    assert first.returncode == 1, describe(first)  # the missing path is reported, the rest imported
    assert "does-not-exist" in first.stderr, describe(first)
    count = len(files_by_sop_instance(corpus(BRAINIX))) + len(files_by_sop_instance(corpus(KNIX) / "Loc"))
    assert re.search(rf"imported {count} instances", first.stdout + first.stderr), describe(first)
    files = storage_files(data)
    assert len(files) == count
    second = lightbox("import", "--data", data, corpus(BRAINIX), corpus(KNIX) / "Loc")
    assert second.returncode == 0, describe(second)
    assert re.search(rf"imported 0 instances .*{count} already in the archive", second.stdout + second.stderr), \
        describe(second)
    assert storage_files(data) == files


def test_import_skips_non_dicom_and_reports_unreadable(tmp_path, corpus_dir):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.txt").write_text("not DICOM")
    good = next(iter(files_by_sop_instance(corpus(BRAINIX)).values()))
    shutil.copy(good, folder / "good.dcm")
    (folder / "truncated.dcm").write_bytes(good.read_bytes()[:2000])
    cp = lightbox("import", "--data", tmp_path / "data", folder)
    out = cp.stdout + cp.stderr
    assert cp.returncode == 1, describe(cp)
    assert "truncated.dcm" in out and "notes.txt" not in out.replace("1 not DICOM", ""), describe(cp)
    assert re.search(r"imported 1 instances .* 1 not DICOM, 1 failed", out), describe(cp)
    assert len(storage_files(tmp_path / "data")) == 1


def test_verify_reports_damage(tmp_path, corpus_dir):
    data = tmp_path / "data"
    assert lightbox("import", "--data", data, "--quiet", corpus(BRAINIX)).returncode == 0
    clean = lightbox("verify", "--data", data)
    assert clean.returncode == 0, describe(clean)
    files = storage_files(data)
    damaged, missing = files[0], files[1]
    damaged_uid = sop_instance_uid(damaged)
    raw = bytearray(damaged.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    missing.unlink()
    extra = data / "storage" / "stray.dcm"
    extra.write_bytes(b"stray")
    cp = lightbox("verify", "--data", data)
    out = cp.stdout + cp.stderr
    assert cp.returncode == 1, describe(cp)
    assert damaged_uid in out, describe(cp)
    assert "stray.dcm" in out, describe(cp)
    assert re.search(r"2 damaged|damaged: 2|2 (files )?(are )?damaged", out), describe(cp)


def find_all_levels(server, tmp_path):
    """Every response of a set of queries (study root, each level in turn) as canonical JSON lines."""
    answers = []
    queries = [("STUDY", {"StudyInstanceUID": "", "PatientID": "", "PatientName": "", "StudyDate": "",
                          "ModalitiesInStudy": "", "SOPClassesInStudy": "", "NumberOfStudyRelatedSeries": "",
                          "NumberOfStudyRelatedInstances": "", "AccessionNumber": "", "StudyDescription": ""})]
    for level, keys in queries:
        out = tmp_path / f"find-{level}"
        out.mkdir(parents=True)
        cp = run(["findscu", "-S", "-aec", server.aet, "-X", "-od", out, HOST, server.port,
                  "-k", f"QueryRetrieveLevel={level}"] + [a for k, v in keys.items() for a in ("-k", f"{k}={v}")])
        assert cp.returncode == 0, describe(cp)
        for p in out.glob("rsp*.dcm"):
            answers.append(json.dumps(pydicom.dcmread(p).to_json_dict(), sort_keys=True))
        for p in out.glob("rsp*.dcm"):
            study = str(pydicom.dcmread(p).StudyInstanceUID)
            sub = tmp_path / f"series-{study}"
            sub.mkdir()
            cp = run(["findscu", "-S", "-aec", server.aet, "-X", "-od", sub, HOST, server.port,
                      "-k", "QueryRetrieveLevel=SERIES", "-k", f"StudyInstanceUID={study}", "-k", "SeriesInstanceUID=",
                      "-k", "Modality=", "-k", "SeriesNumber=", "-k", "NumberOfSeriesRelatedInstances=",
                      "-k", "SeriesDescription="])
            assert cp.returncode == 0, describe(cp)
            answers += [json.dumps(pydicom.dcmread(q).to_json_dict(), sort_keys=True) for q in sub.glob("rsp*.dcm")]
    return sorted(answers)


def test_reindex_gives_identical_query_results(launcher, tmp_path, corpus_dir):
    data = tmp_path / "data"
    cp = lightbox("import", "--data", data, "--quiet", corpus(BRAINIX), corpus(KNIX),
                  corpus("pydicom-wheel/test_files/dicomdirtests"))
    assert cp.returncode == 0, describe(cp)
    server = launcher.serve(data)
    before = find_all_levels(server, tmp_path / "before")
    assert len(before) > 10
    assert server.stop() == 0
    cp = lightbox("reindex", "--data", data)
    assert cp.returncode == 0, describe(cp)
    server = launcher.serve(data)
    after = find_all_levels(server, tmp_path / "after")
    assert after == before


def test_reindex_refuses_while_serving(launcher, tmp_path):
    server = launcher.serve(tmp_path / "data")
    cp = lightbox("reindex", "--data", server.data)
    assert cp.returncode != 0, describe(cp)
    assert "in use" in cp.stderr or "lock" in cp.stderr, describe(cp)


# ---------------------------------------------------------------------------------------------------------------
# Configuration, duplicates, logs, shutdown


def serve_once(*args, env=None, timeout=20):
    return subprocess.run([LIGHTBOX, "serve", *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**ENV, **(env or {})})


@pytest.mark.parametrize("config,key", [
    ({"dicom": {"port": 70000}}, "dicom.port"),
    ({"dicom": {"ae_title": "A TITLE THAT IS FAR TOO LONG"}}, "dicom.ae_title"),
    ({"storage": {"duplicates": "sometimes"}}, "storage.duplicates"),
    ({"dicom": {"prot": 104}}, "dicom.prot"),
    ({"modalities": [{"ae_title": "X", "host": "h"}]}, "modalities"),
    ({"query": {"case_insensitive_names": "yes please"}}, "query.case_insensitive_names"),
])
def test_bad_configuration_names_the_key(tmp_path, config, key):
    path = tmp_path / "lightbox.json"
    path.write_text(json.dumps(config))
    cp = serve_once("--config", path, "--data", tmp_path / "data", "--no-demo")
    assert cp.returncode == 2
    assert key in cp.stderr, cp.stderr
    assert len(cp.stderr.strip().splitlines()) <= 2, cp.stderr


def test_unparsable_configuration_and_bad_environment(tmp_path):
    path = tmp_path / "lightbox.json"
    path.write_text("{ not json")
    cp = serve_once("--config", path, "--no-demo")
    assert cp.returncode != 0 and "lightbox.json" in cp.stderr, cp.stderr
    cp = serve_once("--data", tmp_path / "data", "--no-demo", env={"LIGHTBOX_DICOM_PORT": "eleven"})
    assert cp.returncode != 0 and "LIGHTBOX_DICOM_PORT" in cp.stderr, cp.stderr


def test_environment_overrides_file_and_options_override_both(tmp_path):
    path = tmp_path / "lightbox.json"
    path.write_text(json.dumps({"dicom": {"port": 4000, "ae_title": "FROMFILE"}, "storage": {"duplicates": "reject"}}))
    cp = serve_once("--config", path, "--aet", "FROMCLI", "--print-config",
                    env={"LIGHTBOX_DICOM_PORT": "4001", "LIGHTBOX_STORAGE_DUPLICATES": "replace"})
    assert cp.returncode == 0, cp.stderr
    effective = json.loads(cp.stdout)
    assert effective["dicom"]["port"] == 4001
    assert effective["dicom"]["ae_title"] == "FROMCLI"
    assert effective["storage"]["duplicates"] == "replace"
    defaults = json.loads(serve_once("--print-config").stdout)
    assert defaults["data_folder"] == "./lightbox-data"
    assert defaults["dicom"]["port"] == 11112 and defaults["dicom"]["ae_title"] == "LIGHTBOX"
    assert defaults["dicom"]["host"] == "127.0.0.1"


def store(server, *paths):
    return run(["storescu", "-aec", server.aet, HOST, server.port, *paths])


@pytest.mark.parametrize("policy", ["keep", "replace", "reject"])
def test_duplicates_policy(launcher, tmp_path, corpus_dir, policy):
    original = corpus("dicom-test-files/data/pydicom/CT_small.dcm")
    ds = pydicom.dcmread(original)
    ds.StudyDescription = "SECOND COPY"
    second = tmp_path / "second.dcm"
    ds.save_as(second)
    server = launcher.serve(tmp_path / "data", env={"LIGHTBOX_STORAGE_DUPLICATES": policy})
    assert store(server, original).returncode == 0
    cp = store(server, second)
    files = storage_files(server.data)
    assert len(files) == 1
    kept = pydicom.dcmread(files[0], stop_before_pixels=True).get("StudyDescription", "")
    if policy == "reject":
        # The refusal is a failure status (0111, duplicate SOP instance): storescu exits non-zero.
        assert cp.returncode != 0, describe(cp)
        assert kept != "SECOND COPY"
    else:
        assert cp.returncode == 0, describe(cp)
        assert (kept == "SECOND COPY") == (policy == "replace")
    assert server.stop() == 0
    # Nothing half-done either way: every stored file is referenced and intact.
    cp = lightbox("verify", "--data", server.data)
    assert cp.returncode == 0 and "unreferenced" not in cp.stdout + cp.stderr.replace("0 unreferenced", ""), describe(cp)


def test_logs_are_json_lines_without_patient_data(launcher, tmp_path, corpus_dir):
    original = corpus("dicom-test-files/data/pydicom/CT_small.dcm")
    name = str(pydicom.dcmread(original, stop_before_pixels=True).PatientName)
    server = launcher.serve(tmp_path / "data")
    assert store(server, original).returncode == 0
    assert run(["findscu", "-S", "-aec", server.aet, HOST, server.port, "-k", "QueryRetrieveLevel=STUDY",
                "-k", f"PatientName={name}"]).returncode == 0
    assert server.stop() == 0
    lines = server.output().splitlines()
    assert lines
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "component", "message"} <= set(record), line
        assert record["level"] in ("trace", "debug", "info", "notice", "warning", "error", "critical"), line
        if record["level"] in ("info", "notice", "warning", "error"):
            assert name not in line and name.split("^")[0] not in line, line


def test_sigterm_finishes_the_running_association(launcher, tmp_path, corpus_dir):
    """SIGTERM while a sender is mid-transfer: the server stops within seconds with status 0, what it
    acknowledged is in the index on the next start, and no session marker is left behind."""
    server = launcher.serve(tmp_path / "data")
    files = sorted(files_by_sop_instance(corpus(BRAINIX)).values())
    sender = subprocess.Popen(["storescu", "-aec", server.aet, HOST, str(server.port), *map(str, files * 1)],
                              env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(0.2)
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0
    assert time.monotonic() - started < 30
    sender.communicate(timeout=30)
    log = server.output()
    assert '"stopped"' in log, log
    assert not list(server.data.glob("index.sqlite.pid-*"))
    stored = files_by_sop_instance(server.data / "storage")
    restarted = launcher.serve(server.data)
    out = tmp_path / "find"
    out.mkdir()
    cp = run(["findscu", "-S", "-aec", restarted.aet, "-X", "-od", out, HOST, restarted.port,
              "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=", "-k", "NumberOfStudyRelatedInstances="])
    assert cp.returncode == 0, describe(cp)
    total = sum(int(pydicom.dcmread(p).NumberOfStudyRelatedInstances) for p in out.glob("rsp*.dcm"))
    assert total == len(stored)


def test_default_port_and_demo_on_first_start(tmp_path):
    """With no options at all, serve keeps its data in ./lightbox-data and listens on 127.0.0.1:11112 as
    LIGHTBOX; an empty archive gets the demo studies (a small CT volume here, through the configuration)."""
    import socket

    for port in (11112, 8080):
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                pytest.skip(f"something already listens on {port}")
    proc = subprocess.Popen([LIGHTBOX, "serve"], cwd=tmp_path, env={**ENV, "LIGHTBOX_DEMO_CT_SLICES": "20"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            cp = run(["findscu", "-S", "-aec", "LIGHTBOX", "-X", "-od", tmp_path, HOST, 11112,
                      "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=", "-k", "PatientID=",
                      "-k", "NumberOfStudyRelatedInstances="])
            responses = [pydicom.dcmread(p) for p in tmp_path.glob("rsp*.dcm")]
            for p in tmp_path.glob("rsp*.dcm"):
                p.unlink()
            if cp.returncode == 0 and len(responses) >= 4 and (tmp_path / "lightbox-data" / ".initialized").exists() \
                    and not (tmp_path / "lightbox-data" / ".demo-pending").exists():
                break
            time.sleep(0.5)
        assert len({str(r.PatientID) for r in responses}) == 2, describe(cp)
        assert sum(int(r.NumberOfStudyRelatedInstances) for r in responses) >= 20 + 2
        assert (tmp_path / "lightbox-data" / "index.sqlite").exists()
        # The web server is on its default port too, on this machine only.
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:8080/health/ready", timeout=10) as r:
            assert r.status == 200 and b"ready" in r.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_relational_query_only_when_negotiated(small_archive):
    """An IMAGE-level query by SOP Instance UID alone, without the study and series above it: refused (A900) on
    a hierarchical association, answered when relational queries were negotiated (PS3.4 C.4.1.2.2)."""
    from pynetdicom import AE, build_context
    from pynetdicom.pdu_primitives import SOPClassExtendedNegotiation

    find = "1.2.840.10008.5.1.4.1.2.2.1"  # Study Root Query/Retrieve Information Model - FIND
    uid, _ = next(iter(files_by_sop_instance(corpus(BRAINIX)).items()))
    q = pydicom.Dataset()
    q.QueryRetrieveLevel, q.SOPInstanceUID, q.InstanceNumber = "IMAGE", uid, ""

    def ask(relational):
        a = AE(ae_title="RELATIONAL")
        a.requested_contexts = [build_context(find)]
        negotiation = []
        if relational:
            item = SOPClassExtendedNegotiation()
            item.sop_class_uid = find
            item.service_class_application_information = b"\x01"  # relational queries supported
            negotiation = [item]
        assoc = a.associate(HOST, small_archive.port, ae_title=small_archive.aet, ext_neg=negotiation)
        assert assoc.is_established
        responses = list(assoc.send_c_find(q, find))
        assoc.release()
        return [int(s.Status) for s, _ in responses], [str(d.SOPInstanceUID) for s, d in responses if d is not None]

    statuses, _ = ask(relational=False)
    assert statuses == [0xA900]
    statuses, found = ask(relational=True)
    assert statuses == [0xFF00, 0x0000] and found == [uid]


@pytest.mark.parametrize("code,expected", [("IRMCEREB", 1), ("IRM*", 1), ("NOTHING", 0), ("", 2)])
def test_sequence_matching(small_archive, code, expected):
    """Sequence matching (PS3.4 C.2.2.2.6): an item of ProcedureCodeSequence with a Code Value key matches the
    studies with an item that matches; an empty item matches every study and returns the sequence."""
    from pynetdicom import AE

    find = "1.2.840.10008.5.1.4.1.2.2.1"
    q = pydicom.Dataset()
    q.QueryRetrieveLevel, q.StudyInstanceUID = "STUDY", ""
    item = pydicom.Dataset()
    item.CodeValue, item.CodingSchemeDesignator = code, ""
    q.ProcedureCodeSequence = [item]
    a = AE(ae_title="SEQUENCES")
    a.add_requested_context(find)
    assoc = a.associate(HOST, small_archive.port, ae_title=small_archive.aet)
    assert assoc.is_established
    responses = [d for s, d in assoc.send_c_find(q, find) if d is not None]
    assoc.release()
    assert len(responses) == expected
    for r in responses:
        if code:
            assert r.ProcedureCodeSequence[0].CodeValue == "IRMCEREB"
            assert r.ProcedureCodeSequence[0].CodingSchemeDesignator == "XPLORE"
