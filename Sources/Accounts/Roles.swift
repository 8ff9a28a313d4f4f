/// What a user may do through the web server. Every route but the health checks names the permission it needs.
public enum Permission: String, Sendable, CaseIterable {
    /// Search and retrieve: QIDO-RS, WADO-RS, WADO-URI, rendered images, listing in the API.
    case read
    /// Store: STOW-RS.
    case store
    /// Send studies to DICOM nodes and DICOMweb servers.
    case send
    /// Delete studies, series and instances.
    case delete
    /// Users, remote nodes, statistics, metrics.
    case administer
}

/// The roles of a radiology department, and the permission table.
public enum Role: String, Sendable, CaseIterable {
    case admin, radiologist, technologist, referrer

    public var permissions: Set<Permission> {
        switch self {
        case .admin: return Set(Permission.allCases)
        // Reads and sends studies (to a workstation, for a consult); does not change the archive.
        case .radiologist: return [.read, .send]
        // Acquires: stores, corrects by resending, sends on.
        case .technologist: return [.read, .store, .send]
        // Referring physicians see images; per-study access comes with the access-control work.
        case .referrer: return [.read]
        }
    }

    public func may(_ permission: Permission) -> Bool { permissions.contains(permission) }
}
