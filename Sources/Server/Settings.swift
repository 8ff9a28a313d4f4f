import Archive
import DICOM
import DICOMNetwork

/// Everything `lightbox serve` can be told, with the defaults it runs with when told nothing: data in
/// ./lightbox-data, DICOM on 127.0.0.1:11112 as LIGHTBOX.
public struct Settings: Sendable {
    public var dataFolder = "./lightbox-data"

    // DICOM
    public var aeTitle = "LIGHTBOX"
    public var dicomHost = "127.0.0.1"
    public var dicomPort = 11112

    // HTTP (DICOMweb, the administration API, health checks)
    public var httpHost = "127.0.0.1"
    public var httpPort = 8080
    public var httpThreads = 16
    public var httpRequestTimeout = 30.0
    public var httpKeepAliveTimeout = 5.0
    public var httpMaximumHeaderBytes = 16 * 1024
    public var httpMaximumBodyBytes: Int64 = 32 << 30
    /// HTTPS on the web port with this certificate (PEM, with its chain) and key.
    public var httpTLSCertificate: String?
    public var httpTLSPrivateKey: String?
    /// Origins a browser may let read our responses (CORS); "*" for any; empty: none.
    public var httpCORSOrigins: [String] = []
    /// gzip JSON and text for clients that accept it.
    public var httpCompression = true
    /// CA certificates (PEM) that https DICOMweb nodes' certificates are checked against; nil: the system's.
    public var httpClientCA: String?
    public var maximumAssociations = 32
    public var maximumPDU = 262_144
    public var preferOurTransferSyntaxes = false
    /// "AET" or "AET@HOST"; empty allows any calling AE title.
    public var allowedCallers: [String] = []
    public var artimTimeout = 30.0
    public var idleTimeout = 300.0
    public var pduTimeout = 60.0
    public var tlsCertificate: String?
    public var tlsPrivateKey: String?
    public var tlsCA: String?
    public var tlsRequireClientCertificate = false
    /// C-MOVE destinations.
    public var modalities: [DICOMNode] = []

    // Archive
    public var storageFolder: String?
    public var indexPath: String?
    public var durability = ArchiveConfiguration.Durability.fsync
    public var duplicates = DuplicatePolicy.keep

    // Query
    public var caseInsensitivePersonNames = true
    /// Matches a C-FIND returns at most (0: no limit); beyond it the find ends with A700.
    public var maximumQueryResults = 0

    /// QIDO-RS matches in one response at most; the rest are paged with offset.
    public var dicomWebMaximumResults = 1000

    // Logging
    public var logLevel = LogLevel.info

    // Demo studies
    public var loadDemoOnFirstStart = true
    public var demoCTSlices = 300

    public init() {}

    public var archiveConfiguration: ArchiveConfiguration {
        var c = ArchiveConfiguration(folder: dataFolder)
        if let storageFolder { c.storageFolder = storageFolder }
        if let indexPath { c.indexPath = indexPath }
        c.durability = durability
        c.duplicates = duplicates
        c.retrieveAETitle = aeTitle
        return c
    }
}

/// A configuration that cannot be used: names the key, and where its value came from.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One configurable key: its path in the JSON file (the environment variable is LIGHTBOX_ and the path in
/// capitals, dots as underscores), what values it takes, and where it goes.
struct Setting: Sendable {
    let path: String
    let help: String
    let apply: @Sendable (inout Settings, SettingValue) throws(SettingsError) -> Void

    var environmentName: String { "LIGHTBOX_" + String(path.uppercased().map { $0 == "." ? "_" : $0 }) }
}

