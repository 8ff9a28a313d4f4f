"""The administration API of `lightbox serve` (/api) and the web server around it, against real peers: listings
agree with C-FIND; remote nodes are tested with C-ECHO (DCMTK's storescp) and a QIDO-RS search; a study sent to
storescp arrives byte for byte, one sent over STOW-RS reaches Orthanc (with its DICOMweb plugin) and another
Lightbox over HTTPS; a node added through the API is a C-MOVE destination; deletion removes index rows and files
and nothing else; HTTPS (TLS 1.2+ only), CORS, gzip, body limits and Prometheus metrics through curl and
requests."""
import base64
import gzip
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pydicom
import pytest

from interop_support import HOST, LIGHTBOX, describe, files_by_sop_instance, free_port, run, wait_for_port

ADMIN = ("root", "root-password")


def add_user(data, name, role, password=None):
    cp = subprocess.run([LIGHTBOX, "users", "add", name, "--role", role, "--data", data],
                        input=(password or f"{name}-password") + "\n", capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, describe(cp)


def basic(user=ADMIN):
    return "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


def call(server, method, path, body=None, headers=None, user=ADMIN, port=None):
    conn = http.client.HTTPConnection(HOST, port or server.http_port, timeout=120)
    h = {"Authorization": basic(user)} if user else {}
    h.update(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    try:
        return r, json.loads(data) if data else None
    except ValueError:
        return r, data


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """The demo studies with a 12-slice CT: two patients, four studies, five series."""
    out = tmp_path_factory.mktemp("demo")
    cp = run([LIGHTBOX, "demo-data", "--out", out, "--ct-slices", "12", "--quiet"])
    assert cp.returncode == 0, describe(cp)
    return files_by_sop_instance(out)


@pytest.fixture(scope="module")
def server(module_launcher, tmp_path_factory, demo_files):
    data = tmp_path_factory.mktemp("admin") / "data"
    cp = run([LIGHTBOX, "import", "-q", "--data", data, *sorted(set(str(Path(p).parent) for p in demo_files.values()))])
    assert cp.returncode == 0, describe(cp)
    add_user(data, "root", "admin", ADMIN[1])
    add_user(data, "ada", "radiologist")
    add_user(data, "tech", "technologist")
    add_user(data, "ref", "referrer")
    srv = module_launcher.serve(data)
    wait_for_port(srv.http_port)
    return srv


def cfind(server, level, **keys):
    """The matches of a C-FIND through pynetdicom, as a list of datasets."""
    from pynetdicom import AE
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind, PatientRootQueryRetrieveInformationModelFind
    ae = AE(ae_title="FINDSCU")
    model = PatientRootQueryRetrieveInformationModelFind if level == "PATIENT" else StudyRootQueryRetrieveInformationModelFind
    ae.add_requested_context(model)
    assoc = ae.associate(HOST, server.port, ae_title=server.aet)
    assert assoc.is_established
    ds = pydicom.Dataset()
    ds.QueryRetrieveLevel = level
    for k, v in keys.items():
        setattr(ds, k, v)
    out = []
    for status, identifier in assoc.send_c_find(ds, model):
        if status and status.Status in (0xFF00, 0xFF01):
            out.append(identifier)
    assoc.release()
    return out


# ---------------------------------------------------------------------------------------------------------------
# Listing


def test_listings_agree_with_cfind(server, demo_files):
    r, body = call(server, "GET", "/api/studies?PatientName=doe*")
    assert r.status == 200, body
    found = {s["StudyInstanceUID"] for s in body["items"]}
    want = {str(d.StudyInstanceUID) for d in cfind(server, "STUDY", PatientName="doe*", StudyInstanceUID="")}
    assert found == want and len(found) == 2
    r, body = call(server, "GET", "/api/patients")
    assert {p["PatientID"] for p in body["items"]} == {str(d.PatientID) for d in cfind(server, "PATIENT", PatientID="")}
    assert sum(p["NumberOfPatientRelatedInstances"] for p in body["items"]) == len(demo_files)
    r, body = call(server, "GET", "/api/instances?Modality=CT&limit=1000")
    assert len(body["items"]) == sum(1 for p in demo_files.values() if pydicom.dcmread(p, stop_before_pixels=True).Modality == "CT")
    # Paging covers everything exactly once.
    seen = []
    offset = 0
    while True:
        r, body = call(server, "GET", f"/api/instances?limit=7&offset={offset}")
        seen += [i["SOPInstanceUID"] for i in body["items"]]
        offset += 7
        if not body["more"]:
            break
    assert sorted(seen) == sorted(demo_files)


def test_instance_listing_tells_how_each_is_stored(server, demo_files):
    uid, path = next(iter(demo_files.items()))
    r, body = call(server, "GET", f"/api/instances?SOPInstanceUID={uid}")
    item = body["items"][0]
    data = Path(path).read_bytes()
    import hashlib
    assert item["size"] == len(data) and item["sha256"] == hashlib.sha256(data).hexdigest()
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    r, study = call(server, "GET", f"/api/studies/{ds.StudyInstanceUID}")
    assert r.status == 200 and str(ds.SeriesInstanceUID) in {s["SeriesInstanceUID"] for s in study["series"]}
    r, series = call(server, "GET", f"/api/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}")
    assert uid in {i["SOPInstanceUID"] for i in series["instances"]}


def test_listing_errors_are_400_with_a_reason(server):
    for path in ("/api/studies?PatientNmae=x", "/api/studies?limit=zero", "/api/studies/1..2", "/api/series?offset=-3"):
        r, body = call(server, "GET", path)
        assert r.status == 400 and body["error"], path


def test_roles(server):
    # A referrer reads but neither sends, deletes nor administers; a radiologist sends but does not delete.
    assert call(server, "GET", "/api/studies", user=("ref", "ref-password"))[0].status == 200
    assert call(server, "GET", "/api/nodes", user=("ref", "ref-password"))[0].status == 403
    assert call(server, "GET", "/api/nodes", user=("ada", "ada-password"))[0].status == 200
    assert call(server, "PUT", "/api/nodes/x", body={"kind": "dicom"}, user=("ada", "ada-password"))[0].status == 403
    assert call(server, "DELETE", "/api/studies/1.2.3", user=("tech", "tech-password"))[0].status == 403
    assert call(server, "GET", "/metrics", user=("ada", "ada-password"))[0].status == 403


# ---------------------------------------------------------------------------------------------------------------
# Remote nodes, C-ECHO, sending


def put_node(server, name, **fields):
    r, body = call(server, "PUT", f"/api/nodes/{name}", body=fields)
    assert r.status in (200, 201), body
    return body


def test_echo_and_send_to_storescp_byte_identical(server, launcher, tmp_path, demo_files):
    scp = launcher.storescp(tmp_path / "received")
    put_node(server, "scp", kind="dicom", ae_title=scp.aet, host=HOST, port=scp.port)
    r, body = call(server, "POST", "/api/nodes/scp/echo")
    assert r.status == 200 and body["ok"] and body["status"] == "0000", body
    study = next(p for p in demo_files.values() if pydicom.dcmread(p, stop_before_pixels=True).Modality == "MR")
    uid = pydicom.dcmread(study, stop_before_pixels=True).StudyInstanceUID
    r, job = call(server, "POST", f"/api/studies/{uid}/send", body={"node": "scp", "wait": True})
    assert r.status == 200 and job["state"] == "succeeded", job
    sent = {u: p for u, p in demo_files.items() if pydicom.dcmread(p, stop_before_pixels=True).StudyInstanceUID == uid}
    assert job["completed"] == len(sent) == job["total"] and job["failed"] == 0
    got = files_by_sop_instance(tmp_path / "received")
    assert set(got) == set(sent)
    from interop_support import dataset_bytes
    for u in sent:
        assert dataset_bytes(got[u]) == dataset_bytes(sent[u]), u
    # The job stays listed.
    r, jobs = call(server, "GET", "/api/jobs")
    assert job["id"] in {j["id"] for j in jobs}
    r, again = call(server, "GET", f"/api/jobs/{job['id']}")
    assert again["state"] == "succeeded" and again["user"] == "root"


def test_send_without_waiting_is_a_job_to_poll(server, launcher, tmp_path, demo_files):
    scp = launcher.storescp(tmp_path / "received")
    put_node(server, "scp2", kind="dicom", ae_title=scp.aet, host=HOST, port=scp.port)
    path = next(iter(demo_files.values()))
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    r, job = call(server, "POST", f"/api/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/"
                  f"{ds.SOPInstanceUID}/send", body={"node": "scp2"})
    assert r.status == 202 and r.getheader("Location") == f"/api/jobs/{job['id']}"
    deadline = time.monotonic() + 30
    while job["state"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = call(server, "GET", f"/api/jobs/{job['id']}")[1]
    assert job["state"] == "succeeded" and job["completed"] == 1
    assert str(ds.SOPInstanceUID) in files_by_sop_instance(tmp_path / "received")


def test_echo_and_send_to_a_node_that_is_down(server):
    put_node(server, "down", kind="dicom", ae_title="DOWN", host=HOST, port=free_port())
    r, body = call(server, "POST", "/api/nodes/down/echo")
    assert r.status == 502 and "DOWN" in body["error"]
    r, study = call(server, "GET", "/api/studies?limit=1")
    uid = study["items"][0]["StudyInstanceUID"]
    r, job = call(server, "POST", f"/api/studies/{uid}/send", body={"node": "down", "wait": True})
    assert job["state"] == "failed" and job["completed"] == 0 and "cannot associate" in job["error"]


def test_a_node_added_through_the_api_is_a_move_destination(server, launcher, tmp_path, demo_files):
    scp = launcher.storescp(tmp_path / "moved", aet="APIDEST")
    put_node(server, "apidest", kind="dicom", ae_title="APIDEST", host=HOST, port=scp.port)
    path = next(iter(demo_files.values()))
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    cp = run(["movescu", "-S", "-aec", server.aet, "-aem", "APIDEST", HOST, str(server.port),
              "-k", "QueryRetrieveLevel=SERIES", "-k", f"StudyInstanceUID={ds.StudyInstanceUID}",
              "-k", f"SeriesInstanceUID={ds.SeriesInstanceUID}"])
    assert cp.returncode == 0, describe(cp)
    assert str(ds.SOPInstanceUID) in files_by_sop_instance(tmp_path / "moved")
    # Removed, it is unknown again (A801).
    assert call(server, "DELETE", "/api/nodes/apidest")[0].status == 204
    cp = run(["movescu", "-S", "-aec", server.aet, "-aem", "APIDEST", HOST, str(server.port),
              "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={ds.StudyInstanceUID}"])
    assert cp.returncode != 0 and "movedestinationunknown" in cp.stderr.lower(), describe(cp)


def orthanc(launcher, folder):
    """Orthanc with its DICOMweb plugin, on free ports (it listens on every interface; the test only uses loopback)."""
    if not Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so").exists():
        pytest.skip("orthanc-dicomweb is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    dicom, web = free_port(), free_port()
    config = folder / "orthanc.json"
    config.write_text(json.dumps({
        "Name": "interop", "StorageDirectory": str(folder / "storage"), "IndexDirectory": str(folder / "index"),
        "DicomAet": "ORTHANC", "DicomPort": dicom, "HttpPort": web, "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False, "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"}, "StorageCompression": False,
    }))
    service = launcher.start("orthanc", ["Orthanc", config], web, cwd=folder)
    service.web = web
    service.dicom = dicom
    return service


def test_send_over_stow_to_orthanc(server, launcher, tmp_path, demo_files):
    peer = orthanc(launcher, tmp_path / "orthanc")
    put_node(server, "orthanc", kind="dicomweb", url=f"http://{HOST}:{peer.web}/dicom-web")
    r, body = call(server, "POST", "/api/nodes/orthanc/echo")
    assert r.status == 200 and body["http_status"] == 200, body
    cr = {u: p for u, p in demo_files.items() if pydicom.dcmread(p, stop_before_pixels=True).Modality == "CR"}
    uid = pydicom.dcmread(next(iter(cr.values())), stop_before_pixels=True).StudyInstanceUID
    r, job = call(server, "POST", f"/api/studies/{uid}/send", body={"node": "orthanc", "wait": True})
    assert job["state"] == "succeeded" and job["completed"] == len(cr), job
    import requests
    ids = requests.get(f"http://{HOST}:{peer.web}/instances", timeout=30).json()
    assert len(ids) == len(cr)
    for oid in ids:
        tags = requests.get(f"http://{HOST}:{peer.web}/instances/{oid}/simplified-tags", timeout=30).json()
        stored = requests.get(f"http://{HOST}:{peer.web}/instances/{oid}/file", timeout=30).content
        assert stored == Path(cr[tags["SOPInstanceUID"]]).read_bytes()


def test_send_over_stow_to_lightbox_over_https(server, launcher, tmp_path, pki, demo_files):
    """Another Lightbox serving HTTPS with a certificate of the test CA: sending works with that CA configured,
    and fails (the certificate is not trusted) without it."""
    data = tmp_path / "peer"
    add_user(data, "store", "technologist")
    peer = launcher.serve(data, env=dict(os.environ, LIGHTBOX_HTTP_TLS_CERTIFICATE=pki.server,
                                         LIGHTBOX_HTTP_TLS_PRIVATE_KEY=pki.server_key))
    wait_for_port(peer.http_port)
    url = f"https://localhost:{peer.http_port}/dicom-web"
    put_node(server, "secure", kind="dicomweb", url=url, user="store", password="store-password")
    r, body = call(server, "POST", "/api/nodes/secure/echo")
    assert r.status == 502 and "certificate" in body["error"], body
    # The sender with the test CA configured.
    data2 = server.data
    sender = launcher.serve(data2.parent / "sender", env=dict(os.environ, LIGHTBOX_HTTP_CLIENT_CA=pki.ca))
    add_user(sender.data, "root", "admin", ADMIN[1])
    cp = run([LIGHTBOX, "import", "-q", "--data", sender.data, str(next(iter(demo_files.values())))])
    assert cp.returncode == 0, describe(cp)
    wait_for_port(sender.http_port)
    put_node(sender, "secure", kind="dicomweb", url=url, user="store", password="store-password")
    r, body = call(sender, "POST", "/api/nodes/secure/echo")
    assert r.status == 200, body
    uid = pydicom.dcmread(next(iter(demo_files.values())), stop_before_pixels=True).StudyInstanceUID
    r, job = call(sender, "POST", f"/api/studies/{uid}/send", body={"node": "secure", "wait": True})
    assert job["state"] == "succeeded" and job["completed"] == 1, job
    import requests
    got = requests.get(f"{url}/studies", auth=("store", "store-password"), verify=pki.ca, timeout=30).json()
    assert [s["0020000D"]["Value"][0] for s in got] == [str(uid)]


# ---------------------------------------------------------------------------------------------------------------
# Deletion


def test_delete_a_series_then_its_study(server, demo_files):
    path = next(p for p in demo_files.values() if pydicom.dcmread(p, stop_before_pixels=True).Modality == "CR")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    before = call(server, "GET", "/api/statistics")[1]
    r, series = call(server, "GET", f"/api/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}")
    count = series["NumberOfSeriesRelatedInstances"]
    files_before = {p for p in (server.data / "storage").rglob("*.dcm")}
    r, body = call(server, "DELETE", f"/api/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}")
    assert r.status == 200 and body["deleted_instances"] == count and body["files_left"] == 0, body
    after = call(server, "GET", "/api/statistics")[1]
    assert after["instances"] == before["instances"] - count and after["series"] == before["series"] - 1
    assert len(files_before) - len({p for p in (server.data / "storage").rglob("*.dcm")}) == count
    assert cfind(server, "SERIES", StudyInstanceUID=str(ds.StudyInstanceUID), SeriesInstanceUID=str(ds.SeriesInstanceUID)) == []
    r, _ = call(server, "GET", f"/dicom-web/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/metadata")
    assert r.status == 404
    # verify finds every remaining file intact and nothing unreferenced.
    cp = run([LIGHTBOX, "verify", "--data", server.data])
    assert cp.returncode == 0, describe(cp)
    r, _ = call(server, "DELETE", f"/api/studies/{ds.StudyInstanceUID}")
    assert r.status in (200, 404)
    assert call(server, "DELETE", f"/api/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}")[0].status == 404


# ---------------------------------------------------------------------------------------------------------------
# The web server: gzip, CORS, metrics, limits, HTTPS


def test_gzip_only_when_accepted_and_never_for_frames(server, demo_files):
    import requests
    s = requests.Session()
    s.auth = ADMIN
    base = f"http://{HOST}:{server.http_port}"
    ds = pydicom.dcmread(next(p for p in demo_files.values() if pydicom.dcmread(p, stop_before_pixels=True).Modality == "CT"),
                         stop_before_pixels=True)
    meta = f"{base}/dicom-web/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/metadata"
    plain = s.get(meta, headers={"Accept-Encoding": "identity"})
    zipped = s.get(meta, headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = zipped.raw.read(decode_content=False)
    assert plain.headers.get("Content-Encoding") is None and zipped.headers["Content-Encoding"] == "gzip"
    assert len(raw) < len(plain.content) / 5
    assert json.loads(gzip.decompress(raw)) == plain.json()
    frame = s.get(f"{base}/dicom-web/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}/frames/1",
                  headers={"Accept-Encoding": "gzip", "Accept": 'multipart/related; type="application/octet-stream"'})
    assert frame.status_code == 200 and "Content-Encoding" not in frame.headers


def test_cors_is_off_by_default(server):
    cp = subprocess.run(["curl", "-sS", "-i", "-X", "OPTIONS", "-H", "Origin: https://viewer.example.org",
                         "-H", "Access-Control-Request-Method: GET", f"http://{HOST}:{server.http_port}/dicom-web/studies"],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0 and "access-control-allow-origin" not in cp.stdout.lower(), cp.stdout


def test_cors_for_a_configured_origin(launcher, tmp_path):
    data = tmp_path / "cors"
    add_user(data, "root", "admin", ADMIN[1])
    srv = launcher.serve(data, env=dict(os.environ, LIGHTBOX_HTTP_CORS_ORIGINS="https://viewer.example.org"))
    wait_for_port(srv.http_port)
    url = f"http://{HOST}:{srv.http_port}/dicom-web/studies"
    cp = subprocess.run(["curl", "-sS", "-i", "-X", "OPTIONS", "-H", "Origin: https://viewer.example.org",
                         "-H", "Access-Control-Request-Method: GET", "-H", "Access-Control-Request-Headers: authorization",
                         url], capture_output=True, text=True, timeout=30)
    head = cp.stdout.lower()
    assert head.startswith("http/1.1 204") and "access-control-allow-origin: https://viewer.example.org" in head, cp.stdout
    assert "authorization" in re.search(r"access-control-allow-headers: (.*)", head).group(1)
    # The request itself: credentials checked, CORS headers on the answer (also on a 401, so the page can read it).
    for user, status in ((ADMIN, 200), (None, 401)):
        r, _ = call(srv, "GET", "/dicom-web/studies", headers={"Origin": "https://viewer.example.org"}, user=user)
        assert r.status == status and r.getheader("Access-Control-Allow-Origin") == "https://viewer.example.org"
    r, _ = call(srv, "GET", "/dicom-web/studies", headers={"Origin": "https://evil.example"})
    assert r.getheader("Access-Control-Allow-Origin") is None


def test_bad_cors_origin_refuses_to_start(tmp_path):
    cp = subprocess.run([LIGHTBOX, "serve", "--data", str(tmp_path / "d"), "--no-demo", "--dicom-port", str(free_port()),
                         "--http-port", str(free_port())], capture_output=True, text=True, timeout=30,
                        env=dict(os.environ, LIGHTBOX_HTTP_CORS_ORIGINS="viewer.example.org/path"))
    assert cp.returncode == 2 and "http.cors_origins" in cp.stderr, describe(cp)


def test_metrics_in_prometheus_format(server):
    call(server, "GET", "/api/studies")
    call(server, "GET", "/dicom-web/studies")
    r, text = call(server, "GET", "/metrics")
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/plain; version=0.0.4")
    text = text.decode() if isinstance(text, bytes) else text
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"# (HELP|TYPE) lightbox_\w+ ", line), line
            continue
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    assert samples['lightbox_http_requests_total{area="dicom-web",method="GET",status="2xx"}'] >= 1
    stats = call(server, "GET", "/api/statistics")[1]
    assert samples['lightbox_archive_entities{level="instance"}'] == stats["instances"]
    assert samples["lightbox_index_up"] == 1 and samples["lightbox_process_resident_memory_bytes"] > 1e6
    buckets = [v for k, v in samples.items() if k.startswith('lightbox_http_request_duration_seconds_bucket{area="api"')]
    assert buckets == sorted(buckets)


def test_body_limit(launcher, tmp_path, demo_files):
    data = tmp_path / "limited"
    add_user(data, "root", "admin", ADMIN[1])
    srv = launcher.serve(data, env=dict(os.environ, LIGHTBOX_HTTP_MAX_BODY_BYTES="100000"))
    wait_for_port(srv.http_port)
    big = next(p for p in demo_files.values() if Path(p).stat().st_size > 200_000)
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + Path(big).read_bytes()
            + f"\r\n--{boundary}--\r\n".encode())
    r, answer = call(srv, "POST", "/dicom-web/studies", body=body,
                     headers={"Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}'})
    assert r.status == 413 and "larger than" in answer["error"]
    # Chunked, so the length is not declared: refused as it passes the limit.
    def chunks():
        for i in range(0, len(body), 16384):
            yield body[i:i + 16384]
    import requests
    rr = requests.post(f"http://{HOST}:{srv.http_port}/dicom-web/studies", data=chunks(), auth=ADMIN,
                       headers={"Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}'})
    assert rr.status_code == 413, rr.text
    assert call(srv, "GET", "/api/statistics")[1]["instances"] == 0


def test_https_only_with_tls12_or_later(launcher, tmp_path, pki):
    data = tmp_path / "https"
    add_user(data, "root", "admin", ADMIN[1])
    srv = launcher.serve(data, env=dict(os.environ, LIGHTBOX_HTTP_TLS_CERTIFICATE=pki.server,
                                        LIGHTBOX_HTTP_TLS_PRIVATE_KEY=pki.server_key))
    wait_for_port(srv.http_port)
    cp = subprocess.run(["curl", "-sS", "--cacert", pki.ca, "-u", "root:root-password",
                         f"https://localhost:{srv.http_port}/api/statistics"], capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0 and json.loads(cp.stdout)["instances"] == 0, cp.stderr
    # Plain HTTP on the HTTPS port gets nothing useful; TLS 1.1 is refused; an untrusted client sees the failure.
    cp = subprocess.run(["curl", "-sS", "-m", "10", f"http://localhost:{srv.http_port}/health/live"], capture_output=True, text=True)
    assert cp.returncode != 0
    cp = subprocess.run(["curl", "-sS", "--tlsv1.1", "--tls-max", "1.1", "-k", f"https://localhost:{srv.http_port}/health/live"],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode != 0
    ctx = ssl.create_default_context(cafile=pki.ca)
    with socket.create_connection((HOST, srv.http_port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
    # dicomweb-client over HTTPS, with keep-alive.
    from dicomweb_client.api import DICOMwebClient
    import requests
    session = requests.Session()
    session.auth = ADMIN
    session.verify = pki.ca
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override verify
    client = DICOMwebClient(f"https://localhost:{srv.http_port}/dicom-web", session=session)
    assert client.search_for_studies() == []
    # The retrieve URL says https.
    r = session.get(f"https://localhost:{srv.http_port}/api/openapi.json")
    assert r.status_code == 200


def test_https_with_a_bad_key_refuses_to_start(tmp_path, pki):
    cp = subprocess.run([LIGHTBOX, "serve", "--data", str(tmp_path / "d"), "--no-demo", "--dicom-port", str(free_port()),
                         "--http-port", str(free_port())], capture_output=True, text=True, timeout=30,
                        env=dict(os.environ, LIGHTBOX_HTTP_TLS_CERTIFICATE=pki.server, LIGHTBOX_HTTP_TLS_PRIVATE_KEY=pki.client_key))
    assert cp.returncode == 1 and "HTTPS: cannot load the key" in cp.stderr and "mismatch" in cp.stderr, describe(cp)
