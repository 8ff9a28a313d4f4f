import Archive
import DICOM
import DICOMCore
import HTTP

/// STOW-RS (PS3.18 §10.5): `multipart/related` of Part 10 files (`application/dicom`), or of DICOM JSON with
/// bulk data parts (`application/dicom+json`). Each instance goes through the same ingest as a C-STORE: streamed
/// to storage, made durable and indexed before it is reported stored.
extension DICOMWebService {
    /// One instance's outcome, for the response's Referenced and Failed SOP Sequences.
    struct StoreOutcome {
        var sopClassUID: String
        var sopInstanceUID: String
        var studyInstanceUID: String?
        var seriesInstanceUID: String?
        /// nil when stored; otherwise the Failure Reason (PS3.18 Table 10.5.3-2) and why.
        var failure: (code: UInt16, reason: String)?
    }

    /// A part received: its outcome, or its instance still being made durable and indexed in the background
    /// while the next part arrives.
    enum ReceivedPart {
        case done(StoreOutcome)
        case finishing(PendingIngest, sopClass: String, sop: String)

        /// Waits for the outcome.
        var outcome: StoreOutcome {
            switch self {
            case .done(let o): return o
            case .finishing(let pending, let sopClass, let sop):
                switch pending.wait() {
                case .success(let outcome):
                    return StoreOutcome(sopClassUID: sopClass, sopInstanceUID: sop, studyInstanceUID: outcome.instance.studyInstanceUID,
                                        seriesInstanceUID: outcome.instance.seriesInstanceUID)
                case .failure(let error):
                    return StoreOutcome(sopClassUID: sopClass, sopInstanceUID: sop, failure: (DICOMWebService.failureCode(error), error.message))
                }
            }
        }
    }

    /// Parts whose instances are finished in the background, at most `inFlight` at once; outcomes in part order.
    struct PartQueue {
        static let inFlight = 8
        var parts: [ReceivedPart] = []
        var outcomes: [StoreOutcome] = []

        mutating func add(_ part: ReceivedPart) {
            parts.append(part)
            while parts.count > Self.inFlight { outcomes.append(parts.removeFirst().outcome) }
        }

        mutating func settle() -> [StoreOutcome] {
            outcomes += parts.map(\.outcome)
            parts = []
            return outcomes
        }
    }

    func store(_ request: HTTPRequest, study: String?) throws(HTTPError) -> HTTPResponse {
        if let study { try checkUID(study) }
        // Compressed request bodies are not taken: inflating one is how a small request becomes a huge one.
        if let encoding = request.header("content-encoding"), encoding.lowercased() != "identity" {
            throw HTTPError(415, "Content-Encoding \(encoding) is not accepted; send the multipart body as it is")
        }
        guard let contentType = request.header("content-type"), let media = MediaType.parse(contentType) else {
            throw HTTPError(415, "STOW-RS takes multipart/related; type=\"application/dicom\" (or application/dicom+json); no Content-Type was given")
        }
        guard media.essence == "multipart/related" else {
            throw HTTPError(415, "STOW-RS takes multipart/related, not \(media.essence)")
        }
        let type = (media.parameter("type") ?? "application/dicom").lowercased()
        guard type == "application/dicom" || type == "application/dicom+json" else {
            throw HTTPError(415, "STOW-RS takes parts of application/dicom or application/dicom+json, not \(type)")
        }
        guard let boundary = media.parameter("boundary"), !boundary.isEmpty, boundary.utf8.count <= 70 else {
            throw HTTPError(400, "the multipart Content-Type has no boundary (RFC 2046 §5.1.1: 1 to 70 characters)")
        }
        let reader = MultipartReader(body: request.body, boundary: boundary)
        var queue = PartQueue()
        var bodyError: HTTPError?
        do {
            if type == "application/dicom+json" {
                try storeJSON(reader, study: study, into: &queue)
            } else {
                while let fields = try reader.nextPart() {
                    let partType = fields.first { $0.name == "content-type" }.flatMap { MediaType.parse($0.value) }?.essence ?? type
                    guard partType == "application/dicom" else {
                        queue.add(.done(StoreOutcome(sopClassUID: "", sopInstanceUID: "", failure: (0xC000, "a part of \(partType) in a request of application/dicom"))))
                        continue
                    }
                    queue.add(try storePart(study: study) { (b) throws(HTTPError) -> Int in try reader.read(into: b) })
                }
            }
        } catch {
            // The body broke off (or was malformed) after some parts: what was stored stays stored and is reported.
            bodyError = error
        }
        // Every instance of the request durable and indexed (or refused) before the answer.
        let outcomes = queue.settle()
        if let bodyError, !outcomes.contains(where: { $0.failure == nil }) {
            throw bodyError
        }
        if outcomes.isEmpty { throw HTTPError(400, "the multipart body holds no instance") }
        return storeResponse(outcomes, study: study, request: request, bodyError: bodyError)
    }