/// A value as it came from JSON or from the environment (always a string there).
enum SettingValue: Sendable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case list([String])
    case object([String: String])

    func string(_ path: String) throws(SettingsError) -> String {
        switch self {
        case .string(let s): return s
        case .number(let n): return n == n.rounded() ? String(Int(n)) : String(n)
        case .bool(let b): return b ? "true" : "false"
        default: throw SettingsError("\(path): needs a text value")
        }
    }

    func int(_ path: String, _ range: ClosedRange<Int>) throws(SettingsError) -> Int {
        let v: Int?
        switch self {
        case .number(let n): v = n == n.rounded() ? Int(exactly: n) : nil
        case .string(let s): v = Int(trimmed(s))
        default: v = nil
        }
        guard let v, range.contains(v) else {
            throw SettingsError("\(path): needs a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    func seconds(_ path: String) throws(SettingsError) -> Double {
        let v: Double?
        switch self {
        case .number(let n): v = n
        case .string(let s): v = Double(trimmed(s))
        default: v = nil
        }
        guard let v, v > 0, v <= 86_400 else { throw SettingsError("\(path): needs seconds, more than 0 and at most 86400") }
        return v
    }

    func bool(_ path: String) throws(SettingsError) -> Bool {
        switch self {
        case .bool(let b): return b
        case .string(let s):
            switch s.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: break
            }
        default: break
        }
        throw SettingsError("\(path): needs true or false")
    }

    func choice<T>(_ path: String, _ options: [String: T]) throws(SettingsError) -> T {
        let s = try string(path)
        guard let v = options[s] else { throw SettingsError("\(path): needs one of \(options.keys.sorted().joined(separator: ", ")), got \"\(s)\"") }
        return v
    }

    /// A list: a JSON array, or comma-separated text.
    func list(_ path: String) throws(SettingsError) -> [String] {
        switch self {
        case .list(let l): return l
        case .string(let s): return s.split(separator: ",").map { trimmed(String($0)) }.filter { !$0.isEmpty }
        default: throw SettingsError("\(path): needs a list")
        }
    }
}

extension Settings {
    static func aeTitle(_ path: String, _ v: SettingValue) throws(SettingsError) -> String {
        let s = try v.string(path)
        guard !s.isEmpty, s.count <= 16, s.allSatisfy({ $0.isASCII && $0 != "\\" && !$0.isNewline }),
              !s.allSatisfy({ $0 == " " }) else {
            throw SettingsError("\(path): needs an AE title of 1 to 16 characters (no backslash), got \"\(s)\"")
        }
        return s
    }

    static func nonEmpty(_ path: String, _ v: SettingValue) throws(SettingsError) -> String {
        let s = try v.string(path)
        guard !s.isEmpty else { throw SettingsError("\(path): needs a value") }
        return s
    }

    /// C-MOVE destinations: a JSON object {"AET": "HOST:PORT"}, or text "AET=HOST:PORT,AET2=HOST:PORT".
    static func modalities(_ path: String, _ v: SettingValue) throws(SettingsError) -> [DICOMNode] {
        var specs: [String] = []
        switch v {
        case .object(let o): specs = o.keys.sorted().map { "\($0)=\(o[$0]!)" }
        case .string, .list: specs = try v.list(path)
        default: throw SettingsError("\(path): needs {\"AET\": \"HOST:PORT\"}")
        }
        return try specs.map { spec throws(SettingsError) -> DICOMNode in
            guard let node = DICOMNode(parsing: spec) else { throw SettingsError("\(path): \"\(spec)\" is not AET=HOST:PORT") }
            return node
        }
    }

