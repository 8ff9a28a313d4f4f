/// The VOI LUT functions of PS3.3 C.11.2.1.2 (and C.11.2.1.3 for SIGMOID): stored modality values to display
/// values in [yMin, yMax].
public enum VOIFunction: String, Sendable, CaseIterable {
    case linear = "LINEAR"
    case linearExact = "LINEAR_EXACT"
    case sigmoid = "SIGMOID"
}

public struct Window: Sendable, Equatable {
    public var center: Double
    public var width: Double
    public var function: VOIFunction

    public init(center: Double, width: Double, function: VOIFunction = .linear) {
        self.center = center
        self.width = width
        self.function = function
    }

    /// `x` mapped to [0, yMax] (C.11.2.1.2.1, C.11.2.1.3.1, C.11.2.1.3.2).
    @inline(__always)
    public func apply(_ x: Double, yMax: Double = 255) -> Double {
        switch function {
        case .linear:
            // Width below 1 is not valid for LINEAR; 1 gives a threshold at the center.
            let w = max(width, 1)
            let low = center - 0.5 - (w - 1) / 2, high = center - 0.5 + (w - 1) / 2
            if x <= low { return 0 }
            if x > high { return yMax }
            return w == 1 ? yMax : ((x - (center - 0.5)) / (w - 1) + 0.5) * yMax
        case .linearExact:
            let w = max(width, .leastNonzeroMagnitude)
            if x <= center - w / 2 { return 0 }
            if x > center + w / 2 { return yMax }
            return ((x - center) / w + 0.5) * yMax
        case .sigmoid:
            let w = max(width, .leastNonzeroMagnitude)
            return yMax / (1 + _exp(-4 * (x - center) / w))
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Foundation
@inline(__always) func _exp(_ x: Double) -> Double { Foundation.exp(x) }
#endif
