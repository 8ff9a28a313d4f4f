#if canImport(Glibc)
import Glibc
#endif
import DICOM
import DICOMNetwork

/// Options shared by find, move and get.
enum QueryRetrieveOptions {
    static let options: [Command.Option] = [
        .init(name: "--key", short: "-k", value: "KEY[=VALUE]", help: "A query key: keyword or gggg,eeee; repeatable."),
        .init(name: "--patient", short: "-P", value: nil, help: "Patient Root information model."),
        .init(name: "--study", short: "-S", value: nil, help: "Study Root information model (the default)."),
        .init(name: "--level", short: "-L", value: "LEVEL", help: "Query/Retrieve level: PATIENT, STUDY, SERIES or IMAGE (default STUDY)."),
    ]

    static func identifier(_ args: ParsedArguments) throws -> DataSet {
        var ds = DataSet()
        let level = (args.value("--level") ?? "STUDY").uppercased()
        guard ["PATIENT", "STUDY", "SERIES", "IMAGE"].contains(level) else {
            throw UsageError(description: "--level needs PATIENT, STUDY, SERIES or IMAGE")
        }
        ds.set(DataElement(tag: Tag(0x0008_0052), vr: .CS, string: level))
        for spec in args.all("--key") {
            do { try QueryKeys.apply(spec, to: &ds) } catch { throw UsageError(description: "\(error)") }
        }
        return ds
    }

    static func models(_ args: ParsedArguments) -> (find: String, move: String, get: String) {
        args.has("--patient")
            ? (QueryRetrieveModel.patientRootFind, QueryRetrieveModel.patientRootMove, QueryRetrieveModel.patientRootGet)
            : (QueryRetrieveModel.studyRootFind, QueryRetrieveModel.studyRootMove, QueryRetrieveModel.studyRootGet)
    }
}

// MARK: find

let findCommand = Command(
    name: "find",
    summary: "Query a DICOM peer with C-FIND (like findscu); prints each match.",
    usage: "find [options] --aec AET HOST PORT -k KEY[=VALUE]...",
    options: NetworkOptions.client + QueryRetrieveOptions.options + [
        .init(name: "--json", short: "-j", value: nil, help: "Print the matches as DICOM JSON, one per line."),
        .init(name: "--cancel-after", short: nil, value: "N", help: "Send C-CANCEL after N matches."),
        .init(name: "--repeat", short: nil, value: "N",
              help: "Send the query N times on one association and print its latency (matches printed once)."),
        .init(name: "--quiet", short: "-q", value: nil, help: "Do not print the matches."),
    ],
    details: "Exit status: 0 when the query ended with success (or was cancelled as asked), 1 otherwise.",
    run: runFind)