    /// Every key, in the order `serve --help-config` lists them.
    static let schema: [Setting] = [
        Setting(path: "data_folder", help: "Folder of the archive (storage, index, lock). Default ./lightbox-data.") { s, v throws(SettingsError) in
            s.dataFolder = try nonEmpty("data_folder", v)
        },
        Setting(path: "dicom.ae_title", help: "Our AE title. Default LIGHTBOX.") { s, v throws(SettingsError) in
            s.aeTitle = try aeTitle("dicom.ae_title", v)
        },
        Setting(path: "dicom.host", help: "Address to listen on. Default 127.0.0.1 (this machine only); 0.0.0.0 for every address.") { s, v throws(SettingsError) in
            s.dicomHost = try nonEmpty("dicom.host", v)
        },
        Setting(path: "dicom.port", help: "DICOM port. Default 11112.") { s, v throws(SettingsError) in
            s.dicomPort = try v.int("dicom.port", 0...65535)
        },
        Setting(path: "http.host", help: "Address the web server listens on. Default 127.0.0.1 (this machine only).") { s, v throws(SettingsError) in
            s.httpHost = try nonEmpty("http.host", v)
        },
        Setting(path: "http.port", help: "HTTP port (DICOMweb, the API, health checks). Default 8080; 0 lets the system choose.") { s, v throws(SettingsError) in
            s.httpPort = try v.int("http.port", 0...65535)
        },
        Setting(path: "dicomweb.max_results", help: "QIDO-RS matches in one response at most (a Warning says when more exist). Default 1000.") { s, v throws(SettingsError) in
            s.dicomWebMaximumResults = try v.int("dicomweb.max_results", 1...1_000_000)
        },
        Setting(path: "http.threads", help: "Requests served at once. Default 16.") { s, v throws(SettingsError) in
            s.httpThreads = try v.int("http.threads", 1...256)
        },
        Setting(path: "http.request_timeout", help: "Seconds a request may take to arrive and be answered. Default 30.") { s, v throws(SettingsError) in
            s.httpRequestTimeout = try v.seconds("http.request_timeout")
        },
        Setting(path: "http.keep_alive_timeout", help: "Seconds an idle kept-alive connection stays open. Default 5.") { s, v throws(SettingsError) in
            s.httpKeepAliveTimeout = try v.seconds("http.keep_alive_timeout")
        },
        Setting(path: "http.max_header_bytes", help: "Largest request head (request line and header fields). Default 16384.") { s, v throws(SettingsError) in
            s.httpMaximumHeaderBytes = try v.int("http.max_header_bytes", 1024...1_048_576)
        },
        Setting(path: "http.max_body_bytes", help: "Largest request body (STOW-RS streams it to disk). Default 34359738368 (32 GiB).") { s, v throws(SettingsError) in
            s.httpMaximumBodyBytes = Int64(try v.int("http.max_body_bytes", 1024...Int(Int64(1) << 50)))
        },
        Setting(path: "http.tls.certificate", help: "PEM certificate (with its chain): with a private key, the web port speaks HTTPS only (TLS 1.2+).") { s, v throws(SettingsError) in
            s.httpTLSCertificate = try nonEmpty("http.tls.certificate", v)
        },
        Setting(path: "http.tls.private_key", help: "PEM private key of the HTTPS certificate.") { s, v throws(SettingsError) in
            s.httpTLSPrivateKey = try nonEmpty("http.tls.private_key", v)
        },
        Setting(path: "http.cors_origins", help: "Origins whose pages may use the API from a browser (CORS), e.g. [\"https://viewer.example.org\"]; \"*\" for any. Default none.") { s, v throws(SettingsError) in
            let origins = try v.list("http.cors_origins")
            for o in origins where o != "*" && !(o.hasPrefix("http://") || o.hasPrefix("https://")) || o.hasSuffix("/") {
                throw SettingsError("http.cors_origins: \"\(o)\" is not an origin (scheme://host[:port], no path) or *")
            }
            s.httpCORSOrigins = origins
        },
        Setting(path: "http.client_ca", help: "PEM CA certificates that HTTPS DICOMweb nodes are checked against (sending, echo). Default: the system's.") { s, v throws(SettingsError) in
            s.httpClientCA = try nonEmpty("http.client_ca", v)
        },
        Setting(path: "http.compression", help: "gzip JSON and text responses for clients that accept it. Default true.") { s, v throws(SettingsError) in
            s.httpCompression = try v.bool("http.compression")
        },
        Setting(path: "dicom.max_associations", help: "Associations at once. Default 32.") { s, v throws(SettingsError) in
            s.maximumAssociations = try v.int("dicom.max_associations", 1...1000)
        },
        Setting(path: "dicom.max_pdu", help: "Largest PDU we receive, in bytes. Default 262144.") { s, v throws(SettingsError) in
            s.maximumPDU = try v.int("dicom.max_pdu", 4096...16_777_216)
        },
        Setting(path: "dicom.prefer_our_transfer_syntaxes", help: "Choose transfer syntaxes in our order, not the requestor's.") { s, v throws(SettingsError) in
            s.preferOurTransferSyntaxes = try v.bool("dicom.prefer_our_transfer_syntaxes")
        },
        Setting(path: "dicom.allowed_callers", help: "Calling AE titles allowed (\"AET\" or \"AET@HOST\"). Default: any.") { s, v throws(SettingsError) in
            s.allowedCallers = try v.list("dicom.allowed_callers")
        },
        Setting(path: "dicom.timeouts.artim", help: "Seconds to wait for an A-ASSOCIATE-RQ and for a release. Default 30.") { s, v throws(SettingsError) in
            s.artimTimeout = try v.seconds("dicom.timeouts.artim")
        },
        Setting(path: "dicom.timeouts.idle", help: "Seconds an association may stay idle. Default 300.") { s, v throws(SettingsError) in
            s.idleTimeout = try v.seconds("dicom.timeouts.idle")
        },
        Setting(path: "dicom.timeouts.pdu", help: "Seconds to receive a PDU once begun. Default 60.") { s, v throws(SettingsError) in
            s.pduTimeout = try v.seconds("dicom.timeouts.pdu")
        },
        Setting(path: "dicom.tls.certificate", help: "PEM certificate: with a private key, DICOM runs over TLS.") { s, v throws(SettingsError) in
            s.tlsCertificate = try nonEmpty("dicom.tls.certificate", v)
        },
        Setting(path: "dicom.tls.private_key", help: "PEM private key of the certificate.") { s, v throws(SettingsError) in
            s.tlsPrivateKey = try nonEmpty("dicom.tls.private_key", v)
        },
        Setting(path: "dicom.tls.ca", help: "PEM CA certificates that client certificates are checked against.") { s, v throws(SettingsError) in
            s.tlsCA = try nonEmpty("dicom.tls.ca", v)
        },
        Setting(path: "dicom.tls.require_client_certificate", help: "Refuse TLS clients without a certificate the CA signed.") { s, v throws(SettingsError) in
            s.tlsRequireClientCertificate = try v.bool("dicom.tls.require_client_certificate")
        },
        Setting(path: "modalities", help: "C-MOVE destinations: {\"AET\": \"HOST:PORT\"} (environment: AET=HOST:PORT,...).") { s, v throws(SettingsError) in
            s.modalities = try modalities("modalities", v)
        },
        Setting(path: "storage.folder", help: "Where stored files go. Default DATA/storage.") { s, v throws(SettingsError) in
            s.storageFolder = try nonEmpty("storage.folder", v)
        },
        Setting(path: "storage.durability", help: "fsync (default: each file synced before its success, the index recovered from the files after a crash), strict (file, folder and index log each synced: for filesystems other than ext4, XFS, btrfs), none (unsafe).") { s, v throws(SettingsError) in
            s.durability = try v.choice("storage.durability", Dictionary(uniqueKeysWithValues: ArchiveConfiguration.Durability.allCases.map { ($0.rawValue, $0) }))
        },
        Setting(path: "storage.duplicates", help: "A SOP Instance UID received again: keep (the first, default), replace, or reject.") { s, v throws(SettingsError) in
            s.duplicates = try v.choice("storage.duplicates", Dictionary(uniqueKeysWithValues: DuplicatePolicy.allCases.map { ($0.rawValue, $0) }))
        },
        Setting(path: "index.path", help: "The SQLite index file. Default DATA/index.sqlite.") { s, v throws(SettingsError) in
            s.indexPath = try nonEmpty("index.path", v)
        },
        Setting(path: "query.case_insensitive_names", help: "Match person names regardless of case. Default true.") { s, v throws(SettingsError) in
            s.caseInsensitivePersonNames = try v.bool("query.case_insensitive_names")
        },
        Setting(path: "query.max_results", help: "Most matches a C-FIND returns (0: no limit). Default 0.") { s, v throws(SettingsError) in
            s.maximumQueryResults = try v.int("query.max_results", 0...10_000_000)
        },
        Setting(path: "log.level", help: "debug, info (default), warning or error. Patient data appears at debug only.") { s, v throws(SettingsError) in
            s.logLevel = try v.choice("log.level", Dictionary(uniqueKeysWithValues: LogLevel.allCases.map { ($0.name, $0) }))
        },
        Setting(path: "demo.load_on_first_start", help: "Load the demo studies when an empty archive first starts. Default true.") { s, v throws(SettingsError) in
            s.loadDemoOnFirstStart = try v.bool("demo.load_on_first_start")
        },
        Setting(path: "demo.ct_slices", help: "Slices of the demo CT. Default 300.") { s, v throws(SettingsError) in
            s.demoCTSlices = try v.int("demo.ct_slices", 1...2000)
        },
    ]

