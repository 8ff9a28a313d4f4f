#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DICOM

/// The demo archive a new user sees: two patients, one with a current and a prior CT of the head (Shepp–Logan
/// phantom, 512×512, correct geometry and Hounsfield units), the other with an MR series and a two-view CR.
///
/// Everything is deterministic: the same UIDs and pixels on every machine, so loading the demo twice adds
/// nothing twice.
public struct DemoStudies: Sendable {
    public var ctSlices: Int
    public var priorSlices: Int
    public var mrSlices: Int

    public init(ctSlices: Int = 300, priorSlices: Int = 60, mrSlices: Int = 24) {
        self.ctSlices = ctSlices
        self.priorSlices = priorSlices
        self.mrSlices = mrSlices
    }

    struct Patient {
        let name: String
        let id: String
        let birthDate: String
        let sex: String
    }

    struct Study {
        let patient: Patient
        let key: String
        let date: String
        let time: String
        let description: String
        let accession: String
        var uid: String { nameBasedUID("study/" + key) }
    }

    static let jane = Patient(name: "Doe^Jane", id: "LB0001", birthDate: "19560412", sex: "F")
    static let hans = Patient(name: "Müller^Hans", id: "LB0002", birthDate: "19781103", sex: "M")

    /// Every demo instance, one at a time (a 300-slice series is 150 MB: never all in memory). The callback gets
    /// a relative path and the file.
    public func generate(_ each: (String, DICOMFile) throws -> Void) throws {
        let current = Study(patient: Self.jane, key: "ct-current", date: "20260302", time: "091500",
                            description: "CT HEAD WO CONTRAST", accession: "LBA1001")
        let prior = Study(patient: Self.jane, key: "ct-prior", date: "20250115", time: "141000",
                          description: "CT HEAD WO CONTRAST", accession: "LBA0877")
        try ctSeries(study: current, seriesKey: "ct-current/1", slices: ctSlices, thickness: 0.8, each)
        try ctSeries(study: prior, seriesKey: "ct-prior/1", slices: priorSlices, thickness: 4.0, each)
        let mr = Study(patient: Self.hans, key: "mr", date: "20260210", time: "103000",
                       description: "MR BRAIN", accession: "LBA0990")
        try mrSeries(study: mr, each)
        let cr = Study(patient: Self.hans, key: "cr", date: "20260211", time: "080500",
                       description: "XR SKULL 2 VIEWS", accession: "LBA0991")
        try crViews(study: cr, each)
    }

    /// The number of files `generate` produces.
    public var fileCount: Int { ctSlices + priorSlices + mrSlices + 2 }

    // MARK: CT

    /// An axial CT series through the phantom: the head (the unit cube) spans 250 mm in every direction.
    func ctSeries(study: Study, seriesKey: String, slices: Int, thickness: Double,
                  _ each: (String, DICOMFile) throws -> Void) throws {
        let size = 512
        let fieldOfView = 250.0
        let spacing = fieldOfView / Double(size)
        let seriesUID = nameBasedUID("series/" + seriesKey)
        let frameOfReference = nameBasedUID("for/" + study.key)
        var noise = NoiseGenerator(seed: UInt64(truncatingIfNeeded: seriesKey.hashValueStable))
        for i in 0..<slices {
            // Slices run from the top of the head down, centred on the phantom.
            let z = (Double(slices - 1) / 2 - Double(i)) * thickness
            let values = HeadPhantom.ct.slice(z: z / (fieldOfView / 2), size: size)
            // Stored values: HU + 1024 in 12 bits (rescale intercept -1024), with a little quantum noise.
            var pixels = [UInt16](repeating: 0, count: size * size)
            for k in 0..<pixels.count {
                let hu = values[k] + (values[k] > -900 ? noise.next(amplitude: 4) : 0)
                pixels[k] = UInt16(max(0, min(4095, (hu + 1024).rounded())))
            }
            var ds = common(study: study, modality: "CT", sopClass: "1.2.840.10008.5.1.4.1.1.2",
                            instanceKey: "\(seriesKey)/\(i + 1)", seriesUID: seriesUID, seriesNumber: 1,
                            seriesDescription: String(formatThickness(thickness)) + " mm axial", instance: i + 1)
            ds.set(DataElement(tag: Tag(0x0008_0008), vr: .CS, strings: ["ORIGINAL", "PRIMARY", "AXIAL"]))
            ds.set(DataElement(tag: Tag(0x0018_0015), vr: .CS, string: "HEAD"))
            ds.set(DataElement(tag: Tag(0x0018_0050), decimalStrings: [thickness]))
            ds.set(DataElement(tag: Tag(0x0018_0060), decimalStrings: [120]))
            ds.set(DataElement(tag: Tag(0x0018_1151), integerStrings: [220]))
            ds.set(DataElement(tag: Tag(0x0018_5100), vr: .CS, string: "HFS"))
            ds.set(DataElement(tag: Tag(0x0020_0012), integerStrings: [1]))
            geometry(&ds, position: [-fieldOfView / 2 + spacing / 2, -fieldOfView / 2 + spacing / 2, z],
                     spacing: spacing, frameOfReference: frameOfReference)
            ds.set(DataElement(tag: Tag(0x0020_1041), decimalStrings: [z]))
            image(&ds, rows: size, columns: size, bitsStored: 12, pixels: pixels)
            ds.set(DataElement(tag: Tag(0x0028_1050), decimalStrings: [40, 400]))
            ds.set(DataElement(tag: Tag(0x0028_1051), decimalStrings: [80, 2000]))
            ds.set(DataElement(tag: Tag(0x0028_1055), vr: .LO, strings: ["BRAIN", "BONE"]))
            ds.set(DataElement(tag: Tag(0x0028_1052), decimalStrings: [-1024]))
            ds.set(DataElement(tag: Tag(0x0028_1053), decimalStrings: [1]))
            ds.set(DataElement(tag: Tag(0x0028_1054), vr: .LO, string: "HU"))
            try each(path(study, seriesNumber: 1, instance: i + 1), DICOMFile(dataSet: ds))
        }
    }

