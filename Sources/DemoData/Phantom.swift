/// The 3D Shepp–Logan head phantom (Shepp & Logan 1974, extended to 3D by Kak & Slaney): ellipsoids whose
/// contributions add up. Each ellipsoid carries a Hounsfield unit offset, so that the phantom rasterises straight
/// to CT numbers: air outside, bone for the skull, brain and CSF inside, small lesions.
public struct Ellipsoid: Sendable {
    /// Centre and semi-axes in the unit cube [-1, 1]³.
    public var center: (x: Double, y: Double, z: Double)
    public var axes: (a: Double, b: Double, c: Double)
    /// Rotation about the z axis, in degrees.
    public var phi: Double
    /// Added to the value of every point inside.
    public var value: Double
}

public struct HeadPhantom: Sendable {
    public var ellipsoids: [Ellipsoid]
    /// The value outside every ellipsoid.
    public var background: Double

    /// CT numbers: the skull is cortical bone (~+900 HU), the brain ~+35 HU, ventricles CSF (~+5 HU),
    /// small lesions a little denser than brain.
    public static let ct = HeadPhantom(ellipsoids: [
        Ellipsoid(center: (0, 0, 0), axes: (0.69, 0.92, 0.81), phi: 0, value: 1900),
        Ellipsoid(center: (0, -0.0184, 0), axes: (0.6624, 0.874, 0.78), phi: 0, value: -865),
        Ellipsoid(center: (0.22, 0, 0), axes: (0.11, 0.31, 0.22), phi: -18, value: -30),
        Ellipsoid(center: (-0.22, 0, 0), axes: (0.16, 0.41, 0.28), phi: 18, value: -30),
        Ellipsoid(center: (0, 0.35, -0.15), axes: (0.21, 0.25, 0.41), phi: 0, value: 15),
        Ellipsoid(center: (0, 0.1, 0.25), axes: (0.046, 0.046, 0.05), phi: 0, value: 20),
        Ellipsoid(center: (0, -0.1, 0.25), axes: (0.046, 0.046, 0.05), phi: 0, value: 20),
        Ellipsoid(center: (-0.08, -0.605, 0), axes: (0.046, 0.023, 0.05), phi: 0, value: 25),
        Ellipsoid(center: (0, -0.606, 0), axes: (0.023, 0.023, 0.02), phi: 0, value: 25),
        Ellipsoid(center: (0.06, -0.605, 0), axes: (0.023, 0.046, 0.02), phi: 0, value: 25),
    ], background: -1000)

    /// An MR-like contrast (T1-weighted look): fat-bright scalp, grey brain, dark CSF, arbitrary units.
    public static let mr = HeadPhantom(ellipsoids: [
        Ellipsoid(center: (0, 0, 0), axes: (0.69, 0.92, 0.81), phi: 0, value: 900),
        Ellipsoid(center: (0, -0.0184, 0), axes: (0.6624, 0.874, 0.78), phi: 0, value: -400),
        Ellipsoid(center: (0.22, 0, 0), axes: (0.11, 0.31, 0.22), phi: -18, value: -380),
        Ellipsoid(center: (-0.22, 0, 0), axes: (0.16, 0.41, 0.28), phi: 18, value: -380),
        Ellipsoid(center: (0, 0.35, -0.15), axes: (0.21, 0.25, 0.41), phi: 0, value: 120),
        Ellipsoid(center: (0, 0.1, 0.25), axes: (0.046, 0.046, 0.05), phi: 0, value: 250),
        Ellipsoid(center: (0, -0.1, 0.25), axes: (0.046, 0.046, 0.05), phi: 0, value: 250),
        Ellipsoid(center: (-0.08, -0.605, 0), axes: (0.046, 0.023, 0.05), phi: 0, value: 200),
        Ellipsoid(center: (0, -0.606, 0), axes: (0.023, 0.023, 0.02), phi: 0, value: 200),
        Ellipsoid(center: (0.06, -0.605, 0), axes: (0.023, 0.046, 0.02), phi: 0, value: 200),
    ], background: 0)

    /// X-ray attenuation for radiographs: bone attenuates several times more than soft tissue, so that the
    /// skull's outline stands out as it does on a film.
    public static let xray = HeadPhantom(ellipsoids: [
        Ellipsoid(center: (0, 0, 0), axes: (0.69, 0.92, 0.81), phi: 0, value: 1.0),
        Ellipsoid(center: (0, -0.0184, 0), axes: (0.6624, 0.874, 0.78), phi: 0, value: -0.8),
        Ellipsoid(center: (0.22, 0, 0), axes: (0.11, 0.31, 0.22), phi: -18, value: -0.01),
        Ellipsoid(center: (-0.22, 0, 0), axes: (0.16, 0.41, 0.28), phi: 18, value: -0.01),
        Ellipsoid(center: (0, 0.35, -0.15), axes: (0.21, 0.25, 0.41), phi: 0, value: 0.01),
        Ellipsoid(center: (0, 0.1, 0.25), axes: (0.046, 0.046, 0.05), phi: 0, value: 0.3),
        Ellipsoid(center: (0, -0.1, 0.25), axes: (0.046, 0.046, 0.05), phi: 0, value: 0.3),
        Ellipsoid(center: (-0.08, -0.605, 0), axes: (0.046, 0.023, 0.05), phi: 0, value: 0.3),
        Ellipsoid(center: (0, -0.606, 0), axes: (0.023, 0.023, 0.02), phi: 0, value: 0.3),
        Ellipsoid(center: (0.06, -0.605, 0), axes: (0.023, 0.046, 0.02), phi: 0, value: 0.3),
    ], background: 0)

    /// Rasterises the slice at height `z` (in the unit cube) into `size`×`size` values, row by row from the top
    /// (y = +1 is anterior at the top of the image, as radiological convention shows an axial slice).
    public func slice(z: Double, size: Int) -> [Double] {
        var out = [Double](repeating: background, count: size * size)
        let scale = 2.0 / Double(size)
        for e in ellipsoids {
            let dz = (z - e.center.z) / e.axes.c
            let rz = 1 - dz * dz
            if rz <= 0 { continue }
            let angle = e.phi * .pi / 180
            let (s, c) = (sin(angle), cos(angle))
            let ia = 1 / (e.axes.a * e.axes.a), ib = 1 / (e.axes.b * e.axes.b)
            // Only rows that the ellipsoid's bounding circle reaches.
            let reach = max(e.axes.a, e.axes.b) * rz.squareRoot()
            let rowLo = max(0, Int(((1 - (e.center.y + reach)) / scale).rounded(.down)))
            let rowHi = min(size - 1, Int(((1 - (e.center.y - reach)) / scale).rounded(.up)))
            if rowLo > rowHi { continue }
            out.withUnsafeMutableBufferPointer { buf in
                for row in rowLo...rowHi {
                    let y = 1 - (Double(row) + 0.5) * scale - e.center.y
                    for col in 0..<size {
                        let x = (Double(col) + 0.5) * scale - 1 - e.center.x
                        let xr = x * c + y * s
                        let yr = -x * s + y * c
                        if xr * xr * ia + yr * yr * ib <= rz { buf[row * size + col] += e.value }
                    }
                }
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