    /// The settings from a JSON file (optional), then the environment, then `overrides` (command-line options, as
    /// key paths), each later source winning. Unknown keys in the file are errors: a typo must not pass unseen.
    public static func load(file: String?, environment: [String: String], overrides: [(String, String)] = []) throws(SettingsError) -> Settings {
        var settings = Settings()
        let byPath = Dictionary(uniqueKeysWithValues: schema.map { ($0.path, $0) })
        if let file {
            // DICOMCore's JSON parser, not Foundation's: Foundation (and ICU) would add milliseconds to the start of
            // every lightbox command.
            let bytes: [UInt8]
            do { bytes = try ByteRegion.file(at: file).bytes.withUnsafeBytes { Array($0) } } catch {
                throw SettingsError("cannot read the configuration file \(file): \(error)")
            }
            let json: JSONValue
            do { json = try JSONParser.parse(bytes) } catch {
                throw SettingsError("\(file) is not valid JSON: \(error)")
            }
            guard let root = json.object else { throw SettingsError("\(file): the configuration must be a JSON object") }
            var values: [(String, SettingValue)] = []
            try flatten(root, prefix: "", into: &values, known: byPath)
            for (path, value) in values {
                do { try byPath[path]!.apply(&settings, value) } catch { throw SettingsError("\(file): \(error.description)") }
            }
        }
        for setting in schema {
            guard let text = environment[setting.environmentName] else { continue }
            do { try setting.apply(&settings, .string(text)) } catch {
                throw SettingsError("\(error.description) (from \(setting.environmentName))")
            }
        }
        for (path, text) in overrides {
            guard let setting = byPath[path] else { throw SettingsError("unknown key \(path)") }
            try setting.apply(&settings, .string(text))
        }
        return settings
    }

