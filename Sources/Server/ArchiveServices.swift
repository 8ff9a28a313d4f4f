import AdminAPI
import Archive
import DICOM
import DICOMNetwork
import ImageCodecs
import DICOMQuery

/// The archive as DICOM services: C-STORE into it, C-FIND over its index, C-MOVE and C-GET out of it. Every
/// request passes here with its association (who asks), where permissions and audit will hook in.
struct ArchiveServices: StorageService, QueryService, RetrieveService {
    let archive: Archive
    let settings: Settings
    /// Remote nodes added through the API, which are C-MOVE destinations too.
    let nodes: (any NodeStore)?
    let log: LogSink

    init(archive: Archive, settings: Settings, nodes: (any NodeStore)? = nil, log: @escaping LogSink) {
        self.archive = archive
        self.settings = settings
        self.nodes = nodes
        self.log = log
    }

    // MARK: C-STORE

    func beginStore(_ request: StoreRequest, on association: AssociationContext) throws(ServiceFailure) -> any StoreSink {
        do {
            let ingest = try archive.beginIngest(sopClassUID: request.sopClassUID, sopInstanceUID: request.sopInstanceUID,
                                                 transferSyntaxUID: request.transferSyntax, sourceAETitle: association.callingAETitle)
            return ArchiveStoreSink(ingest: ingest, request: request, association: association, log: log)
        } catch {
            log(.warning, "store of \(request.sopInstanceUID) from \(association.callingAETitle) refused: \(error.message)")
            throw ServiceFailure(ArchiveServices.status(for: error), error.message)
        }
    }

    /// C-STORE statuses (PS3.4 B.2.3) for what the archive refused.
    static func status(for error: ArchiveError) -> DIMSEStatus {
        switch error.kind {
        case .full: return .outOfResources
        case .invalid: return error.message.contains("cannot be read") ? .cannotUnderstand : .dataSetDoesNotMatchSOPClass
        case .duplicate: return .duplicateSOPInstance
        case .failed: return .processingFailure
        }
    }

    // MARK: C-FIND

    func find(_ request: FindRequest, on association: AssociationContext, respond: (DataSet) throws -> Bool) -> ServiceResult {
        var options = MatchingOptions(caseInsensitivePersonNames: settings.caseInsensitivePersonNames)
        options.combinedDateTime = request.combinedDateTimeMatching
        let model: InformationModel = QueryRetrieveModel.isPatientRoot(request.sopClassUID) ? .patientRoot : .studyRoot
        let query: Query
        do {
            query = try Query(identifier: request.identifier, model: model, options: options)
        } catch {
            return ServiceResult(.identifierDoesNotMatchSOPClass, comment: error.message)
        }
        if !request.relationalQueries, let problem = ArchiveServices.hierarchicalProblem(query) {
            return ServiceResult(.identifierDoesNotMatchSOPClass, comment: problem)
        }
        let limit = settings.maximumQueryResults > 0 ? settings.maximumQueryResults + 1 : nil
        var given = 0
        var cancelled = false
        var truncated = false
        do {
            try archive.index.find(query, limit: limit, offset: 0) { response in
                if given == settings.maximumQueryResults && settings.maximumQueryResults > 0 {
                    truncated = true
                    return false
                }
                given += 1
                guard try respond(response) else {
                    cancelled = true
                    return false
                }
                return true
            }
        } catch {
            log(.error, "C-FIND from \(association.callingAETitle) failed: \(error)")
            return ServiceResult(.unableToProcess, comment: error.description)
        }
        if cancelled { return ServiceResult(.cancel) }
        if truncated {
            return ServiceResult(.outOfResources, comment: "more than \(settings.maximumQueryResults) matches; narrow the query")
        }
        return .success
    }

