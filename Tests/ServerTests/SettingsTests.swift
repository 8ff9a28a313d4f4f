import Archive
import DICOMNetwork
import Foundation
import Server
import Testing
import Transport

/// `lightbox serve` settings: defaults, a JSON file, the environment, command-line overrides (each later one
/// winning), and errors that name the key at fault.
@Suite("Settings")
struct SettingsTests {
    /// Settings from a JSON text (written to a file), an environment and overrides.
    static func load(json: String?, environment: [String: String] = [:], overrides: [(String, String)] = []) throws -> Settings {
        try withTemporaryFolder { folder in
            var file: String?
            if let json {
                file = folder + "/lightbox.json"
                try writeFile(file!, json)
            }
            return try Settings.load(file: file, environment: environment, overrides: overrides)
        }
    }

    /// The error a configuration gives, as text ("" when it loads).
    static func error(json: String?, environment: [String: String] = [:], overrides: [(String, String)] = []) -> String {
        do {
            _ = try load(json: json, environment: environment, overrides: overrides)
            return ""
        } catch let e as SettingsError {
            return e.description
        } catch {
            return "not a SettingsError: \(error)"
        }
    }

    @Test("no file, no environment: the defaults")
    func defaults() throws {
        let s = try Settings.load(file: nil, environment: [:])
        #expect(s.dataFolder == "./lightbox-data")
        #expect(s.dicomPort == 11112)
        #expect(s.aeTitle == "LIGHTBOX")
        #expect(s.dicomHost == "127.0.0.1")
        #expect(s.maximumAssociations == 32)
        #expect(s.maximumPDU == 262_144)
        #expect(s.allowedCallers.isEmpty)
        #expect(s.modalities.isEmpty)
        #expect(s.durability == .fsync)
        #expect(s.duplicates == .keep)
        #expect(s.caseInsensitivePersonNames)
        #expect(s.maximumQueryResults == 0)
        #expect(s.logLevel == .info)
        #expect(s.loadDemoOnFirstStart)
        #expect(s.demoCTSlices == 300)
        #expect(s.tlsCertificate == nil && s.tlsPrivateKey == nil)
        let c = s.archiveConfiguration
        #expect(c.storageFolder == "./lightbox-data/storage")
        #expect(c.indexPath == "./lightbox-data/index.sqlite")
        #expect(c.retrieveAETitle == "LIGHTBOX")
        #expect(c.durability == .fsync)
        // Variables of other programs are no settings.
        #expect(try Settings.load(file: nil, environment: ["PATH": "/bin", "HOME": "/root"]).dicomPort == 11112)
    }

