import DICOM
import DICOMQuery

/// How a header is divided among the levels of the index, and how each part is kept: an encoded, deflated data set.
enum LevelAttributes {
    /// Binary values larger than this are left out of the kept header (icons, overlays, waveforms): they are
    /// bulk data, read from the file when asked for.
    static let bulkThreshold = 16 * 1024

    /// The attributes of each level from one instance's header (PS3.4 C.6): patient, study and series ones, and
    /// the instance's whole header without its bulk data. Each part carries the Specific Character Set.
    static func split(_ header: DataSet) -> (patient: DataSet, study: DataSet, series: DataSet, instance: DataSet) {
        var patient = DataSet(), study = DataSet(), series = DataSet(), instance = DataSet()
        for e in header.elements {
            if e.tag == .pixelData || e.tag == .floatPixelData || e.tag == .doubleFloatPixelData { continue }
            if e.tag.isGroupLength || e.tag.group == 0x0002 { continue }
            if isBulk(e) { continue }
            instance.set(e)
            switch QueryAttributes.level(of: e.tag, model: .patientRoot) {
            case .patient?: patient.set(e)
            case .study?: study.set(e)
            case .series?: series.set(e)
            default: break
            }
        }
        if let cs = header[.specificCharacterSet] {
            patient.set(cs)
            study.set(cs)
            series.set(cs)
        }
        return (patient, study, series, instance)
    }

    static func isBulk(_ e: DataElement) -> Bool {
        switch e.value {
        case .encapsulated: return true
        case .bytes(let b): return e.vr.isBinary && b.count > bulkThreshold
        case .sequence: return false
        }
    }

    /// Explicit VR little endian after a one-byte format mark: plain for the small level sets (decoded for every
    /// query match, so they should cost nothing to read), deflated for instance headers (a CT header of a few
    /// kilobytes keeps in about one).
    static func encode(_ dataSet: DataSet, deflate: Bool) -> [UInt8] {
        var writer = DataSetWriter(explicitVR: true)
        writer.groupLengths = .remove
        guard let plain = try? writer.encode(dataSet) else { return [0] }
        if deflate, let packed = try? plain.withUnsafeBytes({ try ZlibDeflate(level: 1).deflate($0) }) {
            return [1] + packed
        }
        return [0] + plain
    }

    static func decode(_ blob: [UInt8]?) -> DataSet {
        guard let blob, let mark = blob.first else { return DataSet() }
        let body = blob.dropFirst()
        let plain: [UInt8]
        if mark == 1 {
            guard let inflated = try? body.withUnsafeBytes({ try ZlibDeflate().inflate($0, limit: 64 << 20) }).output else { return DataSet() }
            plain = inflated
        } else {
            plain = Array(body)
        }
        return (try? DICOMFile.parseDataSet(ByteRegion.copying(plain).bytes, transferSyntax: .explicitVRLittleEndian)) ?? DataSet()
    }
}
