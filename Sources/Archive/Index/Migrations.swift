/// The index schema's versions, from the `.sql` files beside this code (embedded at build time), in order.
/// A new version is a new file and a line here; a released file is never edited.
enum Migrations {
    struct Migration {
        let version: Int
        let sql: String
    }

    static let all: [Migration] = [
        Migration(version: 1, sql: String(decoding: PackageResources.migration_001_sql, as: UTF8.self)),
        Migration(version: 2, sql: String(decoding: PackageResources.migration_002_sql, as: UTF8.self)),
    ]
}