    @Test("a JSON file sets keys, nested as their paths say")
    func file() throws {
        let s = try Self.load(json: """
            {
              "data_folder": "/srv/pacs",
              "dicom": {"ae_title": "ARCHIVE1", "host": "0.0.0.0", "port": 104, "max_associations": 8,
                        "allowed_callers": ["CT1", "MR1@10.0.0.7"], "prefer_our_transfer_syntaxes": true,
                        "timeouts": {"artim": 5, "idle": 60.5},
                        "tls": {"certificate": null}},
              "storage": {"folder": "/mnt/big/storage", "durability": "strict", "duplicates": "replace"},
              "index": {"path": "/var/lib/lightbox/index.sqlite"},
              "query": {"case_insensitive_names": false, "max_results": 500},
              "log": {"level": "debug"},
              "demo": {"load_on_first_start": false, "ct_slices": 12}
            }
            """)
        #expect(s.dataFolder == "/srv/pacs")
        #expect(s.aeTitle == "ARCHIVE1")
        #expect(s.dicomHost == "0.0.0.0")
        #expect(s.dicomPort == 104)
        #expect(s.maximumAssociations == 8)
        #expect(s.allowedCallers == ["CT1", "MR1@10.0.0.7"])
        #expect(s.preferOurTransferSyntaxes)
        #expect(s.artimTimeout == 5)
        #expect(s.idleTimeout == 60.5)
        #expect(s.pduTimeout == 60)
        #expect(s.tlsCertificate == nil)
        #expect(s.durability == .strict)
        #expect(s.duplicates == .replace)
        #expect(!s.caseInsensitivePersonNames)
        #expect(s.maximumQueryResults == 500)
        #expect(s.logLevel == .debug)
        #expect(!s.loadDemoOnFirstStart)
        #expect(s.demoCTSlices == 12)
        let c = s.archiveConfiguration
        #expect(c.storageFolder == "/mnt/big/storage")
        #expect(c.indexPath == "/var/lib/lightbox/index.sqlite")
        #expect(c.duplicates == .replace)
        #expect(c.durability == .strict)
        #expect(c.retrieveAETitle == "ARCHIVE1")
        // Keys may also be written with their dotted paths.
        #expect(try Self.load(json: #"{"dicom.port": 2000, "dicom": {"ae_title": "X"}}"#).dicomPort == 2000)
        // Without storage and index paths, both go under the data folder.
        let onlyData = try Self.load(json: #"{"data_folder": "/data"}"#).archiveConfiguration
        #expect(onlyData.storageFolder == "/data/storage")
        #expect(onlyData.indexPath == "/data/index.sqlite")
    }

    @Test("the environment beats the file; overrides beat the environment")
    func precedence() throws {
        let json = #"{"dicom": {"port": 104, "ae_title": "FROMFILE"}, "log": {"level": "warning"}}"#
        let fileOnly = try Self.load(json: json)
        #expect(fileOnly.dicomPort == 104)
        let withEnvironment = try Self.load(json: json, environment: ["LIGHTBOX_DICOM_PORT": "4242", "LIGHTBOX_LOG_LEVEL": "error"])
        #expect(withEnvironment.dicomPort == 4242)
        #expect(withEnvironment.logLevel == .error)
        #expect(withEnvironment.aeTitle == "FROMFILE")
        let withOverride = try Self.load(json: json, environment: ["LIGHTBOX_DICOM_PORT": "4242"],
                                         overrides: [("dicom.port", "5000"), ("dicom.ae_title", "FROMCLI")])
        #expect(withOverride.dicomPort == 5000)
        #expect(withOverride.aeTitle == "FROMCLI")
        #expect(withOverride.logLevel == .warning)
        // Without a file as well.
        #expect(try Settings.load(file: nil, environment: ["LIGHTBOX_DICOM_PORT": "4242"], overrides: [("dicom.port", "7")]).dicomPort == 7)
    }

    @Test("environment values are text: numbers, booleans, lists and choices read from it")
    func environmentTypes() throws {
        let s = try Settings.load(file: nil, environment: [
            "LIGHTBOX_DATA_FOLDER": "/env/data",
            "LIGHTBOX_DICOM_ALLOWED_CALLERS": "CT1, MR1@host ,,US",
            "LIGHTBOX_QUERY_CASE_INSENSITIVE_NAMES": "off",
            "LIGHTBOX_DICOM_PREFER_OUR_TRANSFER_SYNTAXES": "YES",
            "LIGHTBOX_DICOM_TIMEOUTS_PDU": " 12.5 ",
            "LIGHTBOX_STORAGE_DUPLICATES": "reject",
            "LIGHTBOX_DEMO_CT_SLICES": "40",
        ])
        #expect(s.dataFolder == "/env/data")
        #expect(s.allowedCallers == ["CT1", "MR1@host", "US"])
        #expect(!s.caseInsensitivePersonNames)
        #expect(s.preferOurTransferSyntaxes)
        #expect(s.pduTimeout == 12.5)
        #expect(s.duplicates == .reject)
        #expect(s.demoCTSlices == 40)
    }

    @Test("every key has its environment variable, LIGHTBOX_ and the path in capitals")
    func keys() {
        let keys = Settings.keys
        #expect(keys.count >= 20)
        #expect(Set(keys.map(\.path)).count == keys.count)
        #expect(keys.first { $0.path == "dicom.port" }?.environment == "LIGHTBOX_DICOM_PORT")
        #expect(keys.first { $0.path == "dicom.timeouts.artim" }?.environment == "LIGHTBOX_DICOM_TIMEOUTS_ARTIM")
        #expect(keys.allSatisfy { $0.environment == "LIGHTBOX_" + $0.path.uppercased().replacingOccurrences(of: ".", with: "_") })
        #expect(keys.allSatisfy { !$0.help.isEmpty })
    }

    @Test("errors name the key at fault", arguments: [
        (#"{"dicom": {"prot": 104}}"#, "dicom.prot"),
        (#"{"dicom": {"port": 70000}}"#, "dicom.port"),
        (#"{"dicom": {"port": -1}}"#, "dicom.port"),
        (#"{"dicom": {"port": 104.5}}"#, "dicom.port"),
        (#"{"dicom": {"port": "many"}}"#, "dicom.port"),
        (#"{"dicom": {"ae_title": "A_TITLE_OF_MORE_THAN_16"}}"#, "dicom.ae_title"),
        (#"{"dicom": {"ae_title": "BACK\\SLASH"}}"#, "dicom.ae_title"),
        (#"{"dicom": {"ae_title": "    "}}"#, "dicom.ae_title"),
        (#"{"dicom": {"ae_title": ""}}"#, "dicom.ae_title"),
        (#"{"dicom": {"allowed_callers": true}}"#, "dicom.allowed_callers"),
        (#"{"dicom": {"allowed_callers": [1, 2]}}"#, "dicom.allowed_callers"),
        (#"{"dicom": {"timeouts": {"idle": 0}}}"#, "dicom.timeouts.idle"),
        (#"{"query": {"case_insensitive_names": 1}}"#, "query.case_insensitive_names"),
        (#"{"storage": {"durability": "sometimes"}}"#, "storage.durability"),
        (#"{"log": {"level": "verbose"}}"#, "log.level"),
        (#"{"data_folder": ""}"#, "data_folder"),
        (#"{"modalities": {"PACS2": "no-port"}}"#, "modalities"),
        (#"{"modalities": 12}"#, "modalities"),
        (#"{"demo": {"ct_slices": 0}}"#, "demo.ct_slices"),
        (#"{"unknown_top_level": 1}"#, "unknown_top_level"),
    ])
    func errorsNameTheKey(json: String, key: String) {
        let message = Self.error(json: json)
        #expect(message.contains(key), "\(json) → \(message)")
    }

    @Test("a bad value in a file names the file too")
    func valueErrorNamesFile() {
        let message = Self.error(json: #"{"dicom": {"port": 70000}}"#)
        #expect(message.contains("lightbox.json: dicom.port"), "\(message)")
    }

    @Test("JSON numbers 0 and 1 are numbers, true and false are booleans")
    func zeroAndOne() throws {
        let s = try Self.load(json: #"{"dicom": {"port": 0}, "query": {"max_results": 1}, "demo": {"ct_slices": 1}}"#)
        #expect(s.dicomPort == 0)
        #expect(s.maximumQueryResults == 1)
        #expect(s.demoCTSlices == 1)
        #expect(try Self.load(json: #"{"query": {"max_results": 0}}"#).maximumQueryResults == 0)
        #expect(Self.error(json: #"{"query": {"max_results": true}}"#).contains("query.max_results"))
        #expect(Self.error(json: #"{"demo": {"load_on_first_start": 0}}"#).contains("demo.load_on_first_start"))
        #expect(try !Self.load(json: #"{"demo": {"load_on_first_start": false}}"#).loadDemoOnFirstStart)
    }

    @Test("an unknown key lists the known ones nearby")
    func unknownKeyHelp() {
        let message = Self.error(json: #"{"dicom": {"prot": 104}}"#)
        #expect(message.contains("unknown key dicom.prot"))
        #expect(message.contains("dicom.port"))
    }

    @Test("errors from the environment and overrides name the variable or the key")
    func environmentErrors() {
        let port = Self.error(json: nil, environment: ["LIGHTBOX_DICOM_PORT": "70000"])
        #expect(port.contains("dicom.port") && port.contains("LIGHTBOX_DICOM_PORT"), "\(port)")
        let ae = Self.error(json: nil, environment: ["LIGHTBOX_DICOM_AE_TITLE": "WAY_TOO_LONG_AE_TITLE"])
        #expect(ae.contains("dicom.ae_title") && ae.contains("LIGHTBOX_DICOM_AE_TITLE"), "\(ae)")
        let flag = Self.error(json: nil, environment: ["LIGHTBOX_DEMO_LOAD_ON_FIRST_START": "perhaps"])
        #expect(flag.contains("demo.load_on_first_start"), "\(flag)")
        #expect(Self.error(json: nil, overrides: [("dicom.nope", "1")]).contains("unknown key dicom.nope"))
        #expect(Self.error(json: nil, overrides: [("dicom.max_pdu", "12")]).contains("dicom.max_pdu"))
    }

    @Test("a file that cannot be read, is not JSON, or is not an object is an error naming it")
    func badFiles() throws {
        #expect(Self.error(json: "{ not json").contains("not valid JSON"))
        #expect(Self.error(json: "[1, 2]").contains("must be a JSON object"))
        #expect(throws: SettingsError.self) { _ = try Settings.load(file: "/nonexistent/lightbox.json", environment: [:]) }
        do {
            _ = try Settings.load(file: "/nonexistent/lightbox.json", environment: [:])
        } catch {
            #expect(error.description.contains("/nonexistent/lightbox.json"))
        }
    }

    @Test("modalities: a JSON object, or AET=HOST:PORT text in the environment")
    func modalities() throws {
        let fromFile = try Self.load(json: #"{"modalities": {"WS1": "10.0.0.5:104", "PACS2": "pacs.example.org:11112"}}"#)
        #expect(fromFile.modalities == [DICOMNode(aeTitle: "PACS2", host: "pacs.example.org", port: 11112),
                                        DICOMNode(aeTitle: "WS1", host: "10.0.0.5", port: 104)])
        let fromEnvironment = try Settings.load(file: nil, environment: ["LIGHTBOX_MODALITIES": "A=h1:1, B=h2:65535"])
        #expect(fromEnvironment.modalities == [DICOMNode(aeTitle: "A", host: "h1", port: 1), DICOMNode(aeTitle: "B", host: "h2", port: 65535)])
        let fromList = try Self.load(json: #"{"modalities": ["C=h3:3"]}"#)
        #expect(fromList.modalities == [DICOMNode(aeTitle: "C", host: "h3", port: 3)])
        for bad in ["A=h1", "=h:1", "A=h:0", "A=h:99999", "A=:5", "NAME_LONGER_THAN_16=h:1"] {
            let message = Self.error(json: nil, environment: ["LIGHTBOX_MODALITIES": bad])
            #expect(message.contains("modalities"), "\(bad) → \(message)")
        }
    }

    @Test("the effective settings as JSON load back to the same settings")
    func jsonRoundTrip() throws {
        var s = try Self.load(json: """
            {"dicom": {"ae_title": "RT", "port": 4000, "allowed_callers": ["X@y"], "timeouts": {"pdu": 7.5},
                       "tls": {"certificate": "/c.pem", "private_key": "/k.pem"}},
             "modalities": {"WS": "ws:104"}, "storage": {"duplicates": "reject", "durability": "none"},
             "query": {"max_results": 9}, "log": {"level": "error"}, "demo": {"ct_slices": 3}}
            """)
        s.dataFolder = "/tmp/somewhere"
        let json = s.json
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["dicom"] as? [String: Any])?["port"] as? Int == 4000)
        let back = try Self.load(json: json)
        #expect(back.json == json)
        #expect(back.aeTitle == "RT")
        #expect(back.dicomPort == 4000)
        #expect(back.allowedCallers == ["X@y"])
        #expect(back.pduTimeout == 7.5)
        #expect(back.tlsCertificate == "/c.pem")
        #expect(back.tlsPrivateKey == "/k.pem")
        #expect(back.tlsCA == nil)
        #expect(back.modalities == [DICOMNode(aeTitle: "WS", host: "ws", port: 104)])
        #expect(back.duplicates == .reject)
        #expect(back.durability == ArchiveConfiguration.Durability.none)
        #expect(back.maximumQueryResults == 9)
        #expect(back.logLevel == .error)
        #expect(back.demoCTSlices == 3)
        #expect(back.dataFolder == "/tmp/somewhere")
        #expect(back.archiveConfiguration.storageFolder == "/tmp/somewhere/storage")
        // The defaults round-trip too.
        let defaults = try Settings.load(file: nil, environment: [:])
        #expect(try Self.load(json: defaults.json).json == defaults.json)
    }
}
