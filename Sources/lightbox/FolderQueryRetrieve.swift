import ImageCodecs
import DICOM
import DICOMNetwork
import DICOMQuery

/// Query/Retrieve over the instances of a folder, indexed in memory: what `lightbox receive` answers C-FIND,
/// C-MOVE and C-GET with.
struct FolderQueryRetrieve: QueryService, RetrieveService {
    let index: MemoryIndex
    let destinations: [DICOMNode]
    let options: MatchingOptions

    static func model(_ sopClass: String) -> InformationModel {
        QueryRetrieveModel.isPatientRoot(sopClass) ? .patientRoot : .studyRoot
    }

    func find(_ request: FindRequest, on association: AssociationContext, respond: (DataSet) throws -> Bool) -> ServiceResult {
        var options = self.options
        options.combinedDateTime = request.combinedDateTimeMatching
        let query: Query
        do {
            query = try Query(identifier: request.identifier, model: FolderQueryRetrieve.model(request.sopClassUID), options: options)
        } catch {
            return ServiceResult(.identifierDoesNotMatchSOPClass, comment: error.message)
        }
        do {
            for match in index.find(query) {
                guard try respond(match) else { return ServiceResult(.cancel) }
            }
        } catch {
            return ServiceResult(.unableToProcess, comment: "\(error)")
        }
        return .success
    }

    func instances(for request: RetrieveRequest, on association: AssociationContext) throws(ServiceFailure) -> [RetrievableInstance] {
        let query: Query
        do {
            query = try Query(identifier: request.identifier, model: FolderQueryRetrieve.model(request.sopClassUID), options: options)
        } catch {
            throw ServiceFailure(.identifierDoesNotMatchSOPClass, error.message)
        }
        return index.instances(matching: query).map {
            RetrievableInstance.file(path: $0.path, sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID,
                                     transferSyntaxUID: $0.transferSyntaxUID)
        }
    }

    var pixelConverter: PixelConverter? { { file, syntax in try file.transcodingPixels(to: syntax) } }

    func destination(for aeTitle: String) -> DICOMNode? {
        destinations.first { $0.aeTitle == aeTitle }
    }
}
