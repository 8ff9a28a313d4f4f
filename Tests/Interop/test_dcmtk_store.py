"""DCMTK as the SCU, `lightbox receive` as the SCP: C-ECHO, and C-STORE with storescu and dcmsend in every
transfer syntax, each file proposed in its own syntax. What arrives must be the data set that was sent, byte for
byte (a deflated one compared inflated: DCMTK deflates it again), in the same transfer syntax."""
import shutil

import pydicom
import pytest

from interop_data import BIG, DEFLATED, EXPLICIT, IMPLICIT, STORE_CASES, store_case_id
from interop_support import HOST, comparable_dataset, corpus, dataset_bytes, describe, run, same_values, \
    split_file, transfer_syntax


NATIVE = (IMPLICIT, EXPLICIT, BIG, DEFLATED)


@pytest.fixture(scope="module")
def receiver(module_launcher, tmp_path_factory, dcmtk):
    return module_launcher.receive(tmp_path_factory.mktemp("received"))


def assert_received_like(original, received, label, converted_ok=False):
    """The received file holds the sent data set, byte for byte when in the same transfer syntax. With
    `converted_ok`, the sender may have converted a native data set to another native syntax (dcmsend proposes
    explicit VR little endian first), and the data sets are compared element by element."""
    assert received.is_file(), f"{label}: {received.name} was not written"
    ts = transfer_syntax(original)
    if converted_ok and transfer_syntax(received) != ts and ts in NATIVE:
        assert transfer_syntax(received) in NATIVE
        difference = same_values(received, original)
        assert difference is None, f"{label}: the data set differs: {difference}"
        return
    assert transfer_syntax(received) == ts, f"{label}: stored in another transfer syntax"
    meta = pydicom.dcmread(received, stop_before_pixels=True).file_meta
    source = pydicom.dcmread(original, stop_before_pixels=True)
    assert meta.MediaStorageSOPClassUID == source.SOPClassUID
    assert meta.MediaStorageSOPInstanceUID == source.SOPInstanceUID
    if ts == DEFLATED:
        assert comparable_dataset(received) == comparable_dataset(original), f"{label}: inflated data set differs"
    else:
        sent, got = dataset_bytes(original), dataset_bytes(received)
        assert got == sent, f"{label}: data set differs ({len(got)} bytes received, {len(sent)} sent)"


def test_echoscu(receiver):
    cp = run(["echoscu", "-aec", receiver.aet, HOST, receiver.port])
    assert cp.returncode == 0, describe(cp)


def test_echoscu_wrong_called_ae_is_rejected(receiver):
    cp = run(["echoscu", "-aec", "NOT-LIGHTBOX", HOST, receiver.port])
    assert cp.returncode != 0, describe(cp)
    assert "Called AE Title Not Recognized" in cp.stdout + cp.stderr, describe(cp)


@pytest.mark.parametrize("case", STORE_CASES, ids=store_case_id)
def test_storescu(receiver, corpus_dir, case):
    ts, option, path = case
    original = corpus(path)
    cp = run(["storescu", option, "-aec", receiver.aet, HOST, receiver.port, original])
    assert cp.returncode == 0, describe(cp)
    uid = pydicom.dcmread(original, stop_before_pixels=True).SOPInstanceUID
    assert_received_like(original, receiver.out / f"{uid}.dcm", path)


def test_dcmsend_folder(launcher, tmp_path, dcmtk, corpus_dir):
    """dcmsend over a folder tree (+sd +r): compressed files go in their own transfer syntax, native ones as
    dcmsend prefers (it proposes explicit VR little endian first and converts)."""
    folder = tmp_path / "to-send"
    for i, (_, _, path) in enumerate(STORE_CASES):
        sub = folder / f"d{i % 3}"
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus(path), sub / f"f{i:02d}.dcm")
    receiver = launcher.receive(tmp_path / "received")
    cp = run(["dcmsend", "-aec", receiver.aet, "+sd", "+r", "-dn", HOST, receiver.port, folder])
    assert cp.returncode == 0, describe(cp)
    written = sorted(p.name for p in receiver.out.iterdir())
    assert len(written) == len(STORE_CASES), written
    for _, _, path in STORE_CASES:
        original = corpus(path)
        uid = pydicom.dcmread(original, stop_before_pixels=True).SOPInstanceUID
        assert_received_like(original, receiver.out / f"{uid}.dcm", path, converted_ok=True)


