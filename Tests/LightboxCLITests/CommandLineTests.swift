import DICOM
import Foundation
import Testing

/// The `lightbox` executable, run as a user runs it: exit status, standard output and standard error.
struct Lightbox {
    /// The debug build next to the test bundle (`swift test` builds the executable with the tests).
    static var executable: URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/lightbox")
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lightbox-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
}

@Suite("lightbox command line")
struct CommandLineTests {
    @Test("--help lists every command, and each command has its own help")
    func help() throws {
        let main = try Lightbox.run(["--help"])
        #expect(main.status == 0)
        for command in ["dump", "check", "transcode", "demo-data", "uid"] {
            #expect(main.stdout.contains("  \(command) "), "\(command) missing from --help")
            let own = try Lightbox.run([command, "--help"])
            #expect(own.status == 0)
            #expect(own.stdout.contains("Usage: lightbox \(command)"))
        }
    }

    @Test("an unknown command or option is a usage error with status 2 and one line")
    func usageErrors() throws {
        let unknown = try Lightbox.run(["frobnicate"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown command 'frobnicate'"))
        let option = try Lightbox.run(["dump", "--no-such-option", "x.dcm"])
        #expect(option.status == 2)
        #expect(option.stderr.split(separator: "\n").count == 1)
        let missing = try Lightbox.run(["dump"])
        #expect(missing.status == 2)
    }

    @Test("an unreadable file gives status 1 and a one-line reason naming it")
    func unreadable() throws {
        let dir = try Lightbox.temporaryDirectory()
        let path = dir + "/garbage.dcm"
        try Data(repeating: 0x41, count: 300).write(to: URL(fileURLWithPath: path))
        for args in [["dump", path], ["dump", "--json", path], ["check", path], ["dump", dir + "/absent.dcm"]] {
            let r = try Lightbox.run(args)
            #expect(r.status == 1, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1 || args[0] == "check", "\(args): \(r.stderr)")
        }
        let check = try Lightbox.run(["check", path])
        #expect(check.stdout.contains("garbage.dcm"))
        #expect(check.stdout.contains("0 files read"))
    }

    @Test("demo data is written, reads back, and converts between transfer syntaxes")
    func demoDataRoundTrip() throws {
        let dir = try Lightbox.temporaryDirectory()
        let demo = try Lightbox.run(["demo-data", "--out", dir, "--ct-slices", "3", "--quiet"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let check = try Lightbox.run(["check", "--values", dir])
        #expect(check.status == 0)
        // 3 CT slices, 60 prior slices, 24 MR slices, 2 CR views.
        #expect(check.stdout.hasPrefix("89 files read"))

        let ct = dir + "/LB0001/20260302-ct-current/1/2.dcm"
        let original = try DICOMFile.open(ct)
        #expect(original.dataSet.string(.patientName) == "Doe^Jane")
        #expect(original.dataSet.decimals(Tag(0x0020_0032))?.count == 3)
        for (uid, name) in [("1.2.840.10008.1.2", "implicit"), ("1.2.840.10008.1.2.2", "big"), ("1.2.840.10008.1.2.1.99", "deflated")] {
            let out = dir + "/\(name).dcm"
            let r = try Lightbox.run(["transcode", ct, "--to", uid, "--out", out])
            #expect(r.status == 0, "\(r.stderr)")
            let converted = try DICOMFile.open(out)
            #expect(converted.transferSyntax.uid == uid)
            #expect(converted.dataSet[.pixelData]?.bytes == original.dataSet[.pixelData]?.bytes)
            #expect(converted.dataSet.string(.sopInstanceUID) == original.dataSet.string(.sopInstanceUID))
        }
    }

    @Test("dump --json prints the DICOM JSON model that decodes back to the same data set")
    func dumpJSON() throws {
        let dir = try Lightbox.temporaryDirectory()
        _ = try Lightbox.run(["demo-data", "--out", dir, "--ct-slices", "1", "--quiet"])
        let path = dir + "/LB0002/20260211-cr/1/1.dcm"
        let r = try Lightbox.run(["dump", "--json", path])
        #expect(r.status == 0)
        let decoded = try DICOMJSON.decode(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let file = try DICOMFile.open(path)
        #expect(decoded == file.dataSet)
        #expect(decoded.string(.patientName) == "Müller^Hans")
    }

    @Test("transcode refuses an unknown transfer syntax, a target that cannot hold the pixels, and one it has no encoder for")
    func transcodeErrors() throws {
        let dir = try Lightbox.temporaryDirectory()
        _ = try Lightbox.run(["demo-data", "--out", dir, "--ct-slices", "1", "--quiet"])
        let path = dir + "/LB0002/20260211-cr/1/1.dcm"
        let unknown = try Lightbox.run(["transcode", path, "--to", "1.2.3.4", "--out", dir + "/x.dcm"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown transfer syntax"))
        let jpeg = try Lightbox.run(["transcode", path, "--to", "1.2.840.10008.1.2.4.50", "--out", dir + "/y.dcm"])
        #expect(jpeg.status == 1)
        #expect(jpeg.stderr.contains("JPEG Baseline holds unsigned 8-bit samples, not 16-bit"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/y.dcm"))
        let htj2k = try Lightbox.run(["transcode", path, "--to", "1.2.840.10008.1.2.4.201", "--out", dir + "/z.dcm"])
        #expect(htj2k.status == 1)
        #expect(htj2k.stderr.contains("no encoder for") && htj2k.stderr.contains("HTJ2K"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/z.dcm"))
    }

    @Test("uid prints valid, distinct UIDs, under a root when given one, and refuses a bad root")
    func uids() throws {
        let plain = try Lightbox.run(["uid", "--count", "100"])
        #expect(plain.status == 0)
        let lines = plain.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 100 && Set(lines).count == 100)
        #expect(lines.allSatisfy { $0.hasPrefix("2.25.") && UIDGenerator.isValid($0) })
        let rooted = try Lightbox.run(["uid", "--root", "1.2.999.7"])
        #expect(rooted.stdout.hasPrefix("1.2.999.7."))
        let bad = try Lightbox.run(["uid", "--root", "1.02.x"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("invalid UID root"))
    }
}
