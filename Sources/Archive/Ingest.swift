import DICOM
import Transport

extension Archive {
    /// Starts receiving an instance (a C-STORE, a STOW-RS part): its data set bytes then stream into storage
    /// through `Ingest.write`, and `finish` files and indexes them. Throws when the instance is refused at once
    /// (a duplicate the policy rejects, no space).
    /// `fileMetaInformation`: the preamble, DICM and group 0002 a STOW-RS client sent, kept as they are so the
    /// file comes back byte for byte; without it, Lightbox writes its own (PS3.10 §7.1).
    /// `finishElsewhere`: `finish` will run on another thread than the writes (IngestPipeline), so the file's
    /// SHA-256 is computed there, at the commit, and the receiving thread only receives.
    public func beginIngest(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String,
                            sourceAETitle: String?, fileMetaInformation: [UInt8]? = nil,
                            finishElsewhere: Bool = false) throws(ArchiveError) -> Ingest {
        var policy = duplicates
        if let existing = try? index.instance(sopInstanceUID) {
            if isIntact(existing) {
                switch duplicates {
                case .reject: throw ArchiveError(.duplicate, "SOP Instance \(sopInstanceUID) is stored already")
                case .keep: return Ingest(archive: self, discarding: existing, transferSyntaxUID: transferSyntaxUID)
                case .replace: break
                }
            } else {
                // Its file is gone (lost in a crash): this copy takes the place of the index row.
                policy = .replace
            }
        }
        let key = Archive.newStorageKey(forInstance: sopInstanceUID)
        let writer: any StorageWriter
        do { writer = try storage.create(key: key, digestAtCommit: finishElsewhere) } catch { throw ArchiveError.from(error) }
        let header = fileMetaInformation ?? DICOMFile.partTenHeader(sopClass: sopClassUID, sopInstance: sopInstanceUID,
                                                                    transferSyntax: transferSyntaxUID, sourceAETitle: sourceAETitle)
        do {
            try writer.write(header)
        } catch {
            writer.abort()
            throw ArchiveError.from(error)
        }
        return Ingest(archive: self, key: key, writer: writer, sopInstanceUID: sopInstanceUID, transferSyntaxUID: transferSyntaxUID,
                      policy: policy)
    }
}

/// One instance on its way in. Its bytes go to storage as they arrive (memory stays bounded whatever its size),
/// the first of them kept to read the header from without reading the file back.
public final class Ingest {
    let archive: Archive
    let key: String
    let writer: (any StorageWriter)?
    let sopInstanceUID: String
    let transferSyntaxUID: String
    /// A duplicate the policy keeps the first of: its bytes are read and dropped.
    let existing: StoredInstance?
    /// What the index does if the SOP Instance UID is recorded already when this one is filed.
    let policy: DuplicatePolicy
    /// A further condition on the header (a STOW-RS to a study: the instance must belong to it): the reason it
    /// fails, or nil. Checked before anything is filed.
    public var requirement: (@Sendable (DataSet) -> String?)?
    private var prefix: [UInt8] = []
    private var dataSetBytes = 0
    private var done = false
    static let prefixLimit = 64 * 1024

    init(archive: Archive, key: String, writer: any StorageWriter, sopInstanceUID: String, transferSyntaxUID: String,
         policy: DuplicatePolicy) {
        self.archive = archive
        self.policy = policy
        self.key = key
        self.writer = writer
        self.sopInstanceUID = sopInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
        existing = nil
    }

    init(archive: Archive, discarding existing: StoredInstance, transferSyntaxUID: String) {
        self.archive = archive
        key = ""
        writer = nil
        sopInstanceUID = existing.sopInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
        self.existing = existing
        policy = archive.duplicates
    }

    deinit {
        if !done { cancel() }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard let writer else { return }
        do { try writer.write(bytes) } catch { throw ArchiveError.from(error) }
        if prefix.count < Ingest.prefixLimit {
            prefix.append(contentsOf: bytes.prefix(Ingest.prefixLimit - prefix.count))
        }
        dataSetBytes += bytes.count
    }

    /// All bytes are in: file, index and make durable. A success means both the file and its index row are on
    /// disk; a failure leaves neither.
    public func finish() throws(ArchiveError) -> IngestOutcome {
        done = true
        guard let writer else {
            archive.log(.warning, "instance \(sopInstanceUID) received again; the first copy is kept")
            return .alreadyStored(existing!)
        }
        let syntax = TransferSyntax.resolving(uid: transferSyntaxUID)
        var header: DataSet?
        if prefix.count == dataSetBytes, !syntax.isDeflated {
            do {
                header = try DICOMFile.parseDataSet(Bytes(prefix), transferSyntax: syntax, options: .headerOnly)
            } catch {
                writer.abort()
                throw ArchiveError(.invalid, "the data set cannot be read: \(error)")
            }
        } else {
            header = DICOMFile.parseHeader(prefix: Bytes(prefix), transferSyntax: syntax)
        }
        prefix = []
        if let header { try check(header, writer) }
        do { try writer.commit() } catch { throw ArchiveError.from(error) }
        if header == nil {
            // A header beyond the first 64 KiB, or a deflated data set: read from the stored file.
            let stored = StoredInstance(sopInstanceUID: sopInstanceUID, sopClassUID: "", seriesInstanceUID: "", studyInstanceUID: "",
                                        transferSyntaxUID: transferSyntaxUID, storageKey: key, size: writer.size, sha256: "")
            do {
                header = try archive.file(for: stored, headerOnly: true).dataSet
            } catch {
                try? archive.storage.remove(key: key)
                throw ArchiveError(.invalid, "the data set cannot be read: \(error)")
            }
            do { try check(header!, nil) } catch {
                try? archive.storage.remove(key: key)
                throw error
            }
        }
        var h = header!
        h.remove(.pixelData)
        return try archive.record(header: h.compacted(), key: key, writer: writer, transferSyntaxUID: transferSyntaxUID,
                                  policy: policy)
    }

    /// The data set must be the instance the command announced.
    func check(_ header: DataSet, _ writer: (any StorageWriter)?) throws(ArchiveError) {
        let uid = header.string(.sopInstanceUID) ?? ""
        guard uid == sopInstanceUID else {
            writer?.abort()
            throw ArchiveError(.invalid, "the data set's SOP Instance UID (\(uid.isEmpty ? "none" : uid)) is not the one announced (\(sopInstanceUID))")
        }
        if let reason = requirement?(header) {
            writer?.abort()
            throw ArchiveError(.invalid, reason)
        }
    }

    /// The transfer failed: nothing is kept.
    public func cancel() {
        done = true
        writer?.abort()
    }
}
