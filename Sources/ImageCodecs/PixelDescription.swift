import DICOMCore

/// The Image Pixel module (PS3.3 C.7.6.3) of one data set, checked: everything a decoder, an encoder or the
/// renderer needs to know about the stored samples, with one-line errors for values no image can have.
public struct PixelDescription: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    /// 1, 8, 16, 32 or 64 (64 only for Double Float Pixel Data).
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var highBit: Int
    public var signed: Bool
    public var photometric: String
    /// 1: colour by plane (RRR…GGG…BBB…); 0: colour by pixel.
    public var planarConfiguration: Int
    public var numberOfFrames: Int
    public var sampleKind: SampleKind

    public enum SampleKind: Sendable, Equatable {
        case integer, float32, float64
    }

    /// The largest frame accepted, so a forged header cannot make us allocate without bound (2 GiB).
    public static let maxFrameBytes = 1 << 31

    public init(rows: Int, columns: Int, samplesPerPixel: Int = 1, bitsAllocated: Int, bitsStored: Int? = nil,
                highBit: Int? = nil, signed: Bool = false, photometric: String = "MONOCHROME2", planarConfiguration: Int = 0,
                numberOfFrames: Int = 1, sampleKind: SampleKind = .integer) {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored ?? bitsAllocated
        self.highBit = highBit ?? (bitsStored ?? bitsAllocated) - 1
        self.signed = signed
        self.photometric = photometric
        self.planarConfiguration = planarConfiguration
        self.numberOfFrames = numberOfFrames
        self.sampleKind = sampleKind
    }

    /// Reads and checks the module. Float and Double Float Pixel Data set `sampleKind`.
    public init(_ dataSet: DataSet) throws(CodecError) {
        guard let rows = dataSet.integers(.rows)?.first, let columns = dataSet.integers(.columns)?.first else {
            throw CodecError("Rows or Columns is missing")
        }
        let kind: SampleKind = dataSet[.pixelData] != nil ? .integer
            : dataSet[.floatPixelData] != nil ? .float32 : dataSet[.doubleFloatPixelData] != nil ? .float64 : .integer
        let allocated = dataSet.integers(.bitsAllocated)?.first ?? (kind == .float64 ? 64 : kind == .float32 ? 32 : 0)
        let stored = dataSet.integers(.bitsStored)?.first ?? allocated
        var photometric = dataSet.string(.photometricInterpretation) ?? ""
        while photometric.last == " " || photometric.last == "\0" { photometric.removeLast() }
        let samples = dataSet.integers(.samplesPerPixel)?.first ?? 1
        self.init(rows: rows, columns: columns, samplesPerPixel: samples, bitsAllocated: allocated, bitsStored: stored,
                  highBit: dataSet.integers(Tag(0x0028_0102))?.first ?? stored - 1,
                  signed: (dataSet.integers(.pixelRepresentation)?.first ?? 0) == 1,
                  photometric: photometric.isEmpty ? (samples == 3 ? "RGB" : "MONOCHROME2") : photometric,
                  planarConfiguration: dataSet.integers(Tag(0x0028_0006))?.first ?? 0,
                  numberOfFrames: max(1, Int(dataSet.string(.numberOfFrames)?.trimmingCharacters(in: " ") ?? "") ?? 1),
                  sampleKind: kind)
        try validate()
    }

    public func validate() throws(CodecError) {
        guard (1...65_535).contains(rows), (1...65_535).contains(columns) else {
            throw CodecError("an image of \(rows) rows and \(columns) columns")
        }
        guard samplesPerPixel == 1 || samplesPerPixel == 3 || samplesPerPixel == 4 else {
            throw CodecError("\(samplesPerPixel) samples per pixel (1, 3 or 4 expected)")
        }
        switch sampleKind {
        case .integer:
            guard [1, 8, 16, 32].contains(bitsAllocated) else { throw CodecError("Bits Allocated \(bitsAllocated)") }
            guard (1...bitsAllocated).contains(bitsStored), highBit == bitsStored - 1 || (highBit < bitsAllocated && highBit >= bitsStored - 1) else {
                throw CodecError("Bits Stored \(bitsStored) and High Bit \(highBit) with Bits Allocated \(bitsAllocated)")
            }
        case .float32: guard bitsAllocated == 32 else { throw CodecError("Float Pixel Data with Bits Allocated \(bitsAllocated)") }
        case .float64: guard bitsAllocated == 64 else { throw CodecError("Double Float Pixel Data with Bits Allocated \(bitsAllocated)") }
        }
        guard numberOfFrames >= 1, numberOfFrames <= 1 << 20 else { throw CodecError("\(numberOfFrames) frames") }
        guard let frame = frameBytes, frame <= Self.maxFrameBytes else {
            throw CodecError("a frame of \(rows)x\(columns)x\(samplesPerPixel) at \(bitsAllocated) bits is too large")
        }
    }

    public var pixels: Int { rows * columns }
    public var bytesPerSample: Int { max(1, bitsAllocated / 8) }
    public var isColor: Bool { samplesPerPixel > 1 }

    /// Bytes of one native frame (1-bit frames rounded up to whole bytes), nil on overflow.
    public var frameBytes: Int? {
        let (a, o1) = rows.multipliedReportingOverflow(by: columns)
        let (b, o2) = a.multipliedReportingOverflow(by: samplesPerPixel)
        guard !o1, !o2 else { return nil }
        if bitsAllocated == 1 { return (b + 7) / 8 }
        let (c, o3) = b.multipliedReportingOverflow(by: bitsAllocated / 8)
        return o3 ? nil : c
    }

    /// Bytes of all frames in native form: 1-bit frames are packed end to end, not byte-aligned (PS3.5 §8.1.1).
    public var totalNativeBytes: Int? {
        if bitsAllocated == 1 {
            let (bits, o) = (pixels * samplesPerPixel).multipliedReportingOverflow(by: numberOfFrames)
            return o ? nil : (bits + 7) / 8
        }
        guard let frame = frameBytes else { return nil }
        let (t, o) = frame.multipliedReportingOverflow(by: numberOfFrames)
        return o ? nil : t
    }

    var geometry: FrameGeometry {
        FrameGeometry(rows: rows, columns: columns, samplesPerPixel: samplesPerPixel, bitsAllocated: max(8, bitsAllocated))
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.last == set || s.last == "\0" { s.removeLast() }
        while s.first == set { s.removeFirst() }
        return String(s)
    }
}
