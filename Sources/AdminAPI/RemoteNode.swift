import DICOMCore
import DICOMNetwork
import HTTP

/// A remote node Lightbox sends to: a DICOM peer (AE title, host, port, optionally TLS) or a DICOMweb server
/// (base URL and its credentials).
public struct RemoteNode: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case dicom, dicomweb
    }

    public var name: String
    public var kind: Kind
    public var description = ""
    public var aeTitle = ""
    public var host = ""
    public var port = 0
    public var tls = false
    public var url = ""
    public var user: String?
    public var password: String?
    public var token: String?
    /// Defined in the configuration file (`modalities`): listed, usable, but not editable through the API.
    public var fromConfiguration = false

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    /// A C-MOVE destination from the configuration, as a node.
    public init(configured node: DICOMNode) {
        self.init(name: node.aeTitle, kind: .dicom)
        aeTitle = node.aeTitle
        host = node.host
        port = node.port
        fromConfiguration = true
    }

    public var dicomNode: DICOMNode { DICOMNode(aeTitle: aeTitle, host: host, port: port) }

    /// The Authorization field for a DICOMweb node: its token as Bearer, else its user and password as Basic.
    public var authorization: String? {
        if let token, !token.isEmpty { return "Bearer " + token }
        guard let user, !user.isEmpty else { return nil }
        return "Basic " + Array((user + ":" + (password ?? "")).utf8).withUnsafeBytes { Base64.encode($0) }
    }

    /// A node name: 1 to 64 letters, digits, '.', '_' or '-', beginning with a letter or digit (it appears in paths).
    public static func validName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first) else { return false }
        return name.utf8.count <= 64 && name.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "." || c == "_" || c == "-"
        }
    }

    /// The node as the API shows it: secrets never leave, only whether they are set.
    public var json: JSONValue {
        var o: [(String, JSONValue)] = [("name", .string(name)), ("kind", .string(kind.rawValue))]
        if !description.isEmpty { o.append(("description", .string(description))) }
        switch kind {
        case .dicom:
            o += [("ae_title", .string(aeTitle)), ("host", .string(host)), ("port", .number(String(port))), ("tls", .bool(tls))]
        case .dicomweb:
            o.append(("url", .string(url)))
            if let user { o.append(("user", .string(user))) }
            o.append(("password_set", .bool(!(password ?? "").isEmpty)))
            o.append(("token_set", .bool(!(token ?? "").isEmpty)))
        }
        o.append(("source", .string(fromConfiguration ? "configuration" : "api")))
        return .object(o)
    }

    /// A node from the body of `PUT /api/nodes/{name}`; every problem is a 400 naming the field.
    public static func parse(name: String, _ body: [UInt8]) throws(HTTPError) -> RemoteNode {
        guard validName(name) else { throw HTTPError(400, "a node name is 1 to 64 letters, digits, '.', '_' or '-', beginning with a letter or digit") }
        guard let json = try? JSONParser.parse(body), let fields = json.object else {
            throw HTTPError(400, "the body must be a JSON object: {\"kind\": \"dicom\", \"ae_title\": …, \"host\": …, \"port\": …} "
                            + "or {\"kind\": \"dicomweb\", \"url\": …}")
        }
        let known: Set<String> = ["name", "kind", "description", "ae_title", "host", "port", "tls", "url", "user", "password", "token", "source",
                                  "password_set", "token_set"]
        if let unknown = fields.first(where: { !known.contains($0.0) }) {
            throw HTTPError(400, "'\(unknown.0)' is not a field of a node (\(known.sorted().joined(separator: ", ")))")
        }
        func text(_ key: String) throws(HTTPError) -> String? {
            guard let v = json[key], v != .null else { return nil }
            guard let s = v.string else { throw HTTPError(400, "\(key) must be text") }
            guard !s.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else { throw HTTPError(400, "\(key) holds a line break") }
            return s
        }
        if let given = try text("name"), given != name { throw HTTPError(400, "the body names \(given), the path \(name)") }
        guard let kindText = try text("kind"), let kind = Kind(rawValue: kindText) else {
            throw HTTPError(400, "kind must be \"dicom\" or \"dicomweb\"")
        }
        var node = RemoteNode(name: name, kind: kind)
        node.description = try text("description") ?? ""
        switch kind {
        case .dicom:
            guard let ae = try text("ae_title"), !ae.isEmpty, ae.utf8.count <= 16, ae.allSatisfy({ $0.isASCII && $0 != "\\" }),
                  !ae.allSatisfy({ $0 == " " }) else {
                throw HTTPError(400, "ae_title must be 1 to 16 characters (no backslash)")
            }
            guard let host = try text("host"), !host.isEmpty, host.utf8.count <= 253, !host.contains(" ") else {
                throw HTTPError(400, "host must be a host name or address")
            }
            guard let portText = json["port"]?.number ?? json["port"]?.string, let port = Int(portText), (1...65535).contains(port) else {
                throw HTTPError(400, "port must be a number from 1 to 65535")
            }
            node.aeTitle = ae
            node.host = host
            node.port = port
            if let tls = json["tls"], tls != .null {
                guard case .bool(let b) = tls else { throw HTTPError(400, "tls must be true or false") }
                node.tls = b
            }
        case .dicomweb:
            guard let url = try text("url"), let parsed = HTTPURL(url) else {
                throw HTTPError(400, "url must be an http:// or https:// URL without credentials in it (give user and password apart)")
            }
            node.url = parsed.description
            node.user = try text("user")
            node.password = try text("password")
            node.token = try text("token")
            if node.password != nil && node.user == nil { throw HTTPError(400, "a password needs a user") }
        }
        return node
    }
}
