import DICOM

/// Data sets on the wire are encoded in their presentation context's transfer syntax (PS3.7 §6.3.1).
public enum WireEncoding {
    /// Encodes a data set built in memory (an identifier, an N-service data set).
    public static func encode(_ dataSet: DataSet, syntax uid: String) throws -> Bytes {
        let syntax = TransferSyntax.resolving(uid: uid)
        var writer = DataSetWriter(transferSyntax: syntax)
        writer.groupLengths = .remove
        let plain = try writer.encode(dataSet)
        if syntax.isDeflated {
            return evenLength(Bytes(try plain.withUnsafeBytes { try ZlibDeflate().deflate($0) }))
        }
        return Bytes(plain)
    }

    /// A deflated data set of odd length gets a trailing NUL (PS3.5 §A.5): fragments on the wire are of even length.
    static func evenLength(_ bytes: Bytes) -> Bytes {
        guard bytes.count & 1 == 1 else { return bytes }
        return Bytes(count: bytes.count + 1) { out in
            bytes.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            out[bytes.count] = 0
        }
    }

    public static func decode(_ bytes: Bytes, syntax uid: String) throws -> DataSet {
        try DICOMFile.parseDataSet(bytes, transferSyntax: TransferSyntax.resolving(uid: uid), options: .standard)
    }

    /// A stored instance's data set in `uid`: its own bytes when the file is already in that syntax (sent exactly
    /// as stored), re-encoded between the native syntaxes otherwise. Compressed pixel data cannot change syntax
    /// here: that needs the codecs.
    public static func dataSet(of file: DICOMFile, in uid: String) throws -> Bytes {
        if file.transferSyntax.uid == uid, let encoded = file.encodedDataSet { return evenLength(encoded) }
        let target = TransferSyntax.resolving(uid: uid)
        if file.dataSet[.pixelData] != nil && (file.transferSyntax.isEncapsulated || target.isEncapsulated)
            && file.transferSyntax.uid != uid {
            throw DICOMWriteError.pixelDataNeedsTranscoding(from: file.transferSyntax.uid, to: uid)
        }
        return try encode(file.dataSet, syntax: uid)
    }

    /// Whether `dataSet(of:in:)` can produce the syntax for this file.
    public static func canSend(_ file: DICOMFile, in uid: String) -> Bool {
        if file.transferSyntax.uid == uid { return true }
        let target = TransferSyntax.resolving(uid: uid)
        return file.dataSet[.pixelData] == nil || !(file.transferSyntax.isEncapsulated || target.isEncapsulated)
    }
}
