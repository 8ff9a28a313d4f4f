#if canImport(Glibc)
import Glibc
#endif
import DICOM
import DICOMNetwork
import DICOMQuery

/// `lightbox receive`: a storage SCP writing what it receives into a folder (like DCMTK's storescp).
let receiveCommand = Command(
    name: "receive",
    summary: "Run a storage SCP that writes what it receives into a folder, and answers C-FIND/C-MOVE/C-GET about it.",
    usage: "receive --port PORT --out DIR [options]",
    options: [
        .init(name: "--port", short: "-p", value: "PORT", help: "Port to listen on."),
        .init(name: "--out", short: "-o", value: "DIR", help: "Folder to write into (created if missing)."),
        .init(name: "--aet", short: "-aet", value: "AET", help: "Our AE title (default LIGHTBOX); other called AE titles are refused."),
        .init(name: "--host", short: nil, value: "ADDRESS", help: "Address to listen on (default 127.0.0.1; 0.0.0.0 for all)."),
        .init(name: "--allow", short: nil, value: "AET[@HOST]",
              help: "Allow a calling AE title (* for any), optionally from one host; repeatable. Default: any AE from this host."),
        .init(name: "--prefer-ours", short: nil, value: nil, help: "Choose transfer syntaxes in our order rather than the requestor's."),
        .init(name: "--no-fsync", short: nil, value: nil, help: "Do not fsync files before answering (faster, not durable)."),
        .init(name: "--modality", short: nil, value: "AET=HOST:PORT", help: "A C-MOVE destination; repeatable."),
        .init(name: "--case-insensitive-names", short: nil, value: nil, help: "Match person names regardless of case."),
        .init(name: "--max-associations", short: nil, value: "N", help: "Associations at once (default 32)."),
        .init(name: "--max-pdu", short: "-pdu", value: "BYTES", help: "Largest PDU we receive (default 262144)."),
        .init(name: "--artim", short: nil, value: "SECONDS", help: "Wait for the A-ASSOCIATE-RQ and for the close (default 30)."),
        .init(name: "--idle-timeout", short: nil, value: "SECONDS", help: "Close associations idle this long (default 300)."),
        .init(name: "--pdu-timeout", short: nil, value: "SECONDS", help: "Time to receive a PDU once begun (default 60)."),
        .init(name: "--verbose", short: "-v", value: nil, help: "Log every association and instance."),
    ] + NetworkOptions.tls + [
        .init(name: "--tls-require-client-cert", short: nil, value: nil, help: "Refuse TLS clients without a certificate the CA signed."),
    ],
    details: """
    Every storage SOP class is accepted, in the transfer syntax it is sent in; files are named by their SOP
    instance UID and written durably (fsync) before the success status is sent. The folder's instances (those
    there at start and those received) answer C-FIND, C-MOVE and C-GET in the Patient and Study Root models.
    Runs until SIGINT or SIGTERM.
    """,
    run: runReceive)

func runReceive(_ args: ParsedArguments) throws -> Int32 {
    guard let portText = args.value("--port"), let port = Int(portText), (0...65535).contains(port) else {
        throw UsageError(description: "receive needs --port PORT")
    }
    guard let out = args.value("--out") else { throw UsageError(description: "receive needs --out DIR") }
    try makeDirectories(out)
    let verbose = args.has("--verbose")
    var configuration = ServerConfiguration(aeTitle: try NetworkOptions.aeTitle(args, "--aet", default: "LIGHTBOX"), port: port)
    configuration.host = args.value("--host") ?? "127.0.0.1"
    configuration.policy.preferOurTransferSyntaxOrder = args.has("--prefer-ours")
    configuration.policy.extendedNegotiation = QueryRetrieveModel.extendedNegotiationReply
    configuration.policy.maximumPDULength = try NetworkOptions.maximumPDU(args)
    let allowed = args.all("--allow")
    if !allowed.isEmpty {
        configuration.policy.allowedCallers = allowed.map { spec in
            let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
            return AllowedCaller(aeTitle: parts[0], hosts: parts.count > 1 ? [parts[1]] : nil)
        }
    }
    if let n = args.value("--max-associations") {
        guard let v = Int(n), v >= 1, v <= 1000 else { throw UsageError(description: "--max-associations needs 1 to 1000") }
        configuration.maximumAssociations = v
    }
    func seconds(_ name: String) throws -> Double? {
        guard let text = args.value(name) else { return nil }
        guard let v = Double(text), v > 0, v <= 86400 else { throw UsageError(description: "\(name) needs seconds") }
        return v
    }
    if let v = try seconds("--artim") { configuration.timeouts.artim = v }
    if let v = try seconds("--idle-timeout") { configuration.timeouts.idle = v }
    if let v = try seconds("--pdu-timeout") { configuration.timeouts.pdu = v }
    configuration.wrapConnection = try TLSOptions.serverWrapper(args)
    let log = NetworkOptions.logger(verbose: verbose)
    var destinations: [DICOMNode] = []
    for spec in args.all("--modality") {
        guard let node = DICOMNode(parsing: spec) else { throw UsageError(description: "--modality needs AET=HOST:PORT, got \(spec)") }
        destinations.append(node)
    }
    let index = MemoryIndex(retrieveAETitle: configuration.policy.aeTitle)
    try forEachFile(out) { path in
        guard path.hasSuffix(".dcm"), let file = try? DICOMFile.open(path, options: .headerOnly) else { return }
        index.add(path: path, header: file.dataSet, transferSyntaxUID: file.transferSyntax.uid)
    }
    let storage = FolderStorage(folder: out, fsync: !args.has("--no-fsync")) { path, request, header in
        if let header = header ?? (try? DICOMFile.open(path, options: .headerOnly))?.dataSet {
            index.add(path: path, header: header, transferSyntaxUID: request.transferSyntax)
        }
        if verbose { printError("stored \(request.sopInstanceUID) -> \(path)") }
    }
    let queryRetrieve = FolderQueryRetrieve(index: index, destinations: destinations,
                                            options: MatchingOptions(caseInsensitivePersonNames: args.has("--case-insensitive-names")))
    var services = ServiceSet(storage: storage, query: queryRetrieve, retrieve: queryRetrieve)
    services.queryModels = [QueryRetrieveModel.patientRootFind, QueryRetrieveModel.studyRootFind]
    let waitForSignal = blockTerminationSignals()
    let server: DICOMServer
    do {
        server = try DICOMServer(configuration: configuration, services: services, log: log)
    } catch {
        printError("lightbox receive: \(error)")
        return 1
    }
    printError("lightbox receive: \(configuration.policy.aeTitle) listening on \(configuration.host ?? "*"):\(server.port), writing to \(out) (\(index.count) instances there)")
    let signal = waitForSignal()
    printError("lightbox receive: signal \(signal), stopping")
    server.stop()
    let stats = server.statistics
    printError("lightbox receive: \(stats.accepted) associations served, \(stats.rejected) refused")
    return 0
}
