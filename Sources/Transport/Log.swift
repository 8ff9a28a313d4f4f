/// How serious a logged event is.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .debug: return "debug"
        case .info: return "info"
        case .warning: return "warning"
        case .error: return "error"
        }
    }

    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }
}

/// Where a layer reports what happens: the server's JSON log, a command's verbose output, or nowhere. Messages
/// at info and above carry no patient data (names, IDs, dates of birth); those go at debug, if anywhere.
public typealias LogSink = @Sendable (LogLevel, String) -> Void