    /// Without relational queries negotiated, a query below the top level gives the unique key of every level
    /// above it, with one value (PS3.4 C.4.1.2.2.1 hierarchical search).
    static func hierarchicalProblem(_ query: Query) -> String? {
        for level in query.model.levels where level < query.level {
            guard let values = query.uniqueValues(level), values.count == 1 else {
                let key = level.uniqueKey
                return "a \(query.level.rawValue) query needs one value of \(DataDictionary.keyword(for: key) ?? "\(key)") \(key) "
                    + "(hierarchical query; relational queries were not negotiated)"
            }
        }
        return nil
    }

    // MARK: C-MOVE, C-GET

    func instances(for request: RetrieveRequest, on association: AssociationContext) throws(ServiceFailure) -> [RetrievableInstance] {
        let model: InformationModel = QueryRetrieveModel.isPatientRoot(request.sopClassUID) ? .patientRoot : .studyRoot
        let query: Query
        do {
            query = try Query(identifier: request.identifier, model: model,
                              options: MatchingOptions(caseInsensitivePersonNames: settings.caseInsensitivePersonNames))
        } catch {
            throw ServiceFailure(.identifierDoesNotMatchSOPClass, error.message)
        }
        // A retrieve names what it wants by the unique key of its level (PS3.4 C.4.2.2.1, C.4.3.2.1).
        guard let values = query.uniqueValues(query.level), !values.isEmpty else {
            let key = query.level.uniqueKey
            throw ServiceFailure(.identifierDoesNotMatchSOPClass,
                                 "a \(query.level.rawValue) retrieve needs \(DataDictionary.keyword(for: key) ?? "\(key)") \(key)")
        }
        let stored: [StoredInstance]
        do { stored = try archive.index.instances(matching: query) } catch {
            throw ServiceFailure(.unableToProcess, error.description)
        }
        let archive = self.archive
        return stored.map { instance in
            RetrievableInstance(sopClassUID: instance.sopClassUID, sopInstanceUID: instance.sopInstanceUID,
                                transferSyntaxUID: instance.transferSyntaxUID) { headerOnly in
                try archive.file(for: instance, headerOnly: headerOnly)
            }
        }
    }

    /// Compressed instances go to peers that accept only native syntaxes decoded (and native ones encoded for
    /// peers that accept only a compressed syntax).
    var pixelConverter: PixelConverter? { { file, syntax in try file.transcodingPixels(to: syntax) } }

    /// A C-MOVE destination: the configuration's modalities first, then the DICOM nodes added through the API.
    func destination(for aeTitle: String) -> DICOMNode? {
        if let configured = settings.modalities.first(where: { $0.aeTitle == aeTitle }) { return configured }
        // Plain TCP only: a move to a TLS node would need the sub-association wrapped, which C-MOVE does not do yet.
        return ((try? nodes?.list()) ?? []).first { $0.kind == .dicom && $0.aeTitle == aeTitle && !$0.tls }?.dicomNode
    }
}

/// A C-STORE's data set on its way into the archive.
final class ArchiveStoreSink: StoreSink {
    let ingest: Ingest
    let request: StoreRequest
    let association: AssociationContext
    let log: LogSink

    init(ingest: Ingest, request: StoreRequest, association: AssociationContext, log: @escaping LogSink) {
        self.ingest = ingest
        self.request = request
        self.association = association
        self.log = log
    }

    func write(_ bytes: Bytes) throws {
        var failure: ArchiveError?
        bytes.withUnsafeBytes { buffer in
            do { try ingest.write(buffer) } catch { failure = error as? ArchiveError }
        }
        if let failure { throw failure }
    }

    func finish() -> ServiceResult {
        do {
            let outcome = try ingest.finish()
            log(.debug, "stored \(outcome.instance.sopInstanceUID) from \(association.callingAETitle)")
            return .success
        } catch {
            log(.warning, "store of \(request.sopInstanceUID) from \(association.callingAETitle) failed: \(error.message)")
            return ServiceResult(ArchiveServices.status(for: error), comment: error.message)
        }
    }

    func cancel() {
        ingest.cancel()
    }
}
