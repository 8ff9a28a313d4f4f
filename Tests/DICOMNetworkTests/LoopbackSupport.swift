import DICOM
import DICOMNetwork
import DICOMQuery
import Foundation
import Testing

/// A server on a free loopback port, and helpers to associate with it.
final class LoopbackServer: @unchecked Sendable {
    let server: DICOMServer
    let folder: String
    let index: MemoryIndex
    var port: Int { server.port }

    init(aeTitle: String = "SCP", services: (String, MemoryIndex) -> ServiceSet = LoopbackServer.archive,
         configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        folder = try temporaryFolder()
        index = MemoryIndex(retrieveAETitle: aeTitle)
        var configuration = ServerConfiguration(aeTitle: aeTitle, port: 0)
        configuration.timeouts.artim = 5
        configure(&configuration)
        server = try DICOMServer(configuration: configuration, services: services(folder, index))
    }

    deinit { server.stop(grace: 2) }

    /// Storage into the folder plus Query/Retrieve over the index, as `lightbox receive` offers.
    static func archive(_ folder: String, _ index: MemoryIndex) -> ServiceSet {
        let storage = FolderStorage(folder: folder) { path, _, header in
            if let header = header ?? (try? DICOMFile.open(path, options: .headerOnly))?.dataSet { index.add(path: path, header: header) }
        }
        let qr = IndexQueryRetrieve(index: index, destinations: [])
        return ServiceSet(storage: storage, query: qr, retrieve: qr)
    }

    func associate(calling: String = "SCU", called: String = "SCP", contexts: [PresentationContextRQ],
                   roles: [RoleSelection] = [], maximumPDULength: Int = 256 * 1024) throws -> Association {
        var rq = AAssociateRQ(calledAETitle: called, callingAETitle: calling, presentationContexts: contexts)
        rq.userInformation.roleSelections = roles
        return try Association.request(host: "127.0.0.1", port: port, request: rq, maximumPDULength: maximumPDULength)
    }
}

/// Query/Retrieve over a MemoryIndex (the same adapter as the command line's, kept here to test the protocol).
struct IndexQueryRetrieve: QueryService, RetrieveService {
    let index: MemoryIndex
    let destinations: [DICOMNode]

    func model(_ uid: String) -> InformationModel { QueryRetrieveModel.isPatientRoot(uid) ? .patientRoot : .studyRoot }

    func find(_ request: FindRequest, on association: AssociationContext, respond: (DataSet) throws -> Bool) -> ServiceResult {
        guard let query = try? Query(identifier: request.identifier, model: model(request.sopClassUID)) else {
            return ServiceResult(.identifierDoesNotMatchSOPClass)
        }
        for match in index.find(query) {
            guard (try? respond(match)) == true else { return ServiceResult(.cancel) }
        }
        return .success
    }

    func instances(for request: RetrieveRequest, on association: AssociationContext) throws(ServiceFailure) -> [RetrievableInstance] {
        guard let query = try? Query(identifier: request.identifier, model: model(request.sopClassUID)) else {
            throw ServiceFailure(.identifierDoesNotMatchSOPClass)
        }
        return index.instances(matching: query).map { .file(path: $0.path, sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID) }
    }

    func destination(for aeTitle: String) -> DICOMNode? { destinations.first { $0.aeTitle == aeTitle } }
}

func temporaryFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lightbox-net-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

let ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"
let explicitLE = TransferSyntax.explicitVRLittleEndian.uid
let implicitLE = TransferSyntax.implicitVRLittleEndian.uid

/// A small CT instance built in code: patient, study, series and a pixel data of `pixels` 16-bit values.
func makeInstance(patient: String = "P1", name: String = "Doe^Jane", study: String = "1.2.3.1", series: String = "1.2.3.1.1",
                  instance: String, pixels: Int = 64, modality: String = "CT", date: String = "20260101") -> DICOMFile {
    var ds = DataSet()
    ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 100"))
    ds.set(DataElement(tag: .sopClassUID, vr: .UI, string: ctImageStorage))
    ds.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: instance))
    ds.set(DataElement(tag: .studyDate, vr: .DA, string: date))
    ds.set(DataElement(tag: .modality, vr: .CS, string: modality))
    ds.set(DataElement(tag: .patientName, vr: .PN, string: name))
    ds.set(DataElement(tag: .patientID, vr: .LO, string: patient))
    ds.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: study))
    ds.set(DataElement(tag: .seriesInstanceUID, vr: .UI, string: series))
    ds.set(DataElement(tag: .rows, vr: .US, integers: [UInt16(1)]))
    ds.set(DataElement(tag: .columns, vr: .US, integers: [UInt16(min(pixels, 65535))]))
    ds.set(DataElement(tag: .pixelData, vr: .OW, integers: (0..<pixels).map { UInt16(truncatingIfNeeded: $0 &* 7919) }))
    return DICOMFile(dataSet: ds, transferSyntax: .explicitVRLittleEndian)
}

/// Reads a received file back and returns its data set.
func readBack(_ folder: String, _ sopInstance: String) throws -> DataSet {
    try DICOMFile.open(folder + "/" + sopInstance + ".dcm").dataSet
}
