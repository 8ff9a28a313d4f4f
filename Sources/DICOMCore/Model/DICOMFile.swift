/// A DICOM file (PS3.10 §7): preamble, "DICM", file meta information (group 0002, always explicit VR little
/// endian), and the data set in the transfer syntax the meta information names.
///
/// Also reads what real files do instead: no preamble, no meta information, a meta information that names one
/// encoding while the data set uses another.
public struct DICOMFile: Sendable {
    /// The 128-byte preamble, nil when the file had none.
    public var preamble: Bytes?
    /// Group 0002 elements.
    public var fileMetaInformation: DataSet
    public var dataSet: DataSet
    /// The transfer syntax the data set is encoded in (as read, corrected where the data contradicted the meta).
    public var transferSyntax: TransferSyntax
    /// What was tolerated while reading.
    public var warnings: [String]
    /// The data set exactly as it was encoded in the file (deflated, when the syntax is), for sending it on
    /// without a re-encoding. Edits to `dataSet` do not change it; nil for files built in code.
    public var encodedDataSet: Bytes?

    public init(dataSet: DataSet, fileMetaInformation: DataSet = DataSet(), transferSyntax: TransferSyntax = .explicitVRLittleEndian,
                preamble: Bytes? = nil) {
        self.dataSet = dataSet
        self.fileMetaInformation = fileMetaInformation
        self.transferSyntax = transferSyntax
        self.preamble = preamble
        warnings = []
        encodedDataSet = nil
    }

    // MARK: Reading

    /// Reads a file. Large files are memory-mapped, so pixel data is not read from disk until it is used.
    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> DICOMFile {
        let region = try ByteRegion.file(at: path)
        return try DICOMFile(bytes: region.bytes, options: options)
    }

    /// Parses a file held in memory. The data set shares `bytes`' memory.
    public init(bytes: Bytes, options: ReadOptions = ReadOptions()) throws(DICOMParseError) {
        var warnings: [String] = []
        var position = 0
        preamble = nil
        let n = bytes.count
        if n >= 132 && bytes[128] == 0x44 && bytes[129] == 0x49 && bytes[130] == 0x43 && bytes[131] == 0x4D {
            preamble = bytes[0..<128]
            position = 132
        } else if n >= 4 && bytes[0] == 0x44 && bytes[1] == 0x49 && bytes[2] == 0x43 && bytes[3] == 0x4D {
            warnings.append("no preamble before DICM")
            position = 4
        }

        // File meta information: group 0002 in explicit VR little endian, read up to the first other group.
        var meta = DataSet()
        if n - position >= 8 && bytes.uint16(at: position) == 0x0002 {
            let (parsed, end, metaWarnings) = try DICOMFile.parseMeta(bytes, at: position, options: options)
            meta = parsed
            position = end
            warnings += metaWarnings
        } else if preamble != nil {
            warnings.append("no file meta information after DICM")
        }

        let declared = meta[.transferSyntaxUID]?.string()
        var syntax: TransferSyntax
        if let forced = options.transferSyntax {
            syntax = forced
        } else if let declared, !declared.isEmpty {
            syntax = TransferSyntax.resolving(uid: declared)
        } else {
            guard let detected = DICOMFile.detectEncoding(bytes, at: position) else {
                throw DICOMParseError(.notDICOM(preamble == nil && meta.isEmpty
                                                ? "no DICM prefix, and the data does not start with a data element"
                                                : "no transfer syntax, and the data set does not start with a data element"),
                                      offset: position, tag: nil)
            }
            syntax = detected
            if preamble != nil || !meta.isEmpty { warnings.append("no transfer syntax in the file meta information; detected \(syntax.name)") }
        }

        var body = bytes[position..<n]
        let encodedBody = body
        var reportOffset = position
        if syntax.isDeflated {
            guard let codec = options.deflate else { throw DICOMParseError(.deflateUnavailable, offset: position, tag: nil) }
            do {
                let inflated = try body.withUnsafeBytes { try codec.inflate($0, limit: options.maximumInflatedSize) }
                body = ByteRegion.copying(inflated.output).bytes
            } catch {
                throw DICOMParseError(.deflateFailed("\(error)"), offset: position, tag: nil)
            }
            reportOffset = 0
        }

        var parser = DataSetParser(bytes: body, reportOffset: reportOffset, options: options)
        let encoding = DataSetParser.Encoding(explicitVR: syntax.isExplicitVR, bigEndian: syntax.isBigEndian)
        let dataSet = try parser.parseDataSet(limit: body.count, delimited: false, encoding: encoding,
                                              context: .init(characterSet: nil, pixelRepresentation: nil, depth: 0),
                                              topLevel: true)
        warnings += parser.warnings
        if let actual = parser.topLevelExplicitVR, actual != syntax.isExplicitVR, !syntax.isBigEndian {
            syntax = actual ? .explicitVRLittleEndian : .implicitVRLittleEndian
        }
        self.fileMetaInformation = meta
        self.dataSet = dataSet
        self.transferSyntax = syntax
        self.warnings = warnings
        // The whole body as read, however much of it was parsed (a header-only read still sends whole).
        self.encodedDataSet = encodedBody
    }

