"""DICOMweb (PS3.18) of `lightbox serve`, through dicomweb-client (as viewers and tools use it) and raw HTTP: the
corpus goes in through STOW-RS and comes back byte-identical through WADO-RS and WADO-URI; the C-FIND matching
cases give the same answers through QIDO-RS; metadata, frames, bulk data and rendered images match what pydicom
reads from the files; bad requests get a 4xx with a reason and change nothing."""
import base64
import csv
import http.client
import io
import json
import os
import socket
import subprocess
import uuid

import pydicom
import pytest

from interop_data import QUERY_FILES_PRESENT, QUERY_FILES_SENT, UNIQUE, Model, expand, text
from interop_support import CORPUS, HOST, LIGHTBOX, corpus, describe, sop_instance_uid

ADMIN = ("root", "root-password")
PRESENT = expand(QUERY_FILES_PRESENT)
SENT = expand(QUERY_FILES_SENT)


def add_user(data, name, role):
    cp = subprocess.run([LIGHTBOX, "users", "add", name, "--role", role, "--data", data], input=f"{name}-password\n",
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, describe(cp)


def auth_header(user=ADMIN):
    return {"Authorization": "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()}


def request(server, method, path, headers=None, body=None, user=ADMIN):
    conn = http.client.HTTPConnection(HOST, server.http_port, timeout=60)
    h = dict(auth_header(user) if user else {})
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r, data


def multipart(parts, boundary=None):
    """A multipart/related body of (content type, bytes, extra headers) parts."""
    boundary = boundary or uuid.uuid4().hex
    body = b""
    for ctype, data, *extra in parts:
        head = f"--{boundary}\r\nContent-Type: {ctype}\r\n"
        for k, v in (extra[0] if extra else {}).items():
            head += f"{k}: {v}\r\n"
        body += head.encode() + b"\r\n" + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), boundary


def split_multipart(content_type, body):
    """The parts of a multipart response: (headers dict, bytes)."""
    boundary = next(p.split("=", 1)[1].strip('"') for p in content_type.split(";") if p.strip().startswith("boundary="))
    delimiter = b"--" + boundary.encode()
    assert body.startswith(delimiter), body[:100]
    chunks = body.split(b"\r\n" + delimiter)
    parts = []
    first = chunks[0][len(delimiter):]
    for chunk in [first] + chunks[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        parts.append((headers, data))
    return parts


def stow(server, paths, study=None, user=ADMIN):
    body, boundary = multipart([("application/dicom", open(p, "rb").read()) for p in paths])
    r, data = request(server, "POST", "/dicom-web/studies" + (f"/{study}" if study else ""), body=body, user=user,
                      headers={"Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
                               "Accept": "application/dicom+json"})
    return r, json.loads(data) if data else None


def client(server, user=ADMIN):
    from dicomweb_client.api import DICOMwebClient
    import requests
    session = requests.Session()
    session.auth = user
    return DICOMwebClient(f"http://{HOST}:{server.http_port}/dicom-web", session=session)


def statistics(server):
    r, data = request(server, "GET", "/api/statistics")
    assert r.status == 200
    return json.loads(data)


# ---------------------------------------------------------------------------------------------------------------
# The whole corpus through STOW-RS and back


def uid_of(path):
    """The SOP Instance UID, when the file has the four UIDs an archive files it by (else None)."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    keys = ("SOPInstanceUID", "SOPClassUID", "StudyInstanceUID", "SeriesInstanceUID")
    if not all(str(ds.get(k, "") or "") for k in keys):
        return None
    # File meta naming another instance than the data set: left out (whether it is refused depends on whether
    # the instance it names is stored already, as with C-STORE).
    return str(ds.SOPInstanceUID) if ds.file_meta.get("MediaStorageSOPInstanceUID") == ds.SOPInstanceUID else ""


def corpus_files():
    """Every corpus file with Part 10 file meta information (STOW-RS's application/dicom is a Part 10 file), the
    first of each SOP Instance UID (suites share some files); and those an archive cannot file (no UIDs, or
    file meta naming another instance), which STOW-RS must refuse."""
    seen, out, unfit = set(), [], []
    with open(CORPUS / "MANIFEST.csv") as f:
        for row in csv.DictReader(f):
            if row["has_preamble_DICM"] != "1" or row["has_file_meta"] != "1" or row["pydicom_read"] != "ok":
                continue
            path = CORPUS / row["path"]
            uid = uid_of(path)
            if uid is None:
                unfit.append(path)
            elif uid and uid not in seen:
                seen.add(uid)
                out.append(path)
    return out, unfit


@pytest.fixture(scope="module")
def corpus_server(module_launcher, tmp_path_factory, corpus_dir):
    data = tmp_path_factory.mktemp("dicomweb-corpus") / "data"
    server = module_launcher.serve(data)
    add_user(data, "root", "admin")
    files, unfit = corpus_files()
    stored = {}
    for i in range(0, len(files), 25):
        batch = files[i:i + 25]
        r, result = stow(server, batch)
        failed = result.get("00081198", {}).get("Value", [])
        assert r.status in (200, 202), (r.status, r.getheader("Warning"))
        for item in result.get("00081199", {}).get("Value", []):
            stored[item["00081155"]["Value"][0]] = item["00081190"]["Value"][0]
        for item in failed:
            uid = item.get("00081155", {}).get("Value", ["?"])[0]
            pytest.fail(f"STOW-RS refused {uid}: {r.getheader('Warning')}")
    server.files = {uid_of(p): p for p in files}
    server.urls = stored
    server.unfit = unfit
    return server


def test_stow_stores_the_whole_corpus(corpus_server):
    assert set(corpus_server.urls) == set(corpus_server.files)
    assert statistics(corpus_server)["instances"] == len(corpus_server.files)


def test_stow_refuses_files_an_archive_cannot_file(corpus_server):
    for path in corpus_server.unfit:
        r, result = stow(corpus_server, [path])
        assert r.status == 409, path
        assert result["00081198"]["Value"][0]["00081197"]["Value"][0] in (0xA900, 0xC000), path
        assert r.getheader("Warning"), path
    assert statistics(corpus_server)["instances"] == len(corpus_server.files)


def test_wado_rs_returns_every_file_byte_identical(corpus_server):
    """As stored (transfer-syntax=*), each instance comes back exactly as it was sent, file meta included."""
    for uid, url in corpus_server.urls.items():
        path = url.split(f":{corpus_server.http_port}", 1)[1]
        r, body = request(corpus_server, "GET", path,
                          headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'})
        assert r.status == 200, (uid, body[:200])
        parts = split_multipart(r.getheader("Content-Type"), body)
        assert len(parts) == 1
        assert parts[0][1] == open(corpus_server.files[uid], "rb").read(), corpus_server.files[uid]


def test_wado_rs_study_retrieval_through_dicomweb_client(corpus_server):
    c = client(corpus_server)
    some = next(iter(corpus_server.files.values()))
    ds = pydicom.dcmread(some)
    got = c.retrieve_study(str(ds.StudyInstanceUID))
    want = {sop_instance_uid(p) for p in corpus_server.files.values()
            if str(pydicom.dcmread(p, stop_before_pixels=True).StudyInstanceUID) == str(ds.StudyInstanceUID)}
    assert {str(d.SOPInstanceUID) for d in got} == want
    series = c.retrieve_series(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID))
    assert str(ds.SOPInstanceUID) in {str(d.SOPInstanceUID) for d in series}


def test_wado_uri_returns_the_file(corpus_server):
    uid, path = next(iter(corpus_server.files.items()))
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    r, body = request(corpus_server, "GET", f"/wado?requestType=WADO&studyUID={ds.StudyInstanceUID}"
                      f"&seriesUID={ds.SeriesInstanceUID}&objectUID={uid}&contentType=application/dicom")
    assert r.status == 200 and r.getheader("Content-Type").startswith("application/dicom")
    assert body == open(path, "rb").read()


def decodable(path):
    with open(CORPUS / "MANIFEST.csv") as f:
        for row in csv.DictReader(f):
            if CORPUS / row["path"] == path:
                return row["pydicom_pixels"].startswith("ok")
    return False


def test_default_transfer_syntax_is_explicit_little_endian(corpus_server):
    """Without transfer-syntax, PS3.18 says Explicit VR Little Endian: a compressed instance comes back decoded,
    its pixels those pydicom decodes from the original."""
    import numpy as np
    picks = [p for p in corpus_server.files.values()
             if pydicom.dcmread(p, stop_before_pixels=True).file_meta.TransferSyntaxUID in
             ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.5") and decodable(p)][:3]
    assert picks
    c = client(corpus_server)
    for p in picks:
        original = pydicom.dcmread(p)
        got = c.retrieve_instance(str(original.StudyInstanceUID), str(original.SeriesInstanceUID),
                                  str(original.SOPInstanceUID), media_types=(("application/dicom", "1.2.840.10008.1.2.1"),))
        assert got.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
        assert np.array_equal(got.pixel_array, original.pixel_array), p


def test_stow_through_dicomweb_client_and_to_a_study(corpus_server, tmp_path):
    """dicomweb-client's store_instances (it re-encodes the data sets), to /studies/{uid}; an instance of
    another study sent there is refused with A900 and not stored."""
    c = client(corpus_server)
    ds = pydicom.dcmread(corpus(PRESENT[0]))
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    result = c.store_instances([ds], study_instance_uid=str(ds.StudyInstanceUID))
    assert result.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == ds.SOPInstanceUID
    other = pydicom.dcmread(corpus(PRESENT[0]))
    other.SOPInstanceUID = pydicom.uid.generate_uid()
    other.file_meta.MediaStorageSOPInstanceUID = other.SOPInstanceUID
    path = tmp_path / "other.dcm"
    other.save_as(path, enforce_file_format=True)
    before = statistics(corpus_server)["instances"]
    r, result = stow(corpus_server, [path], study="1.2.3.4.5")
    assert r.status == 409
    assert result["00081198"]["Value"][0]["00081197"]["Value"] == [0xA900]
    assert "belongs to study" in r.getheader("Warning")
    assert statistics(corpus_server)["instances"] == before


def test_stow_json_metadata_with_bulk_data(corpus_server):
    """application/dicom+json with the pixel data as a bulk data part: stored, and its pixels come back."""
    source = next(ds for ds in (pydicom.dcmread(corpus(p)) for p in PRESENT)
                  if "PixelData" in ds and ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1")
    source.SOPInstanceUID = pydicom.uid.generate_uid()
    meta = source.to_json_dict(bulk_data_threshold=1024, bulk_data_element_handler=lambda e: "pixels")
    assert meta["7FE00010"] == {"vr": source["PixelData"].VR, "BulkDataURI": "pixels"}
    pixels = source.PixelData
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Type: application/dicom+json\r\n\r\n".encode() + json.dumps([meta]).encode()
            + f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Location: pixels\r\n\r\n".encode()
            + pixels + f"\r\n--{boundary}--\r\n".encode())
    r, data = request(corpus_server, "POST", "/dicom-web/studies", body=body,
                      headers={"Content-Type": f'multipart/related; type="application/dicom+json"; boundary={boundary}'})
    assert r.status == 200, (data, r.getheader("Warning"))
    got = client(corpus_server).retrieve_instance(str(source.StudyInstanceUID), str(source.SeriesInstanceUID),
                                                  str(source.SOPInstanceUID))
    assert got.PixelData == source.PixelData and got.PatientName == source.PatientName


# ---------------------------------------------------------------------------------------------------------------
# Metadata, frames, bulk data, rendered


def test_series_metadata_matches_the_files(corpus_server):
    c = client(corpus_server)
    path = corpus("orthanc-tests/Database/Brainix/Epi/IM-0001-0001.dcm") if (CORPUS / "orthanc-tests/Database/Brainix/Epi/IM-0001-0001.dcm").exists() \
        else next(iter(corpus_server.files.values()))
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    metadata = c.retrieve_series_metadata(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID))
    in_series = {uid: p for uid, p in corpus_server.files.items()
                 if str(pydicom.dcmread(p, stop_before_pixels=True).SeriesInstanceUID) == str(ds.SeriesInstanceUID)}
    assert {m["00080018"]["Value"][0] for m in metadata} == set(in_series)
    for m in metadata:
        f = pydicom.dcmread(in_series[m["00080018"]["Value"][0]], stop_before_pixels=True)
        got = pydicom.Dataset.from_json(m, bulk_data_uri_handler=lambda *a: b"")
        for keyword in ("PatientID", "StudyDate", "SeriesNumber", "InstanceNumber", "Rows", "Columns", "ImagePositionPatient"):
            if keyword in f:
                assert got.get(keyword) == f.get(keyword), keyword
        assert "BulkDataURI" in m["7FE00010"]


def frame_files(corpus_server):
    """A native multi-frame file and a JPEG 2000 file, for frame retrieval."""
    native = jp2 = None
    for p in corpus_server.files.values():
        ds = pydicom.dcmread(p, stop_before_pixels=True)
        ts = ds.file_meta.TransferSyntaxUID
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        if native is None and ts == "1.2.840.10008.1.2.1" and frames > 2 and ds.get("BitsAllocated") in (8, 16) \
                and ds.get("SamplesPerPixel", 1) == 1:
            native = p
        if jp2 is None and ts == "1.2.840.10008.1.2.4.90" and decodable(p):
            jp2 = p
    return native, jp2


def test_frames_native_and_as_stored(corpus_server):
    import numpy as np
    from pydicom.encaps import generate_frames
    native, jp2 = frame_files(corpus_server)
    c = client(corpus_server)
    ds = pydicom.dcmread(native)
    frames = c.retrieve_instance_frames(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID),
                                        frame_numbers=[1, 3], media_types=(("application/octet-stream", "*"),))
    size = ds.Rows * ds.Columns * ds.BitsAllocated // 8
    assert frames == [ds.PixelData[0:size], ds.PixelData[2 * size:3 * size]]
    ds = pydicom.dcmread(jp2)
    uids = (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
    as_stored = c.retrieve_instance_frames(*uids, frame_numbers=[1], media_types=(("image/jp2", "1.2.840.10008.1.2.4.90"),))
    assert as_stored[0] == next(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)))
    decoded = c.retrieve_instance_frames(*uids, frame_numbers=[1], media_types=(("application/octet-stream", "*"),))
    assert decoded[0] == ds.pixel_array.astype(ds.pixel_array.dtype.newbyteorder("<")).tobytes()
    # A frame beyond the last is 404; a malformed list 400.
    base = f"/dicom-web/studies/{uids[0]}/series/{uids[1]}/instances/{uids[2]}/frames"
    assert request(corpus_server, "GET", base + "/99")[0].status == 404
    assert request(corpus_server, "GET", base + "/1,x")[0].status == 400
    assert request(corpus_server, "GET", base + "/0")[0].status == 400
    # Pixel data by its BulkDataURI: the frames as stored.
    r, body = request(corpus_server, "GET", base.replace("/frames", "/bulkdata/7FE00010"))
    assert r.status == 200 and split_multipart(r.getheader("Content-Type"), body)[0][1].startswith(as_stored[0][:64])


def test_rendered_and_thumbnail(corpus_server):
    from PIL import Image
    _, jp2 = frame_files(corpus_server)
    ds = pydicom.dcmread(jp2, stop_before_pixels=True)
    c = client(corpus_server)
    uids = (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
    png = c.retrieve_instance_rendered(*uids, media_types=("image/png",), params={"window": "40,400,linear"})
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size == (ds.Columns, ds.Rows)
    jpeg = c.retrieve_instance_rendered(*uids, media_types=("image/jpeg",), params={"viewport": "64,64", "quality": "80"})
    img = Image.open(io.BytesIO(jpeg))
    assert img.format == "JPEG" and max(img.size) == 64
    # A viewport region (PS3.18 §8.3.5.1.3) at its own size is exactly that part of the whole rendering; a
    # negative width mirrors it.
    full = Image.open(io.BytesIO(png)).convert("L")
    sx, sy, sw, sh = 10, 20, ds.Columns // 2, ds.Rows // 3
    part = c.retrieve_instance_rendered(*uids, media_types=("image/png",),
                                        params={"window": "40,400,linear", "viewport": f"{sw},{sh},{sx},{sy},{sw},{sh}"})
    part = Image.open(io.BytesIO(part)).convert("L")
    assert part.size == (sw, sh) and part.tobytes() == full.crop((sx, sy, sx + sw, sy + sh)).tobytes()
    mirrored = c.retrieve_instance_rendered(*uids, media_types=("image/png",),
                                            params={"window": "40,400,linear", "viewport": f"{sw},{sh},{sx + sw - 1},{sy},{-sw},{sh}"})
    mirrored = Image.open(io.BytesIO(mirrored)).convert("L")
    assert mirrored.tobytes() == part.transpose(Image.FLIP_LEFT_RIGHT).tobytes()
    base = f"/dicom-web/studies/{uids[0]}/series/{uids[1]}"
    r, body = request(corpus_server, "GET", base + "/thumbnail", headers={"Accept": "image/jpeg"})
    assert r.status == 200 and Image.open(io.BytesIO(body)).format == "JPEG"
    assert max(Image.open(io.BytesIO(body)).size) <= 128
    r, body = request(corpus_server, "GET", f"/wado?requestType=WADO&studyUID={uids[0]}&seriesUID={uids[1]}"
                      f"&objectUID={uids[2]}&rows=100&columns=100")
    assert r.status == 200 and Image.open(io.BytesIO(body)).format == "JPEG"
    for bad in ("window=40", "window=40,0", "viewport=0,10", "viewport=10,10,1,1,0,5", "viewport=10,10,99999,99999,5,5",
                "viewport=10,10,1", "quality=101", "colour=red"):
        r, body = request(corpus_server, "GET", base + f"/instances/{uids[2]}/rendered?{bad}")
        assert r.status == 400 and json.loads(body)["error"], bad


# ---------------------------------------------------------------------------------------------------------------
# QIDO-RS: the C-FIND cases


@pytest.fixture(scope="module")
def query_server(module_launcher, tmp_path_factory, corpus_dir):
    data = tmp_path_factory.mktemp("dicomweb-query") / "data"
    server = module_launcher.serve(data, env={"LIGHTBOX_QUERY_CASE_INSENSITIVE_NAMES": "false"})
    add_user(data, "root", "admin")
    files = [corpus(p) for p in PRESENT + SENT]
    for i in range(0, len(files), 40):
        r, _ = stow(server, files[i:i + 40])
        assert r.status == 200, r.getheader("Warning")
    return server


@pytest.fixture(scope="module")
def model(corpus_dir):
    return Model(PRESENT + SENT)


def qido_params():
    from interop_support import CORPUS as C
    if not C.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{C} is absent"))]
    from test_dcmtk_query_retrieve import cases
    out = []
    for case in cases(Model(PRESENT + SENT)):
        name, level, models, scope, keys, size = case
        # QIDO has no patient level, and its query strings are UTF-8: the Latin-1 byte cases do not apply.
        if level == "PATIENT" or keys.get("SpecificCharacterSet") == "ISO_IR 100":
            continue
        out.append(pytest.param(case, id=name))
    return out


@pytest.mark.parametrize("case", qido_params())
def test_qido_answers_as_c_find(query_server, model, case):
    from test_dcmtk_query_retrieve import scoped
    name, level, _, scope, keys, size = case
    keys = {k: v for k, v in keys.items() if k != "SpecificCharacterSet"}
    scope_keys = scoped(model, level, **scope)
    expected = model.find(level, {**scope_keys, **keys})
    assert len(expected) == size
    # The study and series of the scope go in the path (nested resources); the patient as a match key.
    path = "/dicom-web"
    params = []
    if "StudyInstanceUID" in scope_keys and level in ("SERIES", "IMAGE"):
        path += f"/studies/{scope_keys.pop('StudyInstanceUID')}"
    if "SeriesInstanceUID" in scope_keys and level == "IMAGE":
        path += f"/series/{scope_keys.pop('SeriesInstanceUID')}"
    path += {"STUDY": "/studies", "SERIES": "/series", "IMAGE": "/instances"}[level]
    for k, v in {**scope_keys, **keys}.items():
        if v == "":
            params.append(("includefield", k))
        else:
            params.append((k, v.replace("\\", ",") if k.endswith("UID") else v))
    from urllib.parse import urlencode
    r, body = request(query_server, "GET", path + ("?" + urlencode(params) if params else ""))
    assert r.status == 200, body
    matches = json.loads(body)
    tag = pydicom.datadict.tag_for_keyword(UNIQUE[level])
    found = [m[f"{tag:08X}"]["Value"][0] for m in matches]
    assert len(found) == len(set(found))
    assert set(found) == expected
    for m in matches:
        ds = pydicom.Dataset.from_json(m)
        entity = model.with_computed(level, str(ds[UNIQUE[level]].value))
        for k in keys:
            assert k in ds, f"{k} missing"
            if k.startswith("NumberOf"):
                continue
            assert (text(ds, k) or "") == (text(entity, k) or ""), k


def test_qido_through_dicomweb_client_paging_and_fuzzy(query_server, model):
    c = client(query_server)
    everything = c.search_for_studies()
    assert len(everything) == len(model.groups["STUDY"])
    paged = c.search_for_studies(limit=2) + c.search_for_studies(limit=2, offset=2) + c.search_for_studies(offset=4)
    assert sorted(s["0020000D"]["Value"][0] for s in paged) == sorted(s["0020000D"]["Value"][0] for s in everything)
    assert c.search_for_studies(search_filters={"PatientName": "doe*"}) == []
    fuzzy = c.search_for_studies(search_filters={"PatientName": "doe*"}, fuzzymatching=True)
    names = [pydicom.Dataset.from_json(s).PatientName for s in fuzzy]
    assert len(fuzzy) >= len(model.find("STUDY", {"PatientName": "Doe*"})) == 5
    assert all(str(n).lower().startswith("doe") for n in names), names
    full = c.search_for_instances(search_filters={"PatientID": "12345678"}, fields=["all"], limit=1)
    uid = full[0]["00080018"]["Value"][0]
    f = pydicom.dcmread(next(corpus(p) for p in PRESENT if sop_instance_uid(corpus(p)) == uid), stop_before_pixels=True)
    assert {f"{e.tag:08X}" for e in f if e.tag.element != 0} <= set(full[0])


def test_qido_cut_at_the_maximum_has_a_warning(module_launcher, tmp_path):
    data = tmp_path / "data"
    server = module_launcher.serve(data, env={"LIGHTBOX_DICOMWEB_MAX_RESULTS": "3"})
    add_user(data, "root", "admin")
    r, _ = stow(server, [corpus(p) for p in PRESENT])
    assert r.status == 200
    r, body = request(server, "GET", "/dicom-web/studies")
    assert r.status == 200 and len(json.loads(body)) == 3
    assert r.getheader("Warning", "").startswith("299 ")
    r, body = request(server, "GET", "/dicom-web/studies?limit=2")
    assert len(json.loads(body)) == 2 and r.getheader("Warning") is None


# ---------------------------------------------------------------------------------------------------------------
# Bad requests: 4xx with a reason, nothing changed


def test_bad_requests_get_a_reason_and_change_nothing(query_server):
    before = statistics(query_server)
    one = open(corpus(PRESENT[0]), "rb").read()
    good_body, boundary = multipart([("application/dicom", one)])
    cases = [
        # (method, path, headers, body, expected status)
        ("GET", "/dicom-web/studies?PatientNam=x", {}, None, 400),
        ("GET", "/dicom-web/studies?limit=-1", {}, None, 400),
        ("GET", "/dicom-web/studies?fuzzymatching=maybe", {}, None, 400),
        ("GET", "/dicom-web/studies/1.2.abc/series", {}, None, 400),
        ("GET", "/dicom-web/studies/1.2..3", {}, None, 400),
        ("GET", "/dicom-web/studies/1.2.3", {}, None, 404),
        ("GET", "/dicom-web/studies/..%2F..%2Fetc/metadata", {}, None, (400, 404)),
        ("GET", "/dicom-web/studies", {"Accept": "application/dicom+xml"}, None, 406),
        ("POST", "/dicom-web/studies", {"Content-Type": "application/dicom"}, one, 415),
        ("POST", "/dicom-web/studies", {"Content-Type": "multipart/related; type=\"application/dicom\""}, good_body, 400),
        ("POST", "/dicom-web/studies", {"Content-Type": "multipart/related; type=\"application/dicom\"; boundary=wrong"},
         good_body, 400),
        ("POST", "/dicom-web/studies", {"Content-Type": f"multipart/related; type=\"application/dicom\"; boundary={boundary}"},
         good_body[:len(good_body) // 2], 400),
        ("POST", "/dicom-web/studies", {"Content-Type": f"multipart/related; type=\"application/dicom\"; boundary={boundary}"},
         f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\nnot dicom at all\r\n--{boundary}--\r\n".encode(), 409),
        ("POST", "/dicom-web/studies", {"Content-Type": f"multipart/related; type=\"application/dicom\"; boundary={boundary}",
                                        "Content-Encoding": "gzip"}, gzip_bomb(), 415),
        ("POST", "/dicom-web/studies/not-a-uid", {"Content-Type": f"multipart/related; type=\"application/dicom\"; boundary={boundary}"},
         good_body, 400),
        ("GET", "/wado?requestType=WADO&studyUID=1.2&seriesUID=1.2", {}, None, 400),
        ("GET", "/wado?requestType=WADO&studyUID=1.2&seriesUID=1.2&objectUID=../x", {}, None, 400),
        ("GET", "/wado?requestType=WADO&studyUID=1.2&seriesUID=1.3&objectUID=1.4&bogus=1", {}, None, 400),
    ]
    for method, path, headers, body, status in cases:
        r, data = request(query_server, method, path, headers=headers, body=body)
        assert r.status in (status if isinstance(status, tuple) else (status,)), (method, path, r.status, data[:300])
        if status != 409:
            assert json.loads(data)["error"], (path, data)
    assert statistics(query_server) == before


def gzip_bomb():
    import gzip
    return gzip.compress(b"\0" * (64 << 20))


def test_a_four_gigabyte_content_length_is_refused_without_waiting(query_server):
    """A body announced as 4 GiB that never comes: the server answers once the client stops sending, and keeps
    nothing."""
    before = statistics(query_server)
    with socket.create_connection((HOST, query_server.http_port), timeout=30) as s:
        head = (f"POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nAuthorization: {auth_header()['Authorization']}\r\n"
                "Content-Type: multipart/related; type=\"application/dicom\"; boundary=b\r\n"
                f"Content-Length: {4 << 30}\r\n\r\n--b\r\nContent-Type: application/dicom\r\n\r\n")
        s.sendall(head.encode() + b"\0" * 1000)
        s.shutdown(socket.SHUT_WR)
        reply = s.recv(4096)
    assert reply.split(b"\r\n")[0].split(b" ")[1] in (b"400", b"409", b"413"), reply[:200]
    assert statistics(query_server) == before
