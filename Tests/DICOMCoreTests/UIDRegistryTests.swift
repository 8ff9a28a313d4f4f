import DICOMCore
import Testing

@Suite("UIDRegistry")
struct UIDRegistryTests {
    @Test("transfer syntax entries")
    func transferSyntaxEntries() throws {
        let implicit = try #require(UIDRegistry.entry(for: "1.2.840.10008.1.2"))
        #expect(implicit.name == "Implicit VR Little Endian")
        #expect(implicit.type == "Transfer Syntax")
        #expect(implicit.keyword == "ImplicitVRLittleEndian")
        #expect(!implicit.isRetired)
        #expect(implicit.info == "Default Transfer Syntax for DICOM")

        let big = try #require(UIDRegistry.entry(for: "1.2.840.10008.1.2.2"))
        #expect(big.name == "Explicit VR Big Endian")
        #expect(big.isRetired)
    }

    @Test("SOP classes by UID and by keyword")
    func sopClasses() throws {
        let ct = try #require(UIDRegistry.entry(keyword: "CTImageStorage"))
        #expect(ct.uid == "1.2.840.10008.5.1.4.1.1.2")
        #expect(ct.name == "CT Image Storage")
        #expect(ct.type == "SOP Class")
        #expect(UIDRegistry.entry(for: ct.uid) == ct)

        let verification = try #require(UIDRegistry.entry(for: "1.2.840.10008.1.1"))
        #expect(verification.keyword == "Verification")
        #expect(UIDRegistry.entry(for: "1.2.3.4") == nil)
        #expect(UIDRegistry.entry(keyword: "NoSuchKeyword") == nil)
    }

    @Test("every entry is findable by its UID, and UIDs are valid")
    func allEntries() {
        let all = UIDRegistry.all
        #expect(all.count > 300)
        for e in all {
            #expect(UIDRegistry.entry(for: e.uid) != nil, "\(e.uid)")
            // pydicom's table leaves the names of two retired SOP classes (…1.1.12.77, …1.1.40) empty.
            #expect(!e.name.isEmpty || e.isRetired, "\(e.uid)")
        }
        #expect(all.filter { $0.type == "Transfer Syntax" }.count >= 50)
    }

    @Test("storage SOP classes include the image storage classes and exclude storage commitment")
    func storageClasses() {
        let uids = Set(UIDRegistry.storageSOPClasses.map(\.uid))
        #expect(uids.contains("1.2.840.10008.5.1.4.1.1.2"))      // CT Image Storage
        #expect(uids.contains("1.2.840.10008.5.1.4.1.1.4"))      // MR Image Storage
        #expect(uids.contains("1.2.840.10008.5.1.4.1.1.7"))      // Secondary Capture
        #expect(!uids.contains("1.2.840.10008.1.20.1"))          // Storage Commitment Push Model
        #expect(!uids.contains("1.2.840.10008.1.1"))             // Verification
        #expect(!uids.contains("1.2.840.10008.1.2"))             // a transfer syntax
        for e in UIDRegistry.storageSOPClasses {
            #expect(e.type == "SOP Class")
            #expect(!e.name.contains("Commitment"))
        }
    }
}