    // MARK: MR

    func mrSeries(study: Study, _ each: (String, DICOMFile) throws -> Void) throws {
        let size = 256
        let fieldOfView = 240.0
        let spacing = fieldOfView / Double(size)
        let thickness = 5.0
        let seriesUID = nameBasedUID("series/mr/1")
        let frameOfReference = nameBasedUID("for/" + study.key)
        var noise = NoiseGenerator(seed: 7)
        for i in 0..<mrSlices {
            let z = (Double(mrSlices - 1) / 2 - Double(i)) * thickness
            let values = HeadPhantom.mr.slice(z: z / 125, size: size)
            var pixels = [UInt16](repeating: 0, count: size * size)
            for k in 0..<pixels.count {
                // Rician-like background noise everywhere, as magnitude MR images have.
                pixels[k] = UInt16(max(0, min(4095, (values[k] + abs(noise.next(amplitude: 12)) + 8).rounded())))
            }
            var ds = common(study: study, modality: "MR", sopClass: "1.2.840.10008.5.1.4.1.1.4",
                            instanceKey: "mr/1/\(i + 1)", seriesUID: seriesUID, seriesNumber: 1,
                            seriesDescription: "T1 SE axial", instance: i + 1)
            ds.set(DataElement(tag: Tag(0x0008_0008), vr: .CS, strings: ["ORIGINAL", "PRIMARY", "M", "ND"]))
            ds.set(DataElement(tag: Tag(0x0018_0015), vr: .CS, string: "BRAIN"))
            ds.set(DataElement(tag: Tag(0x0018_0020), vr: .CS, string: "SE"))
            ds.set(DataElement(tag: Tag(0x0018_0021), vr: .CS, string: "NONE"))
            ds.set(DataElement(tag: Tag(0x0018_0022), vr: .CS, string: ""))
            ds.set(DataElement(tag: Tag(0x0018_0023), vr: .CS, string: "2D"))
            ds.set(DataElement(tag: Tag(0x0018_0050), decimalStrings: [thickness]))
            ds.set(DataElement(tag: Tag(0x0018_0080), decimalStrings: [500]))
            ds.set(DataElement(tag: Tag(0x0018_0081), decimalStrings: [15]))
            ds.set(DataElement(tag: Tag(0x0018_0087), decimalStrings: [1.5]))
            ds.set(DataElement(tag: Tag(0x0018_0091), integerStrings: [1]))
            ds.set(DataElement(tag: Tag(0x0018_5100), vr: .CS, string: "HFS"))
            geometry(&ds, position: [-fieldOfView / 2 + spacing / 2, -fieldOfView / 2 + spacing / 2, z],
                     spacing: spacing, frameOfReference: frameOfReference)
            ds.set(DataElement(tag: Tag(0x0020_1041), decimalStrings: [z]))
            image(&ds, rows: size, columns: size, bitsStored: 12, pixels: pixels)
            ds.set(DataElement(tag: Tag(0x0028_1050), decimalStrings: [500]))
            ds.set(DataElement(tag: Tag(0x0028_1051), decimalStrings: [1000]))
            try each(path(study, seriesNumber: 1, instance: i + 1), DICOMFile(dataSet: ds))
        }
    }

    // MARK: CR

