import Testing
import Zlib
@testable import HTTP

/// What wraps the router: CORS (preflights answered without credentials, origins echoed only when allowed) and
/// gzip (JSON and text only, for clients that accept it, never pixel data).
@Suite struct PipelineTests {
    static func pipeline(origins: [String] = ["https://viewer.example.org"]) -> HTTPPipeline {
        var r = Router()
        r.add("GET", "/dicom-web/studies") { _ throws(HTTPError) in .json("[" + String(repeating: "{\"a\":1},", count: 500) + "{}]") }
        r.add("POST", "/dicom-web/studies") { _ throws(HTTPError) in throw HTTPError(401, "credentials are required") }
        r.add("GET", "/frames") { _ throws(HTTPError) in
            HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: .bytes([UInt8](repeating: 7, count: 5000)))
        }
        return HTTPPipeline(router: r, cors: CORSPolicy(origins: origins))
    }

    static func request(_ method: String, _ path: String, _ headers: [(String, String)]) -> HTTPRequest {
        HTTPRequest(method: method, path: path, headers: headers.map { (name: $0.0.lowercased(), value: $0.1) })
    }

    @Test func preflightFromAnAllowedOriginIsAnswered() {
        let r = Self.pipeline().respond(to: Self.request("OPTIONS", "/dicom-web/studies", [
            ("Origin", "https://viewer.example.org"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization, content-type")]))
        #expect(r.status == 204)
        #expect(r.header("Access-Control-Allow-Origin") == "https://viewer.example.org")
        #expect(r.header("Access-Control-Allow-Methods") == "GET, POST, HEAD, OPTIONS")
        #expect(r.header("Access-Control-Allow-Headers")?.contains("Authorization") == true)
    }

    @Test func otherOriginsGetNoCORSHeaders() {
        let p = Self.pipeline()
        let pre = p.respond(to: Self.request("OPTIONS", "/dicom-web/studies", [("Origin", "https://evil.example"),
                                                                               ("Access-Control-Request-Method", "GET")]))
        #expect(pre.header("Access-Control-Allow-Origin") == nil)
        let get = p.respond(to: Self.request("GET", "/dicom-web/studies", [("Origin", "https://evil.example")]))
        #expect(get.status == 200 && get.header("Access-Control-Allow-Origin") == nil)
        // Off by default.
        let off = Self.pipeline(origins: []).respond(to: Self.request("GET", "/dicom-web/studies", [("Origin", "https://viewer.example.org")]))
        #expect(off.header("Access-Control-Allow-Origin") == nil)
    }

    @Test func errorsCarryCORSHeadersSoBrowsersCanReadThem() {
        let r = Self.pipeline(origins: ["*"]).respond(to: Self.request("POST", "/dicom-web/studies", [("Origin", "http://localhost:3000")]))
        #expect(r.status == 401 && r.header("Access-Control-Allow-Origin") == "http://localhost:3000")
        #expect(r.header("Access-Control-Expose-Headers")?.contains("WWW-Authenticate") == true)
    }

    @Test func optionsOnAnUnknownPathIs404() {
        #expect(Self.pipeline().respond(to: Self.request("OPTIONS", "/nothing", [])).status == 404)
    }

    @Test func jsonIsGzippedForClientsThatAcceptIt() throws {
        let p = Self.pipeline()
        let plain = p.respond(to: Self.request("GET", "/dicom-web/studies", []))
        let zipped = p.respond(to: Self.request("GET", "/dicom-web/studies", [("Accept-Encoding", "gzip, deflate")]))
        #expect(plain.header("Content-Encoding") == nil)
        #expect(zipped.header("Content-Encoding") == "gzip" && zipped.header("Vary") == "Accept-Encoding")
        guard case .bytes(let a) = plain.body, case .bytes(let b) = zipped.body else { Issue.record("not bytes"); return }
        #expect(b.count < a.count)
        #expect(try b.withUnsafeBytes { try inflate($0, format: .gzip) }.output == a)
        // q=0 refuses.
        #expect(p.respond(to: Self.request("GET", "/dicom-web/studies", [("Accept-Encoding", "gzip;q=0")])).header("Content-Encoding") == nil)
    }

    @Test func binaryBodiesAreNeverCompressed() {
        let r = Self.pipeline().respond(to: Self.request("GET", "/frames", [("Accept-Encoding", "gzip")]))
        #expect(r.header("Content-Encoding") == nil)
    }

    @Test func acceptEncodingParsing() {
        #expect(HTTPPipeline.acceptsGzip("gzip"))
        #expect(HTTPPipeline.acceptsGzip("br;q=1.0, gzip;q=0.8, *;q=0.1"))
        #expect(HTTPPipeline.acceptsGzip("*"))
        #expect(!HTTPPipeline.acceptsGzip("identity"))
        #expect(!HTTPPipeline.acceptsGzip("gzip;q=0, *"))
        #expect(!HTTPPipeline.acceptsGzip(nil))
    }

    @Test func urlsParse() {
        #expect(HTTPURL("https://pacs.example.org/dicom-web")?.description == "https://pacs.example.org/dicom-web")
        #expect(HTTPURL("http://127.0.0.1:8042/dicom-web/")?.appending("/studies").target == "/dicom-web/studies")
        #expect(HTTPURL("http://[::1]:80")?.host == "::1")
        #expect(HTTPURL("http://user:pw@host/") == nil)
        #expect(HTTPURL("ftp://host/") == nil)
        #expect(HTTPURL("http://host:99999/") == nil)
        #expect(HTTPURL("http://host/a b") == nil)
    }
}
