"""Nothing `lightbox serve` acknowledged is ever lost: four senders at once, the server killed with SIGKILL at random
moments several times; after each restart every instance that got a success status comes back by C-GET with the
same SHA-256, and nothing half-written is visible or left behind. A small filesystem that fills up gives failure
statuses (A700), and what was stored before stays intact."""
import hashlib
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from interop_support import HOST, dataset_bytes, describe, lightbox

CT = "1.2.840.10008.5.1.4.1.1.2"


def make_instances(folder, studies, per_study, size, seed):
    """Distinct CT instances (random pixels, so no two files are alike), `per_study` in each of `studies` studies."""
    import numpy as np

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in range(studies):
        study, series = generate_uid(), generate_uid()
        for i in range(per_study):
            ds = pydicom.Dataset()
            ds.file_meta = FileMetaDataset()
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.file_meta.MediaStorageSOPClassUID = CT
            ds.SOPClassUID = CT
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
            ds.PatientID, ds.PatientName = f"DUR{seed}-{s}", f"Durable^{s}"
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
            ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", 1, i + 1
            ds.Rows = ds.Columns = size
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
            ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
            ds.PixelData = rng.integers(-1000, 3000, (size, size), dtype=np.int16).tobytes()
            path = folder / f"{s:02d}-{i:04d}.dcm"
            ds.save_as(path, enforce_file_format=True)
            paths.append(path)
    return paths


def ae(contexts=True):
    from pynetdicom import AE

    a = AE(ae_title="DURABILITY")
    a.acse_timeout = a.dimse_timeout = a.network_timeout = 20
    if contexts:
        a.add_requested_context(CT, ExplicitVRLittleEndian)
    return a


class Sender(threading.Thread):
    """Sends its files over one association after another (a killed server aborts it) until all are
    acknowledged or it is told to stop; records the SHA-256 of each data set that got a success status."""

    def __init__(self, port, files, acknowledged, statuses):
        super().__init__(daemon=True)
        self.port, self.files, self.acknowledged, self.statuses = port, files, acknowledged, statuses
        self.halt = threading.Event()

    def run(self):
        pending = [f for f in self.files if f not in self.acknowledged]
        while pending and not self.halt.is_set():
            assoc = ae().associate(HOST, self.port, ae_title="LIGHTBOX")
            if not assoc.is_established:
                time.sleep(0.05)
                continue
            try:
                while pending and not self.halt.is_set() and assoc.is_established:
                    path = pending[0]
                    status = assoc.send_c_store(path)
                    if not status or "Status" not in status:
                        break  # aborted mid-transfer: no answer, so no promise
                    self.statuses.append(int(status.Status))
                    if int(status.Status) == 0:
                        self.acknowledged[path] = hashlib.sha256(dataset_bytes(path)).hexdigest()
                    pending.pop(0)
            except Exception:
                pass
            finally:
                if assoc.is_established:
                    assoc.release()


def retrieve_all(port, studies):
    """{SOP Instance UID: SHA-256 of the data set} of every instance of the studies, by C-GET."""
    from pynetdicom import build_role, evt
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelGet

    got = {}

    def on_store(event):
        got[str(event.dataset.SOPInstanceUID)] = hashlib.sha256(event.request.DataSet.getvalue()).hexdigest()
        return 0x0000

    a = ae()
    a.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    assoc = a.associate(HOST, port, ae_title="LIGHTBOX", ext_neg=[build_role(CT, scp_role=True)],
                        evt_handlers=[(evt.EVT_C_STORE, on_store)])
    assert assoc.is_established
    for study in studies:
        q = pydicom.Dataset()
        q.QueryRetrieveLevel, q.StudyInstanceUID = "STUDY", study
        final = None
        for status, _ in assoc.send_c_get(q, StudyRootQueryRetrieveInformationModelGet):
            final = status
        assert final is not None and int(final.Status) == 0, f"C-GET of {study}: {final}"
    assoc.release()
    return got


def part_files(data):
    return [p for p in Path(data).rglob("*") if ".part-" in p.name]


