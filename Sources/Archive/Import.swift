import DICOM
import Transport

/// What bulk import made of one file.
public enum ImportOutcome: Sendable, Equatable {
    case stored(StoredInstance)
    /// Its SOP Instance UID is in the archive already: nothing added (an import run twice adds nothing twice).
    case alreadyStored(StoredInstance)
    /// Not a DICOM file (a README, a DICOMDIR's neighbours): passed over quietly.
    case skipped(String)
    /// A DICOM file that cannot be archived: unreadable, truncated, without UIDs, or a storage failure.
    case failed(String)
}

extension Archive {
    /// Media Storage Directory Storage, the SOP class of a DICOMDIR.
    static let mediaStorageDirectory = "1.2.840.10008.1.3.10"

    /// Imports one file. Files with proper file meta information are stored as they are; others (a bare data
    /// set, meta information that names the wrong transfer syntax) get new meta information in front of their
    /// data set bytes. Each file is durable when stored; the index is made durable by `sync()`, once a batch is done.
    public func importFile(_ path: String) -> ImportOutcome {
        if path.hasSuffix("/DICOMDIR") || path == "DICOMDIR" { return .skipped("a DICOMDIR (a media directory, not an instance)") }
        let region: ByteRegion
        do {
            region = try ByteRegion.file(at: path)
        } catch {
            return .failed("cannot read: \(error)")
        }
        return importData(region.bytes)
    }

    /// Imports one Part 10 file (or bare data set) held in memory: the demo studies, an uploaded file.
    public func importData(_ bytes: Bytes) -> ImportOutcome {
        let file: DICOMFile
        do {
            // Every element is walked (pixel data too, without being copied): a truncated file is refused.
            file = try DICOMFile(bytes: bytes, options: .standard)
        } catch {
            if case .notDICOM = error.reason { return .skipped("not DICOM") }
            // Without the DICM prefix, a file that does not parse was most likely never DICOM.
            let hasPrefix = bytes.count >= 132 && Array(bytes[128..<132]) == Array("DICM".utf8)
            if !hasPrefix { return .skipped("not DICOM") }
            return .failed("not readable as DICOM: \(error)")
        }
        // A media directory (PS3.10 §7.3) indexes files; it is not an instance to archive.
        if file.fileMetaInformation.string(.mediaStorageSOPClassUID) == Archive.mediaStorageDirectory
            || file.dataSet[Tag(0x0004_1220)] != nil {
            return .skipped("a DICOMDIR (a media directory, not an instance)")
        }
        guard let sopInstanceUID = file.dataSet.string(.sopInstanceUID), !sopInstanceUID.isEmpty else {
            return .failed("no SOP Instance UID")
        }
        let existing = try? index.instance(sopInstanceUID)
        if let existing, isIntact(existing) { return .alreadyStored(existing) }

        let key = Archive.newStorageKey(forInstance: sopInstanceUID)
        let writer: any StorageWriter
        do {
            writer = try storage.create(key: key)
            let declared = file.fileMetaInformation.string(.transferSyntaxUID) ?? ""
            if file.preamble != nil && declared == file.transferSyntax.uid && file.warnings.isEmpty {
                try writer.write(bytes)
            } else {
                try writer.write(DICOMFile.partTenHeader(sopClass: file.dataSet.string(.sopClassUID) ?? "", sopInstance: sopInstanceUID,
                                                         transferSyntax: file.transferSyntax.uid,
                                                         sourceAETitle: file.fileMetaInformation.string(.sourceApplicationEntityTitle)))
                try writer.write(file.encodedDataSet ?? Bytes())
            }
            try writer.commit()
        } catch {
            return .failed("\(error)")
        }
        var header = file.dataSet
        header.remove(.pixelData)
        do {
            // An index row whose file is gone (lost in a crash) gives way to this copy.
            switch try record(header: header.compacted(), key: key, writer: writer, transferSyntaxUID: file.transferSyntax.uid,
                              policy: existing == nil ? .keep : .replace) {
            case .stored(let i), .replaced(let i): return .stored(i)
            case .alreadyStored(let i): return .alreadyStored(i)
            }
        } catch {
            return .failed(error.message)
        }
    }
}
