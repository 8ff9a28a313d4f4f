/// Why a frame could not be decoded or encoded: a one-line reason naming what was wrong, never a crash.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// What a codec needs to know of the image (PS3.3 C.7.6.3): the Image Pixel module's geometry and sample layout.
public struct FrameGeometry: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    /// 8, 16 or 32 (1-bit data is packed by the caller).
    public var bitsAllocated: Int

    public init(rows: Int, columns: Int, samplesPerPixel: Int, bitsAllocated: Int) {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
    }

    public var bytesPerSample: Int { bitsAllocated / 8 }
    public var pixels: Int { rows * columns }

    /// Bytes of one native frame, nil when the product overflows or the layout is not a whole number of bytes.
    public var frameLength: Int? {
        guard rows > 0, columns > 0, samplesPerPixel > 0, bitsAllocated > 0, bitsAllocated % 8 == 0 else { return nil }
        let (a, o1) = rows.multipliedReportingOverflow(by: columns)
        let (b, o2) = a.multipliedReportingOverflow(by: samplesPerPixel)
        let (c, o3) = b.multipliedReportingOverflow(by: bytesPerSample)
        return o1 || o2 || o3 ? nil : c
    }
}