    /// A PA and a lateral radiograph of the phantom's skull: line integrals, bone bright (MONOCHROME2).
    func crViews(study: Study, _ each: (String, DICOMFile) throws -> Void) throws {
        let size = 1024
        let spacing = 0.25
        for (n, lateral) in [false, true].enumerated() {
            let projection = HeadPhantom.xray.rayProjection(lateral: lateral, size: size)
            let pixels = projection.map { UInt16(max(0, min(4095, 200 + $0 * 3600))) }
            let key = "cr/\(n + 1)"
            var ds = common(study: study, modality: "CR", sopClass: "1.2.840.10008.5.1.4.1.1.1", instanceKey: key,
                            seriesUID: nameBasedUID("series/" + key), seriesNumber: n + 1,
                            seriesDescription: lateral ? "SKULL LAT" : "SKULL PA", instance: 1)
            ds.set(DataElement(tag: Tag(0x0008_0008), vr: .CS, strings: ["ORIGINAL", "PRIMARY"]))
            ds.set(DataElement(tag: Tag(0x0018_0015), vr: .CS, string: "SKULL"))
            ds.set(DataElement(tag: Tag(0x0018_1164), decimalStrings: [spacing, spacing]))
            ds.set(DataElement(tag: Tag(0x0018_5101), vr: .CS, string: lateral ? "LL" : "PA"))
            ds.set(DataElement(tag: Tag(0x0020_0020), vr: .CS, strings: lateral ? ["A", "F"] : ["R", "F"]))
            ds.set(DataElement(tag: Tag(0x0028_0030), decimalStrings: [spacing, spacing]))
            image(&ds, rows: size, columns: size, bitsStored: 12, pixels: pixels)
            ds.set(DataElement(tag: Tag(0x0028_1050), decimalStrings: [2000]))
            ds.set(DataElement(tag: Tag(0x0028_1051), decimalStrings: [3800]))
            try each(path(study, seriesNumber: n + 1, instance: 1), DICOMFile(dataSet: ds))
        }
    }

    // MARK: Modules

    /// Patient, General Study, General Series, General Equipment, General Image and SOP Common (PS3.3 C.7).
    func common(study: Study, modality: String, sopClass: String, instanceKey: String, seriesUID: String,
                seriesNumber: Int, seriesDescription: String, instance: Int) -> DataSet {
        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 192"))
        ds.set(DataElement(tag: .sopClassUID, vr: .UI, string: sopClass))
        ds.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: nameBasedUID("instance/" + instanceKey)))
        for tag in [Tag(0x0008_0012), .studyDate, Tag(0x0008_0021), Tag(0x0008_0023)] {
            ds.set(DataElement(tag: tag, vr: .DA, string: study.date))
        }
        for tag in [Tag(0x0008_0013), Tag(0x0008_0030), Tag(0x0008_0031), Tag(0x0008_0033)] {
            ds.set(DataElement(tag: tag, vr: .TM, string: study.time))
        }
        ds.set(DataElement(tag: Tag(0x0008_0050), vr: .SH, string: study.accession))
        ds.set(DataElement(tag: .modality, vr: .CS, string: modality))
        ds.set(DataElement(tag: Tag(0x0008_0070), vr: .LO, string: "Lightbox"))
        ds.set(DataElement(tag: Tag(0x0008_0080), vr: .LO, string: "Lightbox Demo Hospital"))
        ds.set(DataElement(tag: Tag(0x0008_0090), vr: .PN, string: "House^Gregory"))
        ds.set(DataElement(tag: Tag(0x0008_1030), vr: .LO, string: study.description))
        ds.set(DataElement(tag: Tag(0x0008_103E), vr: .LO, string: seriesDescription))
        ds.set(DataElement(tag: Tag(0x0008_1090), vr: .LO, string: "Shepp-Logan Phantom"))
        ds.set(DataElement(tag: .patientName, vr: .PN, string: study.patient.name))
        ds.set(DataElement(tag: .patientID, vr: .LO, string: study.patient.id))
        ds.set(DataElement(tag: Tag(0x0010_0021), vr: .LO, string: "LIGHTBOX"))
        ds.set(DataElement(tag: Tag(0x0010_0030), vr: .DA, string: study.patient.birthDate))
        ds.set(DataElement(tag: Tag(0x0010_0040), vr: .CS, string: study.patient.sex))
        ds.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: study.uid))
        ds.set(DataElement(tag: .seriesInstanceUID, vr: .UI, string: seriesUID))
        ds.set(DataElement(tag: Tag(0x0020_0010), vr: .SH, string: study.accession))
        ds.set(DataElement(tag: Tag(0x0020_0011), integerStrings: [seriesNumber]))
        ds.set(DataElement(tag: Tag(0x0020_0013), integerStrings: [instance]))
        return ds
    }

    /// Image Plane (PS3.3 C.7.6.2): axial orientation, position of the first pixel's centre, pixel spacing.
    func geometry(_ ds: inout DataSet, position: [Double], spacing: Double, frameOfReference: String) {
        ds.set(DataElement(tag: Tag(0x0020_0032), decimalStrings: position))
        ds.set(DataElement(tag: Tag(0x0020_0037), decimalStrings: [1, 0, 0, 0, 1, 0]))
        ds.set(DataElement(tag: Tag(0x0020_0052), vr: .UI, string: frameOfReference))
        ds.set(DataElement(tag: Tag(0x0020_1040), vr: .LO, string: ""))
        ds.set(DataElement(tag: Tag(0x0028_0030), decimalStrings: [spacing, spacing]))
    }

    /// Image Pixel (PS3.3 C.7.6.3): 16-bit unsigned greyscale.
    func image(_ ds: inout DataSet, rows: Int, columns: Int, bitsStored: Int, pixels: [UInt16]) {
        ds.set(DataElement(tag: .samplesPerPixel, vr: .US, integers: [UInt16(1)]))
        ds.set(DataElement(tag: .photometricInterpretation, vr: .CS, string: "MONOCHROME2"))
        ds.set(DataElement(tag: .rows, vr: .US, integers: [UInt16(rows)]))
        ds.set(DataElement(tag: .columns, vr: .US, integers: [UInt16(columns)]))
        ds.set(DataElement(tag: .bitsAllocated, vr: .US, integers: [UInt16(16)]))
        ds.set(DataElement(tag: .bitsStored, vr: .US, integers: [UInt16(bitsStored)]))
        ds.set(DataElement(tag: Tag(0x0028_0102), vr: .US, integers: [UInt16(bitsStored - 1)]))
        ds.set(DataElement(tag: .pixelRepresentation, vr: .US, integers: [UInt16(0)]))
        ds.set(DataElement(tag: .pixelData, vr: .OW, integers: pixels))
    }

    func path(_ study: Study, seriesNumber: Int, instance: Int) -> String {
        "\(study.patient.id)/\(study.date)-\(study.key)/\(seriesNumber)/\(instance).dcm"
    }

    func formatThickness(_ t: Double) -> String { formatDS(t) }
}