func runFind(_ args: ParsedArguments) throws -> Int32 {
    let (host, port, rest) = try NetworkOptions.endpoint(args, command: "find")
    guard rest.isEmpty else { throw UsageError(description: "find takes HOST and PORT; keys go with -k") }
    let identifier = try QueryRetrieveOptions.identifier(args)
    let model = QueryRetrieveOptions.models(args).find
    let cancelAfter = args.value("--cancel-after").flatMap(Int.init)
    var repeats = 1
    if let r = args.value("--repeat") {
        guard let v = Int(r), (1...100_000).contains(v) else { throw UsageError(description: "--repeat needs 1 to 100000") }
        repeats = v
    }
    let quiet = args.has("--quiet")
    var count = 0
    do {
        let association = try NetworkOptions.associate(args, host: host, port: port, contexts: [
            PresentationContextRQ(id: 1, abstractSyntax: model, transferSyntaxes: nativeSyntaxes),
        ])
        var final = DIMSECommand(.cFindRSP, hasDataSet: false)
        var latencies: [Double] = []
        for round in 0..<repeats {
            count = 0
            let start = monotonicNow()
            final = try association.find(identifier, model: model) { match in
                count += 1
                if quiet || round > 0 {
                } else if args.has("--json") {
                    Output.line(DICOMJSON.encode(match))
                } else {
                    Output.line("# match \(count)")
                    DataSetDump().write(match, depth: 0, to: &Output.buffer)
                }
                return cancelAfter.map { count < $0 } ?? true
            }
            latencies.append(monotonicNow() - start)
        }
        try association.release()
        if args.value("--repeat") != nil {
            let sorted = latencies.sorted()
            func ms(_ v: Double) -> String {
                let hundredths = Int((v * 100_000).rounded())
                return "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
            }
            printError("C-FIND x\(repeats): \(count) matches; latency ms min \(ms(sorted[0])), median \(ms(sorted[sorted.count / 2])), "
                       + "p95 \(ms(sorted[min(sorted.count - 1, sorted.count * 95 / 100)])), max \(ms(sorted[sorted.count - 1]))")
        }
        Output.flush()
        let status = final.status ?? .processingFailure
        if args.has("--verbose") || !status.isSuccess {
            printError("C-FIND: \(count) matches, final status \(status)" + (final.errorComment.map { ": \($0)" } ?? ""))
        }
        return status.isSuccess || (status == .cancel && cancelAfter != nil) ? 0 : 1
    } catch {
        Output.flush()
        printError("lightbox find: \(host):\(port): \(error)")
        return 1
    }
}

// MARK: move

let moveCommand = Command(
    name: "move",
    summary: "Ask a DICOM peer to send the matches to an AE with C-MOVE (like movescu).",
    usage: "move [options] --aec AET --move DEST HOST PORT -k KEY=VALUE...",
    options: NetworkOptions.client + QueryRetrieveOptions.options + [
        .init(name: "--move", short: "-aem", value: "AET", help: "The destination AE title (the peer must know its address)."),
    ],
    details: "Exit status: 0 when every sub-operation completed, 1 otherwise.",
    run: runMove)

func runMove(_ args: ParsedArguments) throws -> Int32 {
    let (host, port, rest) = try NetworkOptions.endpoint(args, command: "move")
    guard rest.isEmpty else { throw UsageError(description: "move takes HOST and PORT; keys go with -k") }
    let destination = try NetworkOptions.aeTitle(args, "--move", default: try NetworkOptions.aeTitle(args, "--aet", default: "LIGHTBOX"))
    let identifier = try QueryRetrieveOptions.identifier(args)
    let model = QueryRetrieveOptions.models(args).move
    do {
        let association = try NetworkOptions.associate(args, host: host, port: port, contexts: [
            PresentationContextRQ(id: 1, abstractSyntax: model, transferSyntaxes: nativeSyntaxes),
        ])
        let final = try association.move(identifier, model: model, destination: destination) { counts in
            if args.has("--verbose") { printError("C-MOVE pending: \(counts)") }
            return true
        }
        try association.release()
        return report("C-MOVE", final, verbose: args.has("--verbose"))
    } catch {
        printError("lightbox move: \(host):\(port): \(error)")
        return 1
    }
}

func report(_ what: String, _ final: DIMSECommand, verbose: Bool) -> Int32 {
    let status = final.status ?? .processingFailure
    let counts = final.suboperations ?? SuboperationCounts()
    Output.line("\(what): \(counts.completed) completed, \(counts.failed) failed, \(counts.warning) warning; status \(status)"
                + (final.errorComment.map { ": \($0)" } ?? ""))
    Output.flush()
    return status.isSuccess ? 0 : 1
}

// MARK: get

let getCommand = Command(
    name: "get",
    summary: "Retrieve the matches over the same association with C-GET (like getscu), into a folder.",
    usage: "get [options] --aec AET --out DIR HOST PORT -k KEY=VALUE...",
    options: NetworkOptions.client + QueryRetrieveOptions.options + [
        .init(name: "--out", short: "-o", value: "DIR", help: "Folder for the received files (default: the current folder)."),
        .init(name: "--sop-class", short: nil, value: "UID",
              help: "Storage SOP class to propose (repeatable; default: the common ones)."),
        .init(name: "--no-fsync", short: nil, value: nil, help: "Do not fsync the received files."),
    ],
    details: "Exit status: 0 when every sub-operation completed, 1 otherwise.",
    run: runGet)