    static func flatten(_ object: [(String, JSONValue)], prefix: String, into out: inout [(String, SettingValue)],
                        known: [String: Setting]) throws(SettingsError) {
        for (key, value) in object.sorted(by: { $0.0 < $1.0 }) {
            let path = prefix.isEmpty ? key : prefix + "." + key
            if known[path] == nil, let nested = value.object {
                try flatten(nested, prefix: path, into: &out, known: known)
                continue
            }
            guard known[path] != nil else {
                let near = known.keys.filter { $0.hasPrefix(prefix) }.sorted().prefix(8).joined(separator: ", ")
                throw SettingsError("unknown key \(path)" + (near.isEmpty ? "" : " (known here: \(near))"))
            }
            switch value {
            case .null:
                continue
            case .bool(let b):
                out.append((path, .bool(b)))
            case .number(let text):
                guard let n = Double(text) else { throw SettingsError("\(path): \(text) is not a number") }
                out.append((path, .number(n)))
            case .string(let s):
                out.append((path, .string(s)))
            case .array(let a):
                out.append((path, .list(try a.map { item throws(SettingsError) -> String in
                    guard let s = item.string else { throw SettingsError("\(path): needs a list of text values") }
                    return s
                })))
            case .object(let o):
                var strings: [String: String] = [:]
                for (k, v) in o {
                    guard let s = v.string else { throw SettingsError("\(path).\(k): needs a text value") }
                    strings[k] = s
                }
                out.append((path, .object(strings)))
            }
        }
    }

