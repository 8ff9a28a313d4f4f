#if canImport(Glibc)
import Glibc
#endif
import DICOMNetwork
import Server

/// `lightbox serve`: the PACS.
let serveCommand = Command(
    name: "serve",
    summary: "Run the PACS: archive, DICOM storage, query and retrieve (demo studies on first start).",
    usage: "serve [--config FILE] [--data DIR] [--dicom-port PORT] [--http-port PORT] [--aet AET] [--modality AET=HOST:PORT]...",
    options: [
        .init(name: "--config", short: "-c", value: "FILE", help: "JSON configuration file (see --help-config)."),
        .init(name: "--data", short: nil, value: "DIR", help: "Archive folder (data_folder)."),
        .init(name: "--dicom-port", short: nil, value: "PORT", help: "DICOM port (dicom.port)."),
        .init(name: "--http-port", short: nil, value: "PORT", help: "HTTP port (http.port), default 8080."),
        .init(name: "--aet", short: nil, value: "AET", help: "Our AE title (dicom.ae_title)."),
        .init(name: "--host", short: nil, value: "ADDRESS", help: "Address to listen on (dicom.host)."),
        .init(name: "--modality", short: nil, value: "AET=HOST:PORT", help: "A C-MOVE destination (added to modalities); repeatable."),
        .init(name: "--no-demo", short: nil, value: nil, help: "Do not load the demo studies on first start."),
        .init(name: "--print-config", short: nil, value: nil, help: "Print the effective configuration as JSON and exit."),
        .init(name: "--help-config", short: nil, value: nil, help: "List every configuration key and its environment variable."),
    ],
    details: """
    With no configuration at all, Lightbox keeps its data in ./lightbox-data and listens for DICOM on
    127.0.0.1:11112 as LIGHTBOX. Each key of the JSON configuration can be overridden by an environment
    variable, LIGHTBOX_ and the key path in capitals with dots as underscores (dicom.port: LIGHTBOX_DICOM_PORT);
    command-line options override both. Logs are JSON lines on standard error. SIGTERM or SIGINT stops it
    gracefully.
    """,
    run: runServe)

func runServe(_ args: ParsedArguments) throws -> Int32 {
    if args.has("--help-config") {
        for setting in Settings.keys {
            Output.line(setting.path.padding(to: 40) + setting.environment)
            Output.line("    " + setting.help)
        }
        Output.flush()
        return 0
    }
    var overrides: [(String, String)] = []
    if let v = args.value("--data") { overrides.append(("data_folder", v)) }
    if let v = args.value("--dicom-port") { overrides.append(("dicom.port", v)) }
    if let v = args.value("--http-port") { overrides.append(("http.port", v)) }
    if let v = args.value("--aet") { overrides.append(("dicom.ae_title", v)) }
    if let v = args.value("--host") { overrides.append(("dicom.host", v)) }
    if args.has("--no-demo") { overrides.append(("demo.load_on_first_start", "false")) }
    var settings: Settings
    do {
        settings = try Settings.load(file: args.value("--config"), environment: environment(), overrides: overrides)
        for spec in args.all("--modality") {
            guard let node = DICOMNode(parsing: spec) else { throw SettingsError("--modality needs AET=HOST:PORT, got \(spec)") }
            settings.modalities.removeAll { $0.aeTitle == node.aeTitle }
            settings.modalities.append(node)
        }
    } catch {
        printError("lightbox serve: configuration: \(error)")
        return 2
    }
    if args.has("--print-config") {
        Output.line(settings.json)
        Output.flush()
        return 0
    }
    let log = JSONLog(level: settings.logLevel)
    let waitForSignal = blockTerminationSignals()
    let server: LightboxServer
    do {
        server = try LightboxServer(settings: settings, log: log)
    } catch {
        log.log(.error, "server", "cannot start: \(error)")
        printError("lightbox serve: \(error)")
        return 1
    }
    let signal = waitForSignal()
    log.log(.info, "server", "signal \(signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : String(signal))")
    server.stop()
    return 0
}

/// The process environment as a dictionary.
func environment() -> [String: String] {
    var out: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
        let s = String(cString: entry)
        if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
        p += 1
    }
    return out
}