def test_storescu_small_pdus(launcher, tmp_path, dcmtk, corpus_dir):
    """A 500 kB file in 4 kB PDUs (over a hundred P-DATA-TF, the pixel data split across them) arrives whole."""
    original = corpus("dicom-test-files/data/pydicom/MR-SIEMENS-DICOM-WithOverlays.dcm")
    receiver = launcher.receive(tmp_path / "received")
    cp = run(["storescu", "-xe", "--max-send-pdu", "4096", "-aec", receiver.aet, HOST, receiver.port, original])
    assert cp.returncode == 0, describe(cp)
    uid = pydicom.dcmread(original, stop_before_pixels=True).SOPInstanceUID
    assert_received_like(original, receiver.out / f"{uid}.dcm", original.name)


def test_received_file_meta_is_well_formed(receiver, corpus_dir):
    """What receive writes is a Part 10 file DCMTK reads cleanly, its meta group length exact."""
    files = sorted(receiver.out.glob("*.dcm"))
    assert files, "nothing was received (run with the storescu tests)"
    for f in files:
        meta, _ = split_file(f)
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        assert ds.file_meta.FileMetaInformationVersion == b"\x00\x01"
        assert ds.file_meta.ImplementationClassUID
        cp = run(["dcmdump", "-q", "+E", f])
        assert cp.returncode == 0 and not cp.stderr.strip(), describe(cp)


def test_concurrent_storescu(launcher, tmp_path, dcmtk, corpus_dir):
    """Fifteen storescu at once, one file each in its own syntax: every instance is stored, unchanged."""
    import subprocess

    from interop_support import ENV

    receiver = launcher.receive(tmp_path / "received")
    procs = [subprocess.Popen(["storescu", option, "-aec", receiver.aet, HOST, str(receiver.port), str(corpus(path))],
                              env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _, option, path in STORE_CASES]
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0, out
    for _, _, path in STORE_CASES:
        original = corpus(path)
        uid = pydicom.dcmread(original, stop_before_pixels=True).SOPInstanceUID
        assert_received_like(original, receiver.out / f"{uid}.dcm", path)


def test_allowed_callers(launcher, tmp_path, dcmtk):
    """--allow: the listed calling AE title is served, another is rejected (calling AE title not recognized)."""
    receiver = launcher.receive(tmp_path / "received", "--allow", "MODALITY1")
    cp = run(["echoscu", "-aet", "MODALITY1", "-aec", receiver.aet, HOST, receiver.port])
    assert cp.returncode == 0, describe(cp)
    cp = run(["echoscu", "-aet", "INTRUDER", "-aec", receiver.aet, HOST, receiver.port])
    assert cp.returncode != 0, describe(cp)
    assert "Calling AE Title Not Recognized" in cp.stdout + cp.stderr, describe(cp)
    cp = run(["echoscu", "-aet", "MODALITY1", "-aec", receiver.aet, HOST, receiver.port])
    assert cp.returncode == 0, describe(cp)


def test_association_limit(launcher, tmp_path, dcmtk):
    """--max-associations 2: with two associations open, a third is rejected as transient (local limit
    exceeded); once one is released, the next is served."""
    import socket
    import struct

    from interop_support import A_ASSOCIATE_AC, A_ASSOCIATE_RJ, A_RELEASE_RP, A_RELEASE_RQ, associate_rq, pdu, \
        read_pdu

    receiver = launcher.receive(tmp_path / "received", "--max-associations", "2")
    held = []
    for _ in range(2):
        s = socket.create_connection((HOST, receiver.port), timeout=10)
        s.sendall(associate_rq(called=receiver.aet))
        assert read_pdu(s)[0] == A_ASSOCIATE_AC
        held.append(s)
    third = socket.create_connection((HOST, receiver.port), timeout=10)
    third.sendall(associate_rq(called=receiver.aet))
    kind, body = read_pdu(third)
    third.close()
    assert kind == A_ASSOCIATE_RJ
    assert struct.unpack("BBB", body[1:4]) == (2, 3, 2)  # rejected-transient, ACSE-related provider, local limit
    held[0].sendall(pdu(A_RELEASE_RQ, bytes(4)))
    assert read_pdu(held[0])[0] == A_RELEASE_RP
    held[0].close()
    cp = run(["echoscu", "-aec", receiver.aet, HOST, receiver.port])
    assert cp.returncode == 0, describe(cp)
    held[1].close()


def test_sigterm_stops_cleanly(launcher, tmp_path, dcmtk):
    receiver = launcher.receive(tmp_path / "received")
    cp = run(["echoscu", "-aec", receiver.aet, HOST, receiver.port])
    assert cp.returncode == 0, describe(cp)
    assert receiver.stop(timeout=15) == 0, receiver.output()
    assert "1 associations served" in receiver.output(), receiver.output()