    /// An `application/dicom` part: the file meta information first (to learn the instance's UIDs and syntax),
    /// then the data set streamed into the archive.
    func storePart(study: String?, read: (UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int) throws(HTTPError) -> ReceivedPart {
        var prefix: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { chunk.deallocate() }
        func readMore(_ atLeast: Int) throws(HTTPError) -> Bool {
            while prefix.count < atLeast {
                let n = try read(chunk)
                if n == 0 { return false }
                prefix += chunk[0..<n]
            }
            return true
        }
        func failed(_ code: UInt16, _ reason: String, _ sopClass: String = "", _ sop: String = "") -> ReceivedPart {
            .done(StoreOutcome(sopClassUID: sopClass, sopInstanceUID: sop, failure: (code, reason)))
        }
        guard try readMore(144), prefix[128..<132].elementsEqual("DICM".utf8),
              prefix[132] == 0x02, prefix[133] == 0x00, prefix[134] == 0x00, prefix[135] == 0x00 else {
            return failed(0xC000, "the part is not a DICOM Part 10 file (no DICM prefix and file meta information)")
        }
        let groupLength = Int(prefix[140]) | Int(prefix[141]) << 8 | Int(prefix[142]) << 16 | Int(prefix[143]) << 24
        guard groupLength <= 64 * 1024, try readMore(144 + groupLength) else {
            return failed(0xC000, "the file meta information is cut short or longer than 64 KiB")
        }
        let metaEnd = 144 + groupLength
        let meta: DataSet
        do { meta = try DICOMFile.fileMetaInformation(prefix: Bytes(Array(prefix[0..<metaEnd]))) } catch {
            return failed(0xC000, "the file meta information cannot be read: \(error)")
        }
        var sopClass = meta.string(.mediaStorageSOPClassUID) ?? ""
        var sop = meta.string(.mediaStorageSOPInstanceUID) ?? ""
        let syntax = meta.string(.transferSyntaxUID) ?? ""
        // The data set decides which instance this is, as it does for a C-STORE and an import: some writers leave
        // a stale Media Storage SOP Instance UID in the file meta.
        let whole = try !readMore(metaEnd + 64 * 1024)
        let ts = TransferSyntax.resolving(uid: syntax)
        let dataSetBytes = Bytes(Array(prefix[metaEnd...]))
        let header = whole && !ts.isDeflated ? try? DICOMFile.parseDataSet(dataSetBytes, transferSyntax: ts)
                                             : DICOMFile.parseHeader(prefix: dataSetBytes, transferSyntax: ts)
        if let header, let uid = header.string(.sopInstanceUID), !uid.isEmpty {
            sop = uid
            if let c = header.string(.sopClassUID), !c.isEmpty { sopClass = c }
        }
        guard !sopClass.isEmpty, !sop.isEmpty, !syntax.isEmpty, (try? checkUID(sop)) != nil else {
            return failed(0xC000, "the file meta information lacks a valid SOP Class, SOP Instance or Transfer Syntax UID", sopClass, sop)
        }
        let ingest: Ingest
        do {
            ingest = try archive.beginIngest(sopClassUID: sopClass, sopInstanceUID: sop, transferSyntaxUID: syntax,
                                             sourceAETitle: nil, fileMetaInformation: Array(prefix[0..<metaEnd]),
                                             finishElsewhere: true)
        } catch {
            return failed(Self.failureCode(error), error.message, sopClass, sop)
        }
        if let study {
            ingest.requirement = { header in
                let uid = header.string(.studyInstanceUID) ?? ""
                return uid == study ? nil : "the instance belongs to study \(uid), not to \(study) where it was sent"
            }
        }
        do {
            try prefix[metaEnd...].withUnsafeBytes { b in try ingest.write(b) }
            prefix = []
            while true {
                let n = try read(chunk)
                if n == 0 { break }
                try ingest.write(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            }
        } catch let error as ArchiveError {
            ingest.cancel()
            return failed(Self.failureCode(error), error.message, sopClass, sop)
        } catch {
            // The body failed mid-part: nothing of this instance is kept.
            ingest.cancel()
            throw error as! HTTPError
        }
        return .finishing(pipeline.finish(ingest), sopClass: sopClass, sop: sop)
    }

    /// Failure Reason codes (PS3.18 Table 10.5.3-2, after PS3.4 C-STORE statuses).
    static func failureCode(_ error: ArchiveError) -> UInt16 {
        switch error.kind {
        case .full: return 0xA700
        case .invalid: return error.message.contains("cannot be read") ? 0xC000 : 0xA900
        case .duplicate: return 0x0111
        case .failed: return 0x0110
        }
    }

    /// The response: Retrieve URL of the study, a Referenced SOP Sequence item per stored instance and a
    /// Failed SOP Sequence item per failure; 200 when all were stored, 202 when some, 409 when none (PS3.18
    /// §10.5.3). Each failure's reason also goes out as a Warning header field.
    func storeResponse(_ outcomes: [StoreOutcome], study: String?, request: HTTPRequest, bodyError: HTTPError?) -> HTTPResponse {
        let base = baseURL(request)
        var ds = DataSet()
        let stored = outcomes.filter { $0.failure == nil }
        let studyUID = study ?? (Set(stored.compactMap(\.studyInstanceUID)).count == 1 ? stored.first?.studyInstanceUID : nil)
        if let studyUID { ds.set(DataElement(tag: Tag(0x0008_1190), vr: .UR, string: base + "/studies/" + studyUID)) }
        var referenced: [DataSet] = []
        var failed: [DataSet] = []
        var warnings: [(name: String, value: String)] = []
        for o in outcomes {
            var item = DataSet()
            item.set(DataElement(tag: Tag(0x0008_1150), vr: .UI, string: o.sopClassUID))
            item.set(DataElement(tag: Tag(0x0008_1155), vr: .UI, string: o.sopInstanceUID))
            if let failure = o.failure {
                item.set(DataElement(tag: Tag(0x0008_1197), vr: .US, integers: [failure.code]))
                failed.append(item)
                let reason = failure.reason.replacingAll("\"", with: "'").filter { $0.isASCII && !$0.isNewline }
                warnings.append(("Warning", "299 lightbox \"\(o.sopInstanceUID.isEmpty ? "part" : o.sopInstanceUID): \(reason.prefix(300))\""))
            } else {
                if let st = o.studyInstanceUID, let se = o.seriesInstanceUID {
                    item.set(DataElement(tag: Tag(0x0008_1190), vr: .UR,
                                         string: base + "/studies/\(st)/series/\(se)/instances/\(o.sopInstanceUID)"))
                }
                referenced.append(item)
            }
        }
        if let bodyError {
            var item = DataSet()
            item.set(DataElement(tag: Tag(0x0008_1197), vr: .US, integers: [UInt16(0xC000)]))
            failed.append(item)
            warnings.append(("Warning", "299 lightbox \"\(bodyError.reason.replacingAll("\"", with: "'").prefix(300))\""))
        }
        if !referenced.isEmpty { ds.set(DataElement(tag: Tag(0x0008_1199), items: referenced)) }
        if !failed.isEmpty { ds.set(DataElement(tag: Tag(0x0008_1198), items: failed)) }
        let status = failed.isEmpty ? 200 : referenced.isEmpty ? 409 : 202
        var response = HTTPResponse.json(DICOMJSON.encode(ds), status: status, contentType: "application/dicom+json")
        response.headers += warnings.prefix(20)
        return response
    }