/// Storage classes proposed by `get` when none is named: the ones modalities and archives send most, most common
/// first (as many as fit in the contexts a negotiation allows; name others with --sop-class).
let commonStorageClasses: [String] = [
    "1.2.840.10008.5.1.4.1.1.2",       // CT
    "1.2.840.10008.5.1.4.1.1.4",       // MR
    "1.2.840.10008.5.1.4.1.1.1",       // CR
    "1.2.840.10008.5.1.4.1.1.1.1",     // DX for presentation
    "1.2.840.10008.5.1.4.1.1.1.2",     // MG for presentation
    "1.2.840.10008.5.1.4.1.1.6.1",     // US
    "1.2.840.10008.5.1.4.1.1.3.1",     // US multi-frame
    "1.2.840.10008.5.1.4.1.1.7",       // Secondary capture
    "1.2.840.10008.5.1.4.1.1.12.1",    // XA
    "1.2.840.10008.5.1.4.1.1.20",      // NM
    "1.2.840.10008.5.1.4.1.1.128",     // PET
    "1.2.840.10008.5.1.4.1.1.2.1",     // Enhanced CT
    "1.2.840.10008.5.1.4.1.1.4.1",     // Enhanced MR
    "1.2.840.10008.5.1.4.1.1.12.2",    // RF
    "1.2.840.10008.5.1.4.1.1.88.33",   // Comprehensive SR
]

/// The encapsulated syntaxes `get` proposes alongside the native ones, so that compressed instances arrive as
/// stored: the common ones, each in a context of its own.
let compressedSyntaxes: [String] = [
    "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5",
]

func runGet(_ args: ParsedArguments) throws -> Int32 {
    let (host, port, rest) = try NetworkOptions.endpoint(args, command: "get")
    guard rest.isEmpty else { throw UsageError(description: "get takes HOST and PORT; keys go with -k") }
    let identifier = try QueryRetrieveOptions.identifier(args)
    let model = QueryRetrieveOptions.models(args).get
    let out = args.value("--out") ?? "."
    try makeDirectories(out)
    let classes = args.all("--sop-class").isEmpty ? commonStorageClasses : args.all("--sop-class")
    // Per class, a native context and one context per compressed syntax (the SCP picks one syntax per context, so
    // a list in one context would get one of them only), as many classes as fit in the 128 contexts allowed.
    var contexts = [PresentationContextRQ(id: 1, abstractSyntax: model, transferSyntaxes: nativeSyntaxes)]
    let perClass = 1 + compressedSyntaxes.count
    for sopClass in classes where contexts.count + perClass <= 128 {
        contexts.append(PresentationContextRQ(id: UInt8(2 * contexts.count + 1), abstractSyntax: sopClass, transferSyntaxes: nativeSyntaxes))
        for syntax in compressedSyntaxes {
            contexts.append(PresentationContextRQ(id: UInt8(2 * contexts.count + 1), abstractSyntax: sopClass, transferSyntaxes: [syntax]))
        }
    }
    let roles = classes.map { RoleSelection(sopClassUID: $0, scuRole: false, scpRole: true) }
    let verbose = args.has("--verbose")
    let storage = FolderStorage(folder: out, fsync: !args.has("--no-fsync")) { path, _, _ in
        if verbose { printError("received \(path)") }
    }
    do {
        let association = try NetworkOptions.associate(args, host: host, port: port, contexts: contexts, roles: roles)
        let final = try association.get(identifier, model: model, storage: storage) { counts in
            if verbose { printError("C-GET pending: \(counts)") }
            return true
        }
        try association.release()
        return report("C-GET", final, verbose: verbose)
    } catch {
        printError("lightbox get: \(host):\(port): \(error)")
        return 1
    }
}
