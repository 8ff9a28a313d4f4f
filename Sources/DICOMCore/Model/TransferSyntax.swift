/// A transfer syntax (PS3.5 §10, PS3.6 Annex A): how a data set is encoded.
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
    public let uid: String
    public let isExplicitVR: Bool
    public let isBigEndian: Bool
    /// The data set after the file meta information is raw-deflated (PS3.5 §A.5).
    public let isDeflated: Bool
    /// Pixel data is encapsulated in fragments (PS3.5 §A.4).
    public let isEncapsulated: Bool
    public let isLossy: Bool

    public init(uid: String, explicitVR: Bool = true, bigEndian: Bool = false, deflated: Bool = false,
                encapsulated: Bool = true, lossy: Bool = false) {
        self.uid = uid
        self.isExplicitVR = explicitVR
        self.isBigEndian = bigEndian
        self.isDeflated = deflated
        self.isEncapsulated = encapsulated
        self.isLossy = lossy
    }

    public var name: String { UIDRegistry.entry(for: uid)?.name ?? uid }
    public var isRetired: Bool { UIDRegistry.entry(for: uid)?.isRetired ?? false }
    public var description: String { name }

    public static let implicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2", explicitVR: false, encapsulated: false)
    public static let explicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1", encapsulated: false)
    public static let encapsulatedUncompressedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.98")
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.99", deflated: true, encapsulated: false)
    public static let explicitVRBigEndian = TransferSyntax(uid: "1.2.840.10008.1.2.2", bigEndian: true, encapsulated: false)
    public static let jpegBaseline8Bit = TransferSyntax(uid: "1.2.840.10008.1.2.4.50", lossy: true)
    public static let jpegExtended12Bit = TransferSyntax(uid: "1.2.840.10008.1.2.4.51", lossy: true)
    public static let jpegLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.57")
    public static let jpegLosslessSV1 = TransferSyntax(uid: "1.2.840.10008.1.2.4.70")
    public static let jpegLSLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.80")
    public static let jpegLSNearLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.81", lossy: true)
    public static let jpeg2000Lossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.90")
    public static let jpeg2000 = TransferSyntax(uid: "1.2.840.10008.1.2.4.91", lossy: true)
    public static let htj2kLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.201")
    public static let htj2kLosslessRPCL = TransferSyntax(uid: "1.2.840.10008.1.2.4.202")
    public static let htj2k = TransferSyntax(uid: "1.2.840.10008.1.2.4.203", lossy: true)
    public static let rleLossless = TransferSyntax(uid: "1.2.840.10008.1.2.5")
    public static let deflatedImageFrameCompression = TransferSyntax(uid: "1.2.840.10008.1.2.8.1")

    /// The syntaxes with uncompressed pixel data in the native (non-encapsulated) format.
    public static let native: [TransferSyntax] = [.implicitVRLittleEndian, .explicitVRLittleEndian,
                                                  .deflatedExplicitVRLittleEndian, .explicitVRBigEndian]

    /// Every transfer syntax of the registry. Those not native are encapsulated, explicit VR little endian
    /// (PS3.5 §A.4); lossy ones are recognised by name.
    public static func from(uid: String) -> TransferSyntax? {
        let uid = trimUID(uid)
        if let known = native.first(where: { $0.uid == uid }) { return known }
        guard let entry = UIDRegistry.entry(for: uid), entry.type == "Transfer Syntax" else { return nil }
        // Papyrus 3 Implicit VR Little Endian (retired) is a native implicit VR encoding.
        if uid == "1.2.840.10008.1.20" { return TransferSyntax(uid: uid, explicitVR: false, encapsulated: false) }
        // The JPIP Referenced Deflate syntaxes deflate the data set as Deflated Explicit VR Little Endian does (PS3.5 §A.7).
        let deflated = uid == "1.2.840.10008.1.2.4.95" || uid == "1.2.840.10008.1.2.4.205"
        return TransferSyntax(uid: uid, deflated: deflated, lossy: isLossyName(entry.name, uid: uid))
    }

    /// Like `from(uid:)`, but an unregistered UID (a private transfer syntax) is assumed to be explicit VR little
    /// endian with encapsulated pixel data, as DCMTK and pydicom assume.
    public static func resolving(uid: String) -> TransferSyntax {
        from(uid: uid) ?? TransferSyntax(uid: trimUID(uid))
    }

    static func isLossyName(_ name: String, uid: String) -> Bool {
        if name.contains("Lossless") && !name.contains("Near-Lossless") && !name.contains("Lossy") { return false }
        // SMPTE ST 2110 uncompressed video and PCM audio are not compressed at all.
        if name.contains("Uncompressed") || name.contains("PCM") { return false }
        if uid == "1.2.840.10008.1.2.4.90" || uid == "1.2.840.10008.1.2.5" || uid == "1.2.840.10008.1.2.1.98"
            || uid == "1.2.840.10008.1.2.8.1" { return false }
        // JPEG lossless processes 14/15 and the retired lossless hierarchical processes are lossless.
        if uid == "1.2.840.10008.1.2.4.57" || uid == "1.2.840.10008.1.2.4.58" || uid == "1.2.840.10008.1.2.4.65"
            || uid == "1.2.840.10008.1.2.4.66" || uid == "1.2.840.10008.1.2.4.70" { return false }
        // MPEG, HEVC, JPIP referenced and the like are lossy or not pixel syntaxes; treat media codecs as lossy.
        return true
    }
}

/// UIDs are padded with NUL to even length (PS3.5 §9.1); some writers pad with spaces.
func trimUID(_ uid: String) -> String {
    var s = Substring(uid)
    while let last = s.last, last == "\0" || last == " " { s = s.dropLast() }
    while let first = s.first, first == " " { s = s.dropFirst() }
    return String(s)
}
