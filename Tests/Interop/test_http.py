"""The web server of `lightbox serve` (CivetWeb behind the router), through real HTTP clients: curl and Python's
http.client. For now it serves the health checks; the tests pin what every later route relies on: JSON errors with
a reason, 404 and 405, HEAD, keep-alive, limits on the request head, and localhost-only by default."""
import http.client
import json
import socket
import subprocess

import pytest

from interop_support import HOST, LIGHTBOX, describe, free_port


@pytest.fixture(scope="module")
def server(module_launcher, tmp_path_factory):
    return module_launcher.serve(tmp_path_factory.mktemp("http") / "data")


def get(server, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection(HOST, server.http_port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r, data


def test_health_live_and_ready(server):
    for path, word in (("/health/live", "live"), ("/health/ready", "ready")):
        r, data = get(server, "GET", path)
        assert r.status == 200 and r.getheader("Content-Type") == "application/json"
        assert json.loads(data) == {"status": word}


def test_curl_sees_the_same(server):
    cp = subprocess.run(["curl", "-sS", "-i", f"http://{HOST}:{server.http_port}/health/live"], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith("HTTP/1.1 200 OK"), cp.stdout
    assert "content-length: 18" in cp.stdout.lower()


def test_unknown_path_is_404_with_a_reason(server):
    r, data = get(server, "GET", "/no/such/thing")
    assert r.status == 404
    assert json.loads(data) == {"status": 404, "error": "no resource at /no/such/thing"}


def test_wrong_method_is_405_with_allow(server):
    r, data = get(server, "POST", "/health/live", body=b"x")
    assert r.status == 405 and r.getheader("Allow") == "GET"
    assert json.loads(data)["status"] == 405


def test_head_has_headers_and_no_body(server):
    r, data = get(server, "HEAD", "/health/live")
    assert r.status == 200 and data == b"" and r.getheader("Content-Length") == "18"


def test_keep_alive_serves_many_requests_on_one_connection(server):
    conn = http.client.HTTPConnection(HOST, server.http_port, timeout=10)
    for _ in range(20):
        conn.request("GET", "/health/live")
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b'{"status":"live"}\n'
    sock = conn.sock
    assert sock is not None  # still the first connection: http.client reconnects only when it was closed
    conn.close()


def test_oversized_request_head_is_refused(server):
    r, _ = get(server, "GET", "/health/live", headers={"X-Big": "a" * 40_000})
    assert 400 <= r.status < 500


def test_garbage_gets_an_error_not_a_hang(server):
    with socket.create_connection((HOST, server.http_port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01\x00\xff garbage that is not HTTP\r\n\r\n")
        data = s.recv(4096)
    assert data == b"" or data.split(b"\r\n")[0] in (b"HTTP/1.0 400 Bad Request", b"HTTP/1.1 400 Bad Request"), data[:80]
    r, _ = get(server, "GET", "/health/live")
    assert r.status == 200  # and the server still serves


def test_beyond_localhost_only_with_an_admin(tmp_path):
    argv = [LIGHTBOX, "serve", "--data", tmp_path / "data", "--dicom-port", str(free_port()), "--http-port",
            str(port := free_port()), "--no-demo"]
    env = {"LIGHTBOX_HTTP_HOST": "0.0.0.0", "PATH": "/usr/bin:/bin"}
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
    assert cp.returncode == 1, describe(cp)
    assert "needs an admin user first" in cp.stderr
    # A technologist is not enough; an admin is.
    assert users(tmp_path / "data", "add", "tech", "--role", "technologist", password="long enough pass\n").returncode == 0
    assert subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env).returncode == 1
    assert users(tmp_path / "data", "add", "root", "--role", "admin", password="long enough pass\n").returncode == 0
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        import time
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        conn.request("GET", "/api/statistics")
        assert conn.getresponse().status == 401  # listening beyond localhost, and still locked
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_port_in_use_is_a_clear_error(server, tmp_path):
    cp = subprocess.run([LIGHTBOX, "serve", "--data", tmp_path / "data", "--dicom-port", str(free_port()),
                         "--http-port", str(server.http_port), "--no-demo"], capture_output=True, text=True, timeout=30)
    assert cp.returncode == 1, describe(cp)
    assert f"cannot listen for HTTP on 127.0.0.1:{server.http_port}" in cp.stderr


def users(data, *args, password=None):
    return subprocess.run([LIGHTBOX, "users", *args, "--data", data], input=password, capture_output=True, text=True, timeout=60)


def test_users_from_the_shell(tmp_path):
    """`lightbox users`: the password comes from standard input and is stored as scrypt, which Python's hashlib
    recomputes on its own; names, roles and short passwords are checked; remove says when there is no such user."""
    import hashlib
    import sqlite3

    data = tmp_path / "data"
    cp = users(data, "add", "ada", "--role", "radiologist", password="correct horse battery\n")
    assert cp.returncode == 0 and cp.stdout.strip() == "added ada (radiologist)", describe(cp)
    assert users(data, "add", "tech", "--role", "technologist", password="another long one\n").returncode == 0
    cp = users(data, "list")
    assert [line.split() for line in cp.stdout.splitlines()] == [["ada", "radiologist"], ["tech", "technologist"]]
    stored = sqlite3.connect(data / "users.sqlite").execute("SELECT password_hash FROM user WHERE name='ada'").fetchone()[0]
    _, scheme, params, salt, digest = stored.split("$")
    fields = dict(p.split("=") for p in params.split(","))
    assert scheme == "scrypt" and "correct" not in stored
    recomputed = hashlib.scrypt(b"correct horse battery", salt=bytes.fromhex(salt), n=2 ** int(fields["ln"]),
                                r=int(fields["r"]), p=int(fields["p"]), maxmem=128 * 1024 * 1024, dklen=32)
    assert recomputed.hex() == digest
    # Errors: a second ada, a short password, an unknown role, no password, a name with a slash.
    assert users(data, "add", "ada", "--role", "admin", password="whatever long\n").returncode == 1
    cp = users(data, "add", "eve", "--role", "admin", password="short\n")
    assert cp.returncode == 1 and "at least 8 characters" in cp.stderr
    cp = users(data, "add", "eve", "--role", "king", password="long enough\n")
    assert cp.returncode == 2 and "--role is one of admin, radiologist, technologist, referrer" in cp.stderr
    assert users(data, "add", "eve", "--role", "admin", password="").returncode == 1
    assert users(data, "add", "../eve", "--role", "admin", password="long enough\n").returncode == 1
    cp = users(data, "remove", "ghost")
    assert cp.returncode == 1 and "no user ghost" in cp.stderr
    assert users(data, "remove", "ada").returncode == 0
    assert users(data, "list").stdout.split() == ["tech", "technologist"]


def basic(name, password):
    import base64
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


# Every route that needs credentials, with the role that may use it and one that may not.
PROTECTED = [("GET", "/api/statistics", "admin", "radiologist")]


USER_OF_ROLE = {"admin": "root", "radiologist": "ada", "technologist": "tech", "referrer": "ref"}


@pytest.fixture(scope="module")
def accounts(server):
    for role, name in USER_OF_ROLE.items():
        assert users(server.data, "add", name, "--role", role, password=f"{name}-password\n").returncode == 0
    return server


@pytest.mark.parametrize("method,path,allowed,refused", PROTECTED)
def test_every_protected_route_answers_401_and_403(accounts, method, path, allowed, refused):
    r, data = get(accounts, method, path)
    assert r.status == 401 and json.loads(data)["error"] == "credentials are required"
    challenges = r.msg.get_all("WWW-Authenticate")
    assert any(c.startswith("Basic") for c in challenges) and any(c.startswith("Bearer") for c in challenges)
    allowed, refused = USER_OF_ROLE[allowed], USER_OF_ROLE[refused]
    r, _ = get(accounts, method, path, headers=basic(allowed, "wrong-password"))
    assert r.status == 401
    r, data = get(accounts, method, path, headers=basic(refused, f"{refused}-password"))
    assert r.status == 403 and "may not" in json.loads(data)["error"]
    r, _ = get(accounts, method, path, headers=basic(allowed, f"{allowed}-password"))
    assert r.status == 200


def test_statistics_count_what_is_stored(accounts):
    r, data = get(accounts, "GET", "/api/statistics", headers=basic("root", "root-password"))
    assert r.status == 200
    stats = json.loads(data)
    assert {k: stats[k] for k in ("patients", "studies", "series", "instances", "bytes")} == \
        {"patients": 0, "studies": 0, "series": 0, "instances": 0, "bytes": 0}
    assert stats["storage_free_bytes"] > 0 and stats["jobs_running"] == 0


def test_login_token_and_logout(accounts):
    r, data = get(accounts, "POST", "/api/login", headers={"Content-Type": "application/json"},
                  body=json.dumps({"user": "root", "password": "root-password"}))
    assert r.status == 200, data
    login = json.loads(data)
    assert login["user"] == "root" and login["role"] == "admin" and len(login["token"]) == 64
    bearer = {"Authorization": "Bearer " + login["token"]}
    assert get(accounts, "GET", "/api/statistics", headers=bearer)[0].status == 200
    assert get(accounts, "POST", "/api/logout", headers=bearer)[0].status == 204
    r, data = get(accounts, "GET", "/api/statistics", headers=bearer)
    assert r.status == 401 and "revoked" in json.loads(data)["error"]
    # A radiologist's token carries the radiologist's permissions.
    r, data = get(accounts, "POST", "/api/login", headers=basic("ada", "ada-password"))
    assert r.status == 200
    assert get(accounts, "GET", "/api/statistics", headers={"Authorization": "Bearer " + json.loads(data)["token"]})[0].status == 403


def test_login_failures(accounts):
    r, _ = get(accounts, "POST", "/api/login", body=json.dumps({"user": "root", "password": "nope"}))
    assert r.status == 401
    r, data = get(accounts, "POST", "/api/login", body=b"{not json")
    assert r.status == 400 and "must be" in json.loads(data)["error"]
    r, _ = get(accounts, "POST", "/api/login", body=b"x" * 10_000)
    assert r.status == 413
    r, _ = get(accounts, "GET", "/api/statistics", headers={"Authorization": "Basic !!!not-base64"})
    assert r.status == 401
    r, _ = get(accounts, "GET", "/api/statistics", headers={"Authorization": "Bearer " + "0" * 64})
    assert r.status == 401


# A value for each path parameter, so that every route can be reached.
PARAMETER_VALUES = {"study": "1.2.3", "series": "1.2.3.4", "instance": "1.2.3.4.5", "frames": "1", "tag": "7FE00010",
                    "name": "nowhere", "id": "0123456789abcdef"}
# Which roles lack each permission (none lacks read).
ROLE_WITHOUT = {"store": "radiologist", "send": "referrer", "delete": "technologist", "administer": "radiologist"}


def test_every_route_of_the_openapi_document_answers_401_and_403(accounts):
    """The router's table, as /api/openapi.json gives it: every route but the open ones answers 401 without
    credentials, 403 for a role without its permission, and neither for one with it."""
    r, data = get(accounts, "GET", "/api/openapi.json", headers=basic("ref", "ref-password"))
    assert r.status == 200, data
    doc = json.loads(data)
    assert doc["openapi"].startswith("3.")
    routes = [(method.upper(), path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]
    assert ("GET", "/dicom-web/studies") in {(m, p) for m, p, _ in routes}
    assert ("POST", "/dicom-web/studies") in {(m, p) for m, p, _ in routes}
    assert ("GET", "/api/openapi.json") in {(m, p) for m, p, _ in routes}
    open_routes = {(m, p) for m, p, op in routes if "x-permission" not in op}
    assert open_routes == {("GET", "/health/live"), ("GET", "/health/ready"), ("POST", "/api/login"), ("POST", "/api/logout")}
    for method, path, op in routes:
        if "x-permission" not in op:
            continue
        concrete = path
        for name, value in PARAMETER_VALUES.items():
            concrete = concrete.replace("{" + name + "}", value)
        assert "{" not in concrete, path
        body = b"" if method == "POST" else None
        r, data = get(accounts, method, concrete, body=body)
        assert r.status == 401, (method, path, r.status)
        permission = op["x-permission"]
        if permission in ROLE_WITHOUT:
            who = USER_OF_ROLE[ROLE_WITHOUT[permission]]
            r, data = get(accounts, method, concrete, headers=basic(who, f"{who}-password"), body=body)
            assert r.status == 403, (method, path, r.status, data)
        r, data = get(accounts, method, concrete, headers=basic("root", "root-password"), body=body)
        assert r.status not in (401, 403), (method, path, r.status, data)