    /// The effective settings as JSON (for `serve --print-config`), keys sorted, two-space indents.
    public var json: String {
        func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        func number(_ n: Int) -> JSONValue { .number(String(n)) }
        func number(_ d: Double) -> JSONValue {
            .number(d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d))
        }
        let o: JSONValue = .object([
            ("data_folder", .string(dataFolder)),
            ("dicom", .object([
                ("ae_title", .string(aeTitle)), ("host", .string(dicomHost)), ("port", number(dicomPort)),
                ("max_associations", number(maximumAssociations)), ("max_pdu", number(maximumPDU)),
                ("prefer_our_transfer_syntaxes", .bool(preferOurTransferSyntaxes)),
                ("allowed_callers", .array(allowedCallers.map { .string($0) })),
                ("timeouts", .object([("artim", number(artimTimeout)), ("idle", number(idleTimeout)), ("pdu", number(pduTimeout))])),
                ("tls", .object([("certificate", text(tlsCertificate)), ("private_key", text(tlsPrivateKey)), ("ca", text(tlsCA)),
                                 ("require_client_certificate", .bool(tlsRequireClientCertificate))])),
            ])),
            ("http", .object([("host", .string(httpHost)), ("port", number(httpPort)), ("threads", number(httpThreads)),
                              ("request_timeout", number(httpRequestTimeout)), ("keep_alive_timeout", number(httpKeepAliveTimeout)),
                              ("max_header_bytes", number(httpMaximumHeaderBytes)), ("max_body_bytes", number(Int(httpMaximumBodyBytes))),
                              ("tls", .object([("certificate", text(httpTLSCertificate)), ("private_key", text(httpTLSPrivateKey))])),
                              ("cors_origins", .array(httpCORSOrigins.map { .string($0) })), ("compression", .bool(httpCompression)),
                              ("client_ca", text(httpClientCA))])),
            ("modalities", .object(modalities.map { ($0.aeTitle, .string("\($0.host):\($0.port)")) })),
            ("storage", .object([("folder", .string(archiveConfiguration.storageFolder)), ("durability", .string(durability.rawValue)),
                                 ("duplicates", .string(duplicates.rawValue))])),
            ("index", .object([("path", .string(archiveConfiguration.indexPath))])),
            ("dicomweb", .object([("max_results", number(dicomWebMaximumResults))])),
            ("query", .object([("case_insensitive_names", .bool(caseInsensitivePersonNames)), ("max_results", number(maximumQueryResults))])),
            ("log", .object([("level", .string(logLevel.name))])),
            ("demo", .object([("load_on_first_start", .bool(loadDemoOnFirstStart)), ("ct_slices", number(demoCTSlices))])),
        ])
        var out = ""
        Self.pretty(o, indent: "", into: &out)
        return out
    }

    static func pretty(_ value: JSONValue, indent: String, into out: inout String) {
        switch value {
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let inner = indent + "  "
            for (i, (k, v)) in members.sorted(by: { $0.0 < $1.0 }).enumerated() {
                out += inner + JSONValue.quoted(k) + " : "
                pretty(v, indent: inner, into: &out)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += indent + "}"
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            let inner = indent + "  "
            for (i, v) in items.enumerated() {
                out += inner
                pretty(v, indent: inner, into: &out)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += indent + "]"
        default:
            value.write(to: &out)
        }
    }
}

extension Settings {
    /// The configuration keys, for help output: path, environment variable, what it does.
    public static var keys: [(path: String, environment: String, help: String)] {
        schema.map { ($0.path, $0.environmentName, $0.help) }
    }
}

/// Text without leading and trailing spaces, tabs and line ends.
func trimmed(_ s: String) -> String {
    var t = Substring(s)
    while let c = t.first, c == " " || c == "\t" || c == "\n" || c == "\r" { t.removeFirst() }
    while let c = t.last, c == " " || c == "\t" || c == "\n" || c == "\r" { t.removeLast() }
    return String(t)
}
