import Archive
import DICOM
import DICOMCore
import DICOMQuery
import HTTP
import ImageCodecs

/// WADO-RS retrieval (PS3.18 §10.4): instances as `multipart/related; type="application/dicom"`, metadata as
/// DICOM JSON from the headers recorded at ingest, frames and bulk data.
extension DICOMWebService {
    /// What the client accepts for instances: transfer syntaxes in its order of preference ("*" for as stored),
    /// and whether it asked for one bare `application/dicom` part (an instance resource only).
    struct InstanceAcceptance {
        var syntaxes: [String] = []
        var singlePart = false
    }

    func instanceAcceptance(_ request: HTTPRequest, level: QueryLevel) throws(HTTPError) -> InstanceAcceptance {
        var out = InstanceAcceptance()
        let explicitLE = TransferSyntax.explicitVRLittleEndian.uid
        for m in MediaType.acceptList(request.header("accept")) {
            if m.type == "multipart" && (m.subtype == "related" || m.subtype == "*") {
                let type = (m.parameter("type") ?? "application/dicom").lowercased()
                guard type == "application/dicom" || type == "*/*" || type == "application/*" else { continue }
                // PS3.18 §8.7.3.5.2: without a transfer-syntax parameter, Explicit VR Little Endian.
                out.syntaxes.append(m.parameter("transfer-syntax") ?? explicitLE)
            } else if m.essence == "application/dicom" {
                guard level == .image else { continue }
                out.singlePart = out.syntaxes.isEmpty
                out.syntaxes.append(m.parameter("transfer-syntax") ?? explicitLE)
            } else if m.essence == "*/*" {
                out.syntaxes.append(explicitLE)
            }
        }
        guard !out.syntaxes.isEmpty else {
            throw HTTPError(406, "instances are sent as multipart/related; type=\"application/dicom\"; Accept was '\(request.header("accept") ?? "")'")
        }
        for uid in out.syntaxes where uid != "*" {
            guard uid.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }),
                  TransferSyntax.from(uid: uid) != nil else {
                throw HTTPError(406, "transfer syntax '\(uid.prefix(80))' is not one Lightbox knows")
            }
        }
        return out
    }

    /// The syntax an instance is sent in: as stored when acceptable, else the first the codecs can produce.
    func outgoingSyntax(_ instance: StoredInstance, _ acceptance: InstanceAcceptance) -> String? {
        if acceptance.syntaxes.contains("*") || acceptance.syntaxes.contains(instance.transferSyntaxUID) {
            return instance.transferSyntaxUID
        }
        for uid in acceptance.syntaxes {
            let target = TransferSyntax.resolving(uid: uid)
            if !target.isEncapsulated || FrameEncoder.encodable.contains(uid) { return uid }
        }
        return nil
    }

    /// GET a study, series or instance.
    func retrieve(_ request: HTTPRequest, _ r: Resource) throws(HTTPError) -> HTTPResponse {
        let acceptance = try instanceAcceptance(request, level: r.level)
        let found = try instances(r)
        var plan: [(StoredInstance, String)] = []
        for instance in found {
            guard let syntax = outgoingSyntax(instance, acceptance) else {
                throw HTTPError(406, "instance \(instance.sopInstanceUID) is stored in \(instance.transferSyntaxUID) and cannot be "
                                + "converted to any syntax accepted (\(acceptance.syntaxes.joined(separator: ", ")))")
            }
            plan.append((instance, syntax))
        }
        let archive = self.archive
        if acceptance.singlePart, let (instance, syntax) = plan.first {
            if syntax == instance.transferSyntaxUID {
                return HTTPResponse(status: 200, headers: [("Content-Type", "application/dicom; transfer-syntax=\(syntax)")],
                                    body: .sized(instance.size) { write in
                    try? archive.readContents(of: instance) { write($0) }
                })
            }
            let bytes = try converted(instance, to: syntax)
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/dicom; transfer-syntax=\(syntax)")],
                                body: .bytes(bytes))
        }
        let multipart = MultipartWriter()
        let log = self.log
        let parts = plan
        let body: HTTPResponse.Body = .stream { write in
            for (instance, syntax) in parts {
                var fields: [(name: String, value: String)] = [("Content-Type", "application/dicom; transfer-syntax=\(syntax)")]
                if syntax == instance.transferSyntaxUID {
                    fields.append(("Content-Length", String(instance.size)))
                    guard multipart.partHead(fields).withUnsafeBytes({ write($0) }) else { return }
                    var open = true
                    do {
                        try archive.readContents(of: instance) { chunk in
                            open = write(chunk)
                            return open
                        }
                    } catch {
                        // Headers are sent: the client sees the multipart cut short, which it reports.
                        log("WADO-RS: \(error)")
                        return
                    }
                    guard open else { return }
                } else {
                    let bytes: [UInt8]
                    do { bytes = try self.converted(instance, to: syntax) } catch {
                        log("WADO-RS: \(error)")
                        return
                    }
                    fields.append(("Content-Length", String(bytes.count)))
                    guard multipart.partHead(fields).withUnsafeBytes({ write($0) }),
                          bytes.withUnsafeBytes({ write($0) }) else { return }
                }
                guard multipart.partEnd.withUnsafeBytes({ write($0) }) else { return }
            }
            _ = multipart.close.withUnsafeBytes { write($0) }
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", multipart.contentType(type: "application/dicom"))], body: body)
    }

    /// An instance re-encoded in another transfer syntax: pixel data decoded or encoded by the codecs.
    func converted(_ instance: StoredInstance, to uid: String) throws(HTTPError) -> [UInt8] {
        let target = TransferSyntax.resolving(uid: uid)
        do {
            let file = try archive.file(for: instance)
            return try file.transcodingPixels(to: target).encodedData(transferSyntax: target)
        } catch {
            throw HTTPError(500, "instance \(instance.sopInstanceUID) cannot be converted to \(target.name): \(error)")
        }
    }

    // MARK: Metadata

    /// GET …/metadata: every instance's DICOM JSON as prepared at ingest (PreparedMetadata), joined into one
    /// array with the request's base URL in its BulkDataURIs. No file is read and no header decoded.
    func metadata(_ request: HTTPRequest, _ r: Resource) throws(HTTPError) -> HTTPResponse {
        try checkAccepts(request, json: true)
        let rows: [(instance: StoredInstance, metadata: InstanceMetadata)]
        do { rows = try archive.index.metadata(matching: query(for: r)) } catch {
            throw HTTPError(503, "the index is not usable: \(error)")
        }
        guard !rows.isEmpty else { throw HTTPError(404, "\(r.describe) is not in the archive") }
        let base = baseURL(request)
        var out: [UInt8] = [0x5B]
        out.reserveCapacity(rows.count * 3072)
        for (i, row) in rows.enumerated() {
            if i > 0 { out.append(0x2C) }
            switch row.metadata {
            case .prepared(let blob):
                if PreparedMetadata.render(blob, base: base, into: &out) { continue }
                // Unreadable: encoded from the header below.
                let header = (try? archive.index.header(row.instance.sopInstanceUID)) ?? nil
                out += Array(metadataJSON(row.instance, header ?? DataSet(), base: base).utf8)
            case .header(let header):
                out += Array(metadataJSON(row.instance, header, base: base).utf8)
            }
        }
        out.append(0x5D)
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/dicom+json")], body: .bytes(out))
    }

    func metadataJSON(_ instance: StoredInstance, _ header: DataSet, base: String) -> String {
        var h = header
        let url = base + "/studies/\(instance.studyInstanceUID)/series/\(instance.seriesInstanceUID)/instances/\(instance.sopInstanceUID)"
        let hasPixels = h[Tag(0x0028_0010)] != nil && h[Tag(0x0028_0011)] != nil && h[Tag(0x0028_0100)] != nil
        if hasPixels {
            // A placeholder value, so the encoder asks for its URI (the header keeps no pixel data).
            let syntax = TransferSyntax.resolving(uid: instance.transferSyntaxUID)
            let vr: VR = syntax.isEncapsulated || h.integer(Tag(0x0028_0100)) == 8 ? .OB : .OW
            h.set(DataElement(tag: .pixelData, vr: vr, bytes: Bytes([0, 0])))
        }
        return DICOMJSON.encode(h) { element, path in
            path == [.pixelData] ? url + "/bulkdata/7FE00010" : nil
        }
    }

    // MARK: Frames

    /// What a client accepts for frames, in its order: a media type (with "*" for as stored) and a transfer
    /// syntax, nil when it named none.
    func frameAcceptance(_ request: HTTPRequest) throws(HTTPError) -> [(type: String, syntax: String?)] {
        var out: [(type: String, syntax: String?)] = []
        for m in MediaType.acceptList(request.header("accept")) {
            if m.type == "multipart" && (m.subtype == "related" || m.subtype == "*") {
                out.append(((m.parameter("type") ?? "application/octet-stream").lowercased(), m.parameter("transfer-syntax")))
            } else if m.essence == "*/*" {
                out.append(("application/octet-stream", nil))
            } else if m.type == "image" || m.essence == "application/octet-stream" {
                // A bare type, as curl users write it: the multipart response with that type.
                out.append((m.essence, m.parameter("transfer-syntax")))
            }
        }
        guard !out.isEmpty else {
            throw HTTPError(406, "frames are sent as multipart/related (application/octet-stream or an image type); "
                            + "Accept was '\(request.header("accept") ?? "")'")
        }
        return out
    }

    /// The frame numbers of a path segment "1,3,5": each at least 1, at most 10,000 of them.
    static func frameNumbers(_ text: String) throws(HTTPError) -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= 10_000 else { throw HTTPError(400, "at most 10,000 frames per request") }
        var out: [Int] = []
        for p in parts {
            guard let n = Int(String(p).trimmed), n >= 1 else {
                throw HTTPError(400, "'\(text.prefix(80))' is not a list of frame numbers (1, 2, …) separated by commas")
            }
            out.append(n)
        }
        return out
    }

    /// How frames stored in `stored` go out for an accepted type: as stored, decoded to native, or transcoded.
    enum FramePlan: Equatable {
        case asStored
        case native
        case encode(String)
    }

    static func framePlan(stored: TransferSyntax, accepted: [(type: String, syntax: String?)]) -> (FramePlan, String)? {
        let storedType = PixelMediaTypes.mediaType(for: stored)
        for (type, syntax) in accepted {
            if type == "*/*" || type == "*" { return (.asStored, stored.uid) }
            if type == "application/octet-stream" {
                // Native pixel data: as stored when it is native (any byte order is sent little endian).
                if let syntax, syntax != "*", TransferSyntax.resolving(uid: syntax).isEncapsulated { continue }
                return (.native, TransferSyntax.explicitVRLittleEndian.uid)
            }
            if syntax == "*" || syntax == nil, type == storedType, stored.isEncapsulated { return (.asStored, stored.uid) }
            let wanted = syntax == nil || syntax == "*" ? PixelMediaTypes.defaultSyntax(for: type) : syntax
            guard let wanted else { continue }
            if wanted == stored.uid { return (.asStored, stored.uid) }
            guard PixelMediaTypes.mediaType(for: TransferSyntax.resolving(uid: wanted)) == type,
                  FrameEncoder.encodable.contains(wanted) else { continue }
            return (.encode(wanted), wanted)
        }
        return nil
    }

    /// GET …/frames/{list}: each frame one part, as stored or converted per Accept.
    func frames(_ request: HTTPRequest, _ r: Resource) throws(HTTPError) -> HTTPResponse {
        let numbers = try Self.frameNumbers(request.parameters["frames"] ?? "")
        let accepted = try frameAcceptance(request)
        guard let instance = try instances(r).first else { throw HTTPError(404, "\(r.describe) is not in the archive") }
        let file: DICOMFile
        do { file = try archive.file(for: instance) } catch { throw HTTPError(500, "instance \(instance.sopInstanceUID) cannot be read: \(error)") }
        let frames: PixelFrames
        do { frames = try file.pixelFrames() } catch { throw HTTPError(404, "instance \(instance.sopInstanceUID) has no frames: \(error)") }
        for n in numbers where n > frames.count {
            throw HTTPError(404, "frame \(n) does not exist; instance \(instance.sopInstanceUID) has \(frames.count)")
        }
        guard let (plan, syntax) = Self.framePlan(stored: frames.transferSyntax, accepted: accepted) else {
            throw HTTPError(406, "frames stored in \(frames.transferSyntax.name) cannot be sent as any type accepted "
                            + "('\(request.header("accept") ?? "")')")
        }
        let type = plan == .native ? "application/octet-stream" : PixelMediaTypes.mediaType(for: TransferSyntax.resolving(uid: syntax))
        let multipart = MultipartWriter()
        // Frames are produced before the response starts, so a codec failure is a status, not a cut stream.
        var parts: [[UInt8]] = []
        for n in numbers {
            do {
                switch plan {
                case .asStored where frames.isEncapsulated:
                    parts.append(try frames.encodedFrame(n - 1))
                case .asStored, .native:
                    parts.append(try FrameDecoder.decode(frames, frame: n - 1).bytes)
                case .encode(let uid):
                    let decoded = try FrameDecoder.decode(frames, frame: n - 1)
                    parts.append(try FrameEncoder.encode(decoded, to: TransferSyntax.resolving(uid: uid)).bytes)
                }
            } catch {
                throw HTTPError(500, "frame \(n) of \(instance.sopInstanceUID) cannot be converted: \(error)")
            }
        }
        var body: [UInt8] = []
        body.reserveCapacity(parts.reduce(0) { $0 + $1.count + 200 })
        for part in parts {
            body += multipart.partHead([("Content-Type", "\(type); transfer-syntax=\(syntax)"), ("Content-Length", String(part.count))])
            body += part
            body += multipart.partEnd
        }
        body += multipart.close
        return HTTPResponse(status: 200, headers: [("Content-Type", multipart.contentType(type: type, extra: [("transfer-syntax", syntax)]))],
                            body: .bytes(body))
    }

    // MARK: Bulk data

    /// GET …/bulkdata/{tag}: a top-level binary value of an instance (its pixel data: all frames as stored,
    /// native bytes, or the encapsulated stream of a video).
    func bulkData(_ request: HTTPRequest, _ r: Resource) throws(HTTPError) -> HTTPResponse {
        guard let text = request.parameters["tag"], text.count == 8, let tag = Tag(hex: text) else {
            throw HTTPError(400, "bulk data is named by its tag, 8 hexadecimal digits")
        }
        guard let instance = try instances(r).first else { throw HTTPError(404, "\(r.describe) is not in the archive") }
        let file: DICOMFile
        do { file = try archive.file(for: instance) } catch { throw HTTPError(500, "instance \(instance.sopInstanceUID) cannot be read: \(error)") }
        guard let element = file.dataSet[tag] else { throw HTTPError(404, "instance \(instance.sopInstanceUID) has no \(tag)") }
        let syntax = file.transferSyntax
        var value: [UInt8]
        var type = "application/octet-stream"
        switch element.value {
        case .bytes(let b): value = b.array
        case .encapsulated(let p):
            value = p.fragments.reduce(into: [UInt8]()) { $0 += $1.array }
            type = PixelMediaTypes.mediaType(for: syntax)
        case .sequence: throw HTTPError(400, "\(tag) is a sequence, not bulk data")
        }
        let multipart = MultipartWriter()
        var body = multipart.partHead([("Content-Type", "\(type); transfer-syntax=\(syntax.uid)"), ("Content-Length", String(value.count))])
        body += value
        body += multipart.partEnd + multipart.close
        value = []
        return HTTPResponse(status: 200, headers: [("Content-Type", multipart.contentType(type: type))], body: .bytes(body))
    }
}
