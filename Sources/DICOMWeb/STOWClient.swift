import Archive
import DICOMCore
import HTTP
import Transport

/// STOW-RS as a client (PS3.18 §10.5): stored instances sent, as stored, byte for byte, to another DICOMweb
/// server, in requests of a bounded size, each instance's outcome read from the server's response.
public struct STOWClient: Sendable {
    /// The server's DICOMweb base ("https://pacs.example.org/dicom-web").
    public var base: HTTPURL
    /// The Authorization field sent with each request ("Basic …", "Bearer …"), if the server wants one.
    public var authorization: String?
    public var client = HTTPClient()
    /// A request holds instances up to this many bytes (one larger instance goes alone).
    public var requestBytes = 64 << 20

    public init(base: HTTPURL, authorization: String? = nil) {
        self.base = base
        self.authorization = authorization
    }

    public typealias Progress = TransferProgress

    /// Sends the instances; `report` sees the progress after each request and returns false to stop.
    public func store(_ instances: [StoredInstance], from archive: Archive, report: (Progress) -> Bool = { _ in true }) -> Progress {
        var progress = Progress(total: instances.count)
        var queue = instances[...]
        while !queue.isEmpty {
            var batch: [StoredInstance] = []
            var bytes = 0
            for instance in queue {
                if !batch.isEmpty && bytes + instance.size > requestBytes { break }
                batch.append(instance)
                bytes += instance.size
            }
            queue = queue.dropFirst(batch.count)
            let outcome = send(batch, from: archive)
            progress.completed += outcome.stored
            progress.warnings += outcome.warnings
            progress.failed += batch.count - outcome.stored - outcome.warnings
            if let why = outcome.error { progress.lastError = why }
            guard report(progress) else { return progress }
        }
        return progress
    }

    /// One request: how many instances the server reports stored (and stored with a warning), and why the rest
    /// were not.
    func send(_ batch: [StoredInstance], from archive: Archive) -> (stored: Int, warnings: Int, error: String?) {
        let multipart = MultipartWriter()
        let heads = batch.map { instance in
            multipart.partHead([("Content-Type", "application/dicom"), ("Content-Length", String(instance.size))])
        }
        let length = zip(batch, heads).reduce(0) { $0 + $1.1.count + $1.0.size + multipart.partEnd.count } + multipart.close.count
        var headers: [(name: String, value: String)] = [("Content-Type", multipart.contentType(type: "application/dicom")),
                                                        ("Accept", "application/dicom+json")]
        if let authorization { headers.append(("Authorization", authorization)) }
        var readError: String?
        let response: HTTPClientResponse
        do {
            response = try client.send("POST", base.appending("/studies"), headers: headers, length: length) { write in
                for (instance, head) in zip(batch, heads) {
                    guard head.withUnsafeBytes({ write($0) }) else { return false }
                    var sent = 0
                    var open = true
                    do {
                        try archive.readContents(of: instance) { chunk in
                            sent += chunk.count
                            open = write(chunk)
                            return open
                        }
                    } catch {
                        readError = "\(instance.sopInstanceUID): \(error)"
                        return false
                    }
                    guard open, sent == instance.size else {
                        if open { readError = "\(instance.sopInstanceUID): the stored file is not the size the index records" }
                        return false
                    }
                    guard multipart.partEnd.withUnsafeBytes({ write($0) }) else { return false }
                }
                return multipart.close.withUnsafeBytes { write($0) }
            }
        } catch {
            return (0, 0, readError ?? "STOW-RS to \(base): \(error)")
        }
        // PS3.18 §10.5.3: 200 all stored, 202 some stored or with warnings, 409 none; the body says which.
        let json = try? JSONParser.parse(response.body)
        func sequence(_ tag: String) -> [JSONValue] {
            json?.object?.first { $0.0 == tag }?.1.object?.first { $0.0 == "Value" }?.1.array ?? []
        }
        let referenced = sequence("00081199")
        let failed = sequence("00081198")
        guard (200...299).contains(response.status) || response.status == 409 else {
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
            return (0, 0, "STOW-RS to \(base): HTTP \(response.status)" + (text.isEmpty ? "" : ": \(text)"))
        }
        if json == nil && response.status == 200 {
            // A server that answers 200 without a body has stored everything (some do).
            return (batch.count, 0, nil)
        }
        // An instance listed with a Warning Reason (0008,1196) was stored with a warning.
        let warnings = referenced.filter { item in item.object?.contains { $0.0 == "00081196" } ?? false }.count
        var why: String?
        if let first = failed.first?.object {
            let uid = first.first { $0.0 == "00081155" }?.1.object?.first { $0.0 == "Value" }?.1.array?.first?.string ?? "?"
            let code = first.first { $0.0 == "00081197" }?.1.object?.first { $0.0 == "Value" }?.1.array?.first
            why = "\(failed.count) refused by \(base), the first \(uid) with Failure Reason \(code.map { $0.serialized } ?? "?")"
        }
        return (referenced.count - warnings, warnings, why)
    }
}
