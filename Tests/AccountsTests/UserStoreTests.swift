import Crypto
import Foundation
import Testing
@testable import Accounts

@Suite struct PasswordHashTests {
    @Test func verifiesItsOwnHashAndNothingElse() throws {
        let hash = try #require(PasswordHash.hash("correct horse", logN: 10))
        #expect(hash.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(PasswordHash.verify("correct horse", against: hash))
        #expect(!PasswordHash.verify("correct horsE", against: hash))
        // Two hashes of one password differ (random salt).
        #expect(PasswordHash.hash("correct horse", logN: 10) != hash)
    }

    @Test func malformedHashesMatchNothing() {
        for bad in ["", "$scrypt$", "$scrypt$ln=99,r=8,p=1$00$00", "$bcrypt$x$y$z", "$scrypt$ln=10,r=8,p=1$zz$zz"] {
            #expect(!PasswordHash.verify("x", against: bad), "\(bad)")
        }
    }
}

@Suite struct UserStoreTests {
    static func store() throws -> SQLiteUserStore {
        let dir = NSTemporaryDirectory() + "lightbox-users-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try SQLiteUserStore(path: dir + "/users.sqlite")
    }

    @Test func addListAuthenticateRemove() throws {
        let users = try Self.store()
        try users.add(name: "ada", role: .radiologist, password: "s3cret-pass")
        try users.add(name: "tech1", role: .technologist, password: "another-pass")
        #expect(try users.list().map(\.name) == ["ada", "tech1"])
        #expect(try users.authenticate(name: "ada", password: "s3cret-pass")?.role == .radiologist)
        #expect(try users.authenticate(name: "ada", password: "wrong-pass") == nil)
        #expect(try users.authenticate(name: "nobody", password: "s3cret-pass") == nil)
        #expect(throws: AccountsError.self) { try users.add(name: "ada", role: .admin, password: "whatever123") }
        #expect(try users.remove(name: "ada"))
        #expect(try !users.remove(name: "ada"))
        #expect(try users.list().map(\.name) == ["tech1"])
    }

    @Test func refusesBadNamesAndShortPasswords() throws {
        let users = try Self.store()
        #expect(throws: AccountsError.self) { try users.add(name: "a b", role: .admin, password: "long enough") }
        #expect(throws: AccountsError.self) { try users.add(name: "../x", role: .admin, password: "long enough") }
        #expect(throws: AccountsError.self) { try users.add(name: "ok", role: .admin, password: "short") }
    }

    @Test func tokensExpireAndAreRevoked() throws {
        let users = try Self.store()
        try users.add(name: "ada", role: .admin, password: "s3cret-pass")
        let (token, _) = try users.issueToken(for: "ada", lifetime: 3600)
        #expect(token.count == 64)
        #expect(try users.user(forToken: token)?.name == "ada")
        #expect(try users.user(forToken: token + "0") == nil)
        try users.revoke(token: token)
        #expect(try users.user(forToken: token) == nil)
        let (expired, _) = try users.issueToken(for: "ada", lifetime: -1)
        #expect(try users.user(forToken: expired) == nil)
        // Removing the user ends their tokens.
        let (other, _) = try users.issueToken(for: "ada", lifetime: 3600)
        try users.remove(name: "ada")
        #expect(try users.user(forToken: other) == nil)
        #expect(throws: AccountsError.self) { try users.issueToken(for: "ghost", lifetime: 60) }
    }

    @Test func permissionTable() {
        #expect(Role.admin.permissions == Set(Permission.allCases))
        #expect(Role.referrer.permissions == [.read])
        #expect(Role.technologist.may(.store) && !Role.technologist.may(.delete))
        #expect(Role.radiologist.may(.send) && !Role.radiologist.may(.store) && !Role.radiologist.may(.administer))
    }
}
