import Testing
@testable import HTTP

/// The router driven without sockets: patterns, parameters, 404/405, errors as JSON, query parsing.
@Suite struct RouterTests {
    static func router() -> Router {
        var r = Router()
        r.add("GET", "/dicom-web/studies") { _ throws(HTTPError) in .text("studies") }
        r.add("GET", "/dicom-web/studies/{study}/series/{series}") { req throws(HTTPError) in
            .text("\(req.parameters["study"]!)|\(req.parameters["series"]!)")
        }
        r.add("POST", "/dicom-web/studies") { req throws(HTTPError) in
            let body = try req.body.collect(limit: 8)
            return .text("stored \(body.count)")
        }
        r.add("GET", "/fail") { _ throws(HTTPError) in throw HTTPError(400, "a \"quoted\" reason") }
        return r
    }

    static func text(_ response: HTTPResponse) -> String {
        guard case .bytes(let b) = response.body else { return "" }
        return String(decoding: b, as: UTF8.self)
    }

    @Test func matchesLiteralAndParameterSegments() {
        let r = Self.router()
        #expect(Self.text(r.respond(to: HTTPRequest(method: "GET", path: "/dicom-web/studies"))) == "studies")
        #expect(Self.text(r.respond(to: HTTPRequest(method: "GET", path: "/dicom-web/studies/1.2.3/series/4.5"))) == "1.2.3|4.5")
        // A trailing slash or doubled slashes name the same resource.
        #expect(Self.text(r.respond(to: HTTPRequest(method: "GET", path: "/dicom-web//studies/"))) == "studies")
    }

    @Test func unknownPathIs404AndWrongMethod405WithAllow() {
        let r = Self.router()
        let missing = r.respond(to: HTTPRequest(method: "GET", path: "/dicom-web/nothing"))
        #expect(missing.status == 404 && Self.text(missing).contains("no resource at /dicom-web/nothing"))
        let wrong = r.respond(to: HTTPRequest(method: "DELETE", path: "/dicom-web/studies"))
        #expect(wrong.status == 405 && wrong.header("Allow") == "GET, POST")
    }

    @Test func headIsAnsweredAsGet() {
        let response = Self.router().respond(to: HTTPRequest(method: "HEAD", path: "/dicom-web/studies"))
        #expect(response.status == 200 && Self.text(response) == "studies")
    }

    @Test func handlerErrorsBecomeJSONWithTheirReason() {
        let response = Self.router().respond(to: HTTPRequest(method: "GET", path: "/fail"))
        #expect(response.status == 400 && response.header("Content-Type") == "application/json")
        #expect(Self.text(response) == "{\"status\":400,\"error\":\"a \\\"quoted\\\" reason\"}\n")
    }

    @Test func bodyLimitsGive413() {
        let r = Self.router()
        let small = r.respond(to: HTTPRequest(method: "POST", path: "/dicom-web/studies", body: HTTPBody(bytes: [1, 2, 3])))
        #expect(Self.text(small) == "stored 3")
        let big = r.respond(to: HTTPRequest(method: "POST", path: "/dicom-web/studies", body: HTTPBody(bytes: [UInt8](repeating: 0, count: 9))))
        #expect(big.status == 413)
        // A declared length past the limit is refused before anything is read.
        let declared = HTTPBody(declaredLength: 4 << 30) { _ in -1 }
        #expect(r.respond(to: HTTPRequest(method: "POST", path: "/dicom-web/studies", body: declared)).status == 413)
    }

    @Test func queryStringsDecode() {
        let q = parseQuery("PatientName=SMITH%5E*&limit=10&includefield&x=a+b&bad=%zz")
        #expect(q.map(\.name) == ["PatientName", "limit", "includefield", "x", "bad"])
        #expect(q.map(\.value) == ["SMITH^*", "10", "", "a b", "%zz"])
    }
}
