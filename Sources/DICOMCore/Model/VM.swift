/// Value multiplicity as the data dictionary states it (PS3.5 §6.4): "1", "1-3", "1-n", "2-2n", "3-3n".
public struct VM: Hashable, Sendable, CustomStringConvertible {
    public let minimum: Int
    /// nil for "n".
    public let maximum: Int?
    /// Values come in multiples of this ("2-2n" has step 2).
    public let step: Int

    public init(minimum: Int, maximum: Int?, step: Int = 1) {
        self.minimum = minimum
        self.maximum = maximum
        self.step = step
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let lo = Int(first) else { return nil }
        if parts.count == 1 {
            self.init(minimum: lo, maximum: lo)
        } else if parts[1] == "n" {
            self.init(minimum: lo, maximum: nil)
        } else if parts[1].hasSuffix("n"), let k = Int(parts[1].dropLast()) {
            self.init(minimum: lo, maximum: nil, step: k)
        } else if let hi = Int(parts[1]) {
            self.init(minimum: lo, maximum: hi)
        } else {
            return nil
        }
    }

    public var description: String {
        guard let maximum else { return step > 1 ? "\(minimum)-\(step)n" : "\(minimum)-n" }
        return maximum == minimum ? "\(minimum)" : "\(minimum)-\(maximum)"
    }

    public func allows(_ count: Int) -> Bool {
        if count < minimum { return false }
        if let maximum, count > maximum { return false }
        return count % step == 0
    }
}
