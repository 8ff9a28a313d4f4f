import Crypto
import DICOMCore
import DICOMNetwork
import DICOMWeb
import HTTP
import Transport

/// `/api/nodes`: the remote nodes, those of the configuration file (read-only) and those added here, and their
/// test (C-ECHO for DICOM, a one-study QIDO-RS search for DICOMweb).
extension AdminService {
    /// Every node: configured first, then those of the store (a stored node cannot shadow a configured name).
    func allNodes() throws(HTTPError) -> [RemoteNode] {
        let stored: [RemoteNode]
        do { stored = try nodes.list() } catch { throw HTTPError(503, "\(error)") }
        let configured = configuration.configuredNodes
        return configured + stored.filter { n in !configured.contains { $0.name == n.name } }
    }

    func node(named name: String) throws(HTTPError) -> RemoteNode {
        if let n = configuration.configuredNodes.first(where: { $0.name == name }) { return n }
        let found: RemoteNode?
        do { found = try nodes.node(named: name) } catch { throw HTTPError(503, "\(error)") }
        guard let found else { throw HTTPError(404, "no node named \(name.prefix(64))") }
        return found
    }

    func node(_ request: HTTPRequest) throws(HTTPError) -> RemoteNode {
        try node(named: request.parameters["name"] ?? "")
    }

    func listNodes() throws(HTTPError) -> HTTPResponse {
        .json(JSONValue.array(try allNodes().map(\.json)).serialized + "\n")
    }

    func putNode(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let name = request.parameters["name"] ?? ""
        if configuration.configuredNodes.contains(where: { $0.name == name }) {
            throw HTTPError(409, "node \(name) is defined in the configuration file (modalities); change it there")
        }
        var node = try RemoteNode.parse(name: name, try request.body.collect(limit: 64 * 1024))
        // Secrets not given again are kept: a client can edit a node it was shown without its password.
        if node.kind == .dicomweb, let old = try? nodes.node(named: name), old.kind == .dicomweb {
            if node.password == nil && node.user == old.user { node.password = old.password }
            if node.token == nil { node.token = old.token }
        }
        let created: Bool
        do { created = try nodes.put(node) } catch { throw HTTPError(503, "\(error)") }
        var response = HTTPResponse.json(node.json.serialized + "\n", status: created ? 201 : 200)
        response.headers.append(("Location", "/api/nodes/\(name)"))
        return response
    }

    func removeNode(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let name = request.parameters["name"] ?? ""
        if configuration.configuredNodes.contains(where: { $0.name == name }) {
            throw HTTPError(409, "node \(name) is defined in the configuration file (modalities); remove it there")
        }
        let removed: Bool
        do { removed = try nodes.remove(named: name) } catch { throw HTTPError(503, "\(error)") }
        guard removed else { throw HTTPError(404, "no node named \(name.prefix(64))") }
        return HTTPResponse(status: 204)
    }

    /// A DICOM node as a sender: our AE title, timeouts, TLS when the node wants it.
    func sender(for node: RemoteNode) throws(HTTPError) -> StoreSender {
        var sender = StoreSender(node: node.dicomNode, callingAETitle: configuration.aeTitle)
        sender.timeouts = configuration.timeouts
        sender.converter = converter
        if node.tls {
            let context: TLSContext
            do { context = try TLSContext(server: false, configuration: configuration.dicomTLS) } catch {
                throw HTTPError(500, "DICOM TLS for \(node.name) cannot be set up: \(error)")
            }
            let host = node.host
            sender.wrap = { tcp in try context.secure(tcp, hostname: host) }
        }
        return sender
    }

    func stowClient(for node: RemoteNode) throws(HTTPError) -> STOWClient {
        guard let url = HTTPURL(node.url) else { throw HTTPError(500, "node \(node.name) has no usable URL") }
        var client = STOWClient(base: url, authorization: node.authorization)
        if let ca = configuration.httpCAFile { client.client.caFile = ca }
        return client
    }

    /// `POST /api/nodes/{name}/echo`: 200 with the time it took when the node answers; 502 with the reason when
    /// it does not.
    func echo(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let node = try node(request)
        let started = monotonicNow()
        func answered(_ fields: [(String, JSONValue)]) -> HTTPResponse {
            let ms = ((monotonicNow() - started) * 10_000).rounded() / 10
            return .json(JSONValue.object([("ok", .bool(true))] + fields + [("milliseconds", .number(String(ms)))]).serialized + "\n")
        }
        switch node.kind {
        case .dicom:
            let status: DIMSEStatus
            do { status = try sender(for: node).echo() } catch {
                throw HTTPError(502, "C-ECHO to \(node.aeTitle) at \(node.host):\(node.port) failed: \(error)")
            }
            guard status.category == .success else {
                throw HTTPError(502, "C-ECHO to \(node.aeTitle) at \(node.host):\(node.port) answered \(status)")
            }
            return answered([("status", .string(status.description))])
        case .dicomweb:
            let client = try stowClient(for: node)
            var headers: [(name: String, value: String)] = [("Accept", "application/dicom+json")]
            if let auth = client.authorization { headers.append(("Authorization", auth)) }
            var http = client.client
            http.timeout = 15
            let response: HTTPClientResponse
            do {
                response = try http.send("GET", client.base.appending("/studies?limit=1"), headers: headers)
            } catch {
                throw HTTPError(502, "\(node.url) did not answer: \(error)")
            }
            guard (200...299).contains(response.status) else {
                throw HTTPError(502, "\(node.url) answered a QIDO-RS search with HTTP \(response.status)")
            }
            return answered([("http_status", .number(String(response.status)))])
        }
    }
}