def test_sigkill_loses_nothing_acknowledged(launcher, tmp_path, dcmtk):
    pytest.importorskip("numpy")
    files = make_instances(tmp_path / "files", studies=4, per_study=200, size=256, seed=1)
    studies = sorted({str(pydicom.dcmread(f, stop_before_pixels=True).StudyInstanceUID) for f in files})
    uid_of = {f: str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in files}
    data = tmp_path / "data"
    acknowledged, statuses = {}, []
    rng = random.Random(7)
    port = None
    kills = 0
    for _ in range(6):
        server = launcher.serve(data, port=port)
        port = server.port
        # After a crash: every acknowledged instance is there, byte for byte, and nothing half-written.
        got = retrieve_all(port, studies)
        lost = [uid_of[f] for f in acknowledged if got.get(uid_of[f]) != acknowledged[f]]
        assert not lost, f"after {kills} kills, {len(lost)} acknowledged instances are missing or changed: {lost[:5]}"
        assert set(got) <= set(uid_of.values())
        assert not part_files(data), part_files(data)
        if len(acknowledged) == len(files):
            break
        shares = [files[i::4] for i in range(4)]
        senders = [Sender(port, share, acknowledged, statuses) for share in shares]
        for s in senders:
            s.start()
        time.sleep(rng.uniform(0.2, 1.0))
        os.kill(server.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
        kills += 1
        for s in senders:
            s.halt.set()
        for s in senders:
            s.join(timeout=60)
    assert kills >= 3, f"only {kills} kills: the senders finished too early to test anything"
    assert acknowledged, "nothing was acknowledged between kills"
    assert all(s == 0 for s in statuses), sorted(set(statuses))
    # Let the last round finish, then check the whole archive.
    if not server.alive():
        server = launcher.serve(data, port=port)
    senders = [Sender(port, files[i::4], acknowledged, statuses) for i in range(4)]
    for s in senders:
        s.start()
    for s in senders:
        s.join(timeout=300)
    assert len(acknowledged) == len(files)
    got = retrieve_all(port, studies)
    assert {uid_of[f]: h for f, h in acknowledged.items()} == got
    assert server.stop() == 0
    cp = lightbox("verify", "--data", data)
    assert cp.returncode == 0, describe(cp)
    assert f"checked {len(files)} instances" in cp.stdout, describe(cp)
    assert "unreferenced" not in cp.stdout + cp.stderr, describe(cp)


@pytest.fixture
def small_filesystem(tmp_path):
    """An 8 MB tmpfs, mounted for the test (root needed; skipped, saying why, elsewhere)."""
    mount = tmp_path / "small"
    mount.mkdir()
    cp = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True, text=True)
    if cp.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({cp.stderr.strip()}): the full-disk test needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_full_disk_gives_failure_statuses_and_no_corruption(launcher, tmp_path, small_filesystem):
    pytest.importorskip("numpy")
    files = make_instances(tmp_path / "files", studies=1, per_study=120, size=256, seed=2)  # 120 x 128 KB
    study = str(pydicom.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID)
    data = small_filesystem / "data"
    server = launcher.serve(data)
    statuses = {}
    assoc = ae().associate(HOST, server.port, ae_title="LIGHTBOX")
    assert assoc.is_established
    for f in files:
        status = assoc.send_c_store(f)
        statuses[f] = int(status.Status)
    assoc.release()
    stored = [f for f, s in statuses.items() if s == 0]
    refused = [f for f, s in statuses.items() if s != 0]
    assert stored and refused, sorted(set(statuses.values()))
    assert {s for s in statuses.values() if s != 0} == {0xA700}, sorted(set(statuses.values()))
    # The server lives on, and keeps answering.
    echo = ae(contexts=False)
    echo.add_requested_context("1.2.840.10008.1.1")
    assoc = echo.associate(HOST, server.port, ae_title="LIGHTBOX")
    assert assoc.is_established and int(assoc.send_c_echo().Status) == 0
    assoc.release()
    got = retrieve_all(server.port, [study])
    want = {str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID):
            hashlib.sha256(dataset_bytes(f)).hexdigest() for f in stored}
    assert got == want
    assert not part_files(data)
    assert server.stop() == 0
    cp = lightbox("verify", "--data", data)
    assert cp.returncode == 0, describe(cp)
    assert "unreferenced" not in cp.stdout + cp.stderr, describe(cp)