/// A deterministic pseudo-random generator (SplitMix64): the same noise on every machine.
struct NoiseGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func nextBits() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Roughly normal noise (sum of uniforms) with the given amplitude.
    mutating func next(amplitude: Double) -> Double {
        var s = 0.0
        for _ in 0..<4 { s += Double(nextBits() >> 11) / Double(1 << 53) }
        return (s - 2) * amplitude
    }
}

/// A UID from a name, the same on every machine, under the demo data's namespace.
public func nameBasedUID(_ name: String) -> String {
    UIDGenerator.nameBased(name, namespace: "lightbox-demo")
}

extension String {
    /// FNV-1a: a hash that, unlike hashValue, is the same in every process.
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}

extension HeadPhantom {
    /// A radiograph by exact ray–ellipsoid chords: for each detector pixel, the path length through each
    /// ellipsoid times its value, along y (PA) or x (lateral). Values normalised to [0, 1].
    public func rayProjection(lateral: Bool, size: Int) -> [Double] {
        var out = [Double](repeating: 0, count: size * size)
        for row in 0..<size {
            let z = 1 - (Double(row) + 0.5) * 2 / Double(size)
            for col in 0..<size {
                let u = (Double(col) + 0.5) * 2 / Double(size) - 1
                var sum = 0.0
                for e in ellipsoids {
                    let angle = e.phi * .pi / 180
                    let (s, c) = (sin(angle), cos(angle))
                    // Ray: origin on the detector plane, direction along the projection axis.
                    let (ox, oy, dx, dy) = lateral ? (-2.0, u, 1.0, 0.0) : (u, -2.0, 0.0, 1.0)
                    let px = ox - e.center.x, py = oy - e.center.y, pz = z - e.center.z
                    // Into the ellipsoid's frame, scaled to a unit sphere.
                    let qx = (px * c + py * s) / e.axes.a, qy = (-px * s + py * c) / e.axes.b, qz = pz / e.axes.c
                    let vx = (dx * c + dy * s) / e.axes.a, vy = (-dx * s + dy * c) / e.axes.b
                    let a = vx * vx + vy * vy
                    let b = qx * vx + qy * vy
                    let cc = qx * qx + qy * qy + qz * qz - 1
                    let disc = b * b - a * cc
                    if disc > 0 { sum += e.value * 2 * disc.squareRoot() / a }
                }
                out[row * size + col] = sum
            }
        }
        let maxValue = out.max() ?? 1
        return out.map { maxValue > 0 ? max(0, $0) / maxValue : 0 }
    }
}