    /// The file meta information of a Part 10 file's first bytes (preamble, DICM, group 0002), without reading
    /// the data set: a STOW-RS part is filed by it before its data set arrives.
    public static func fileMetaInformation(prefix bytes: Bytes) throws(DICOMParseError) -> DataSet {
        guard bytes.count >= 132, bytes[128] == 0x44, bytes[129] == 0x49, bytes[130] == 0x43, bytes[131] == 0x4D else {
            throw DICOMParseError(.notDICOM("no DICM prefix"), offset: 128, tag: nil)
        }
        return try parseMeta(bytes, at: 132, options: ReadOptions()).0
    }

    /// Reads the file meta information (PS3.10 §7.1). Its group length says where it ends, and is believed when
    /// the elements fill exactly that span: a big endian data set's first tag can read as group 0002 in little
    /// endian. Without a usable group length, the meta ends at the first element of another group.
    static func parseMeta(_ bytes: Bytes, at position: Int, options: ReadOptions) throws(DICOMParseError)
        -> (DataSet, end: Int, warnings: [String]) {
        let n = bytes.count
        let context = DataSetParser.Context(characterSet: nil, pixelRepresentation: nil, depth: 0)
        let encoding = DataSetParser.Encoding(explicitVR: true, bigEndian: false)
        if n - position >= 12, bytes.uint32(at: position) == 0x0000_0002, bytes[position + 4] == 0x55, bytes[position + 5] == 0x4C {
            let end = position + 12 + Int(bytes.uint32(at: position + 8))
            if end <= n {
                var parser = DataSetParser(bytes: bytes[position..<end], reportOffset: position, options: options)
                parser.onlyGroup = 0x0002
                if let meta = try? parser.parseDataSet(limit: end - position, delimited: false, encoding: encoding,
                                                       context: context, topLevel: true),
                   parser.offset == end - position, parser.warnings.isEmpty {
                    return (meta, end, [])
                }
            }
        }
        var parser = DataSetParser(bytes: bytes[position..<n], reportOffset: position, options: options)
        parser.onlyGroup = 0x0002
        let meta = try parser.parseDataSet(limit: n - position, delimited: false, encoding: encoding, context: context,
                                           topLevel: true)
        var warnings = parser.warnings
        if let declared = meta[.fileMetaInformationGroupLength]?.uint32s?.first, Int(declared) + 12 != parser.offset {
            warnings.append("the file meta information group length (\(declared)) does not match its elements (\(parser.offset - 12))")
        }
        return (meta, position + parser.offset, warnings)
    }

    /// Guesses the encoding of a bare data set from its first element: byte order from the group number, explicit
    /// VR from two letters where the VR would be. Nil when the bytes do not look like a data element.
    static func detectEncoding(_ bytes: Bytes, at position: Int) -> TransferSyntax? {
        guard bytes.count - position >= 8 else { return nil }
        let le = bytes.uint16(at: position)
        let be = le.byteSwapped
        // Data sets start with a low group number (0008 usually); the smaller reading is the right one.
        let bigEndian = be < le
        let group = bigEndian ? be : le
        guard group <= 0x00FF || group == 0x7FE0 else { return nil }
        let explicit = VR(bytes[position + 4], bytes[position + 5]).isKnown
        if bigEndian { return explicit ? .explicitVRBigEndian : nil }
        return explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian
    }

    /// Parses a bare data set in a known transfer syntax (a C-STORE data set, for example).
    public static func parseDataSet(_ bytes: Bytes, transferSyntax: TransferSyntax,
                                    options: ReadOptions = ReadOptions()) throws(DICOMParseError) -> DataSet {
        var body = bytes
        if transferSyntax.isDeflated {
            guard let codec = options.deflate else { throw DICOMParseError(.deflateUnavailable, offset: 0, tag: nil) }
            do {
                body = ByteRegion.copying(try bytes.withUnsafeBytes { try codec.inflate($0, limit: options.maximumInflatedSize) }.output).bytes
            } catch {
                throw DICOMParseError(.deflateFailed("\(error)"), offset: 0, tag: nil)
            }
        }
        var parser = DataSetParser(bytes: body, options: options)
        return try parser.parseDataSet(limit: body.count, delimited: false,
                                       encoding: .init(explicitVR: transferSyntax.isExplicitVR, bigEndian: transferSyntax.isBigEndian),
                                       context: .init(characterSet: nil, pixelRepresentation: nil, depth: 0), topLevel: true)
    }

    /// The header (the elements before the pixel data) from the first bytes of a data set; nil unless the pixel
    /// data tag is among them, which proves the header complete. For indexing an instance from the bytes as they
    /// arrive, without reading the file again.
    public static func parseHeader(prefix bytes: Bytes, transferSyntax: TransferSyntax) -> DataSet? {
        guard !transferSyntax.isDeflated else { return nil }
        var parser = DataSetParser(bytes: bytes, options: ReadOptions(stopAtTag: .pixelData))
        guard let ds = try? parser.parseDataSet(limit: bytes.count, delimited: false,
                                                encoding: .init(explicitVR: transferSyntax.isExplicitVR, bigEndian: transferSyntax.isBigEndian),
                                                context: .init(characterSet: nil, pixelRepresentation: nil, depth: 0), topLevel: true),
              parser.stoppedAtTag else { return nil }
        return ds
    }