    /// `application/dicom+json` parts (each an array of data sets) and the bulk data parts their BulkDataURIs
    /// name by Content-Location. The metadata and bulk data are held in memory (each part within
    /// `maximumJSONPartBytes`), then each data set becomes a Part 10 file and is stored as any other.
    func storeJSON(_ reader: MultipartReader, study: String?, into outcomes: inout PartQueue) throws(HTTPError) {
        let limit = configuration.maximumJSONPartBytes
        var objects: [JSONValue] = []
        var bulk: [String: (bytes: [UInt8], type: MediaType?)] = [:]
        var total = 0
        while let fields = try reader.nextPart() {
            let type = fields.first { $0.name == "content-type" }.flatMap { MediaType.parse($0.value) }
            let location = fields.first { $0.name == "content-location" }?.value
            let bytes = try reader.collectPart(limit: limit)
            total += bytes.count
            guard total <= 4 * limit else { throw HTTPError(413, "metadata and bulk data exceed the \(4 * limit) bytes held for one request") }
            if type == nil || type?.essence == "application/dicom+json" || type?.essence == "application/json" {
                let value: JSONValue
                do { value = try JSONParser.parse(bytes) } catch { throw HTTPError(400, "a metadata part is not JSON: \(error)") }
                if let array = value.array { objects += array } else { objects.append(value) }
            } else {
                guard let location, !location.isEmpty else {
                    throw HTTPError(400, "a bulk data part has no Content-Location for a BulkDataURI to name it by")
                }
                bulk[location] = (bytes, type)
            }
        }
        for object in objects {
            // The pixel data's part says how it is encoded: native, or one compressed frame.
            let pixelURI = object["7FE00010"]?["BulkDataURI"]?.string
            var syntax = TransferSyntax.explicitVRLittleEndian
            if let uri = pixelURI, let part = bulk[uri], let type = part.type, type.essence != "application/octet-stream" {
                guard let uid = type.parameter("transfer-syntax") ?? PixelMediaTypes.defaultSyntax(for: type.essence),
                      let ts = TransferSyntax.from(uid: uid) else {
                    outcomes.add(.done(StoreOutcome(sopClassUID: "", sopInstanceUID: "", failure: (0xC122, "pixel data of \(type.essence) in no known transfer syntax"))))
                    continue
                }
                syntax = ts
            }
            var dataSet: DataSet
            do {
                dataSet = try DICOMJSON.decode(object) { uri in
                    guard let part = bulk[uri] else { throw HTTPError(400, "no part has the Content-Location \(uri)") }
                    return Bytes(part.bytes)
                }
            } catch {
                outcomes.add(.done(StoreOutcome(sopClassUID: "", sopInstanceUID: "", failure: (0xC000, "a data set cannot be read from its JSON: \(error)"))))
                continue
            }
            if syntax.isEncapsulated, let pixels = dataSet[.pixelData]?.bytes {
                let fragment = pixels.count & 1 == 1 ? Bytes(pixels.array + [0]) : pixels
                dataSet.set(DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(EncapsulatedPixelData(fragments: [fragment]))))
            }
            let sopClass = dataSet.string(.sopClassUID) ?? "", sop = dataSet.string(.sopInstanceUID) ?? ""
            let bytes: [UInt8]
            do {
                let file = DICOMFile(dataSet: dataSet, fileMetaInformation: DataSet(), transferSyntax: syntax)
                bytes = try file.encodedData(transferSyntax: syntax)
            } catch {
                outcomes.add(.done(StoreOutcome(sopClassUID: sopClass, sopInstanceUID: sop, failure: (0xC000, "the data set cannot be encoded: \(error)"))))
                continue
            }
            var position = 0
            outcomes.add(try storePart(study: study) { (b) throws(HTTPError) -> Int in
                let n = min(b.count, bytes.count - position)
                if n > 0 { bytes.withUnsafeBytes { b.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) } }
                position += n
                return n
            })
        }
    }
}