    // MARK: Writing

    /// The implementation class UID and version name written into new file meta information.
    public static let implementationClassUID = UIDGenerator.nameBased("implementation-class", namespace: "lightbox")
    public static let implementationVersionName = "LIGHTBOX_01"

    /// File meta information for writing in `syntax`: the existing elements kept, the transfer syntax and the
    /// required elements set (PS3.10 §7.1), the group length recomputed by the writer.
    public func metaInformation(for syntax: TransferSyntax) -> DataSet {
        var meta = fileMetaInformation
        if meta[.fileMetaInformationGroupLength] == nil {
            meta.set(DataElement(tag: .fileMetaInformationGroupLength, vr: .UL, integers: [UInt32(0)]))
        }
        if meta[.fileMetaInformationVersion] == nil {
            meta.set(DataElement(tag: .fileMetaInformationVersion, vr: .OB, bytes: Bytes([0, 1])))
        }
        if meta[.mediaStorageSOPClassUID] == nil, let v = dataSet[.sopClassUID]?.string() {
            meta.set(DataElement(tag: .mediaStorageSOPClassUID, vr: .UI, string: v))
        }
        if meta[.mediaStorageSOPInstanceUID] == nil, let v = dataSet[.sopInstanceUID]?.string() {
            meta.set(DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, string: v))
        }
        if meta[.transferSyntaxUID]?.string() != syntax.uid {
            meta.set(DataElement(tag: .transferSyntaxUID, vr: .UI, string: syntax.uid))
        }
        if meta[.implementationClassUID] == nil {
            meta.set(DataElement(tag: .implementationClassUID, vr: .UI, string: DICOMFile.implementationClassUID))
            meta.set(DataElement(tag: .implementationVersionName, vr: .SH, string: DICOMFile.implementationVersionName))
        }
        return meta
    }

    /// Writes the file in `syntax` (by default the one it was read in) to a sink: preamble, DICM, meta, data set.
    /// Only native syntaxes (and encapsulated ones whose pixel data is already encapsulated) can be written here;
    /// transcoding pixel data belongs to the codecs.
    public func write<S: ByteSink>(to sink: inout S, transferSyntax syntax: TransferSyntax? = nil,
                                   deflate: (any DeflateCodec)? = nil,
                                   groupLengths: DataSetWriter.GroupLengthPolicy? = nil) throws {
        let syntax = syntax ?? transferSyntax
        if syntax.isEncapsulated != transferSyntax.isEncapsulated,
           dataSet[.pixelData] != nil {
            throw DICOMWriteError.pixelDataNeedsTranscoding(from: transferSyntax.uid, to: syntax.uid)
        }
        let preamble = self.preamble ?? Bytes([UInt8](repeating: 0, count: 128))
        try sink.write(preamble.count == 128 ? preamble : Bytes([UInt8](repeating: 0, count: 128)))
        try Array("DICM".utf8).withUnsafeBytes { try sink.write($0) }
        try DataSetWriter(explicitVR: true, bigEndian: false).write(metaInformation(for: syntax), to: &sink)
        var writer = DataSetWriter(transferSyntax: syntax)
        // Unless told otherwise: group lengths stay as they are in the encoding they were read in (a file written
        // back unchanged is byte-identical), and are recomputed when the encoding changes their values.
        writer.groupLengths = groupLengths ?? (syntax.isExplicitVR == transferSyntax.isExplicitVR ? .keep : .recalculate)
        if syntax.isDeflated {
            guard let deflate else { throw DICOMWriteError.deflateUnavailable }
            let plain = try writer.encode(dataSet)
            let compressed = try plain.withUnsafeBytes { try deflate.deflate($0) }
            try compressed.withUnsafeBytes { try sink.write($0) }
        } else {
            try writer.write(dataSet, to: &sink)
        }
    }

    /// The encoded file as bytes.
    public func encoded(transferSyntax syntax: TransferSyntax? = nil, deflate: (any DeflateCodec)? = nil,
                        groupLengths: DataSetWriter.GroupLengthPolicy? = nil) throws -> [UInt8] {
        var sink = ArraySink()
        try write(to: &sink, transferSyntax: syntax, deflate: deflate, groupLengths: groupLengths)
        return sink.bytes
    }
}

public enum DICOMWriteError: Error, CustomStringConvertible, Equatable {
    case deflateUnavailable
    case pixelDataNeedsTranscoding(from: String, to: String)

    public var description: String {
        switch self {
        case .deflateUnavailable: return "the deflated transfer syntax needs a deflate codec"
        case .pixelDataNeedsTranscoding(let from, let to): return "pixel data must be transcoded from \(from) to \(to)"
        }
    }
}
