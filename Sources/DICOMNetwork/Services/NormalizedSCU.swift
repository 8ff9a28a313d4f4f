import DICOM

/// The service-user side of the DIMSE-N services (PS3.7 §10): MPPS, Storage Commitment and the print and
/// worklist services build on these.
extension Association {
    /// Sends an N-service request and returns its response and data set.
    public func perform(_ field: CommandField, sopClass: String, sopInstance: String?, dataSet: DataSet? = nil,
                        configure: (inout DIMSECommand) -> Void = { _ in }) throws -> (DIMSECommand, DataSet?) {
        guard [.nEventReportRQ, .nGetRQ, .nSetRQ, .nActionRQ, .nCreateRQ, .nDeleteRQ].contains(field) else {
            throw DIMSEError.invalidCommand("\(field) is not an N-service request")
        }
        let context = try requireContext(sopClass)
        var rq = DIMSECommand(field, hasDataSet: dataSet != nil)
        let id = makeMessageID()
        rq.messageID = id
        // N-CREATE and N-EVENT-REPORT name the affected instance; the others the requested one (PS3.7 §10.3).
        if field == .nCreateRQ || field == .nEventReportRQ {
            rq.affectedSOPClassUID = sopClass
            rq.affectedSOPInstanceUID = sopInstance
        } else {
            rq.requestedSOPClassUID = sopClass
            rq.requestedSOPInstanceUID = sopInstance
        }
        configure(&rq)
        try send(rq, context: context.id, dataSet: try dataSet.map { try WireEncoding.encode($0, syntax: context.transferSyntax) })
        return try response(to: id)
    }

    public func nCreate(sopClass: String, sopInstance: String? = nil, attributes: DataSet?) throws -> (DIMSECommand, DataSet?) {
        try perform(.nCreateRQ, sopClass: sopClass, sopInstance: sopInstance, dataSet: attributes)
    }

    public func nSet(sopClass: String, sopInstance: String, modifications: DataSet) throws -> (DIMSECommand, DataSet?) {
        try perform(.nSetRQ, sopClass: sopClass, sopInstance: sopInstance, dataSet: modifications)
    }

    public func nGet(sopClass: String, sopInstance: String, attributes: [Tag] = []) throws -> (DIMSECommand, DataSet?) {
        try perform(.nGetRQ, sopClass: sopClass, sopInstance: sopInstance) { $0.attributeIdentifierList = attributes }
    }

    public func nAction(sopClass: String, sopInstance: String, actionType: UInt16, information: DataSet?) throws -> (DIMSECommand, DataSet?) {
        try perform(.nActionRQ, sopClass: sopClass, sopInstance: sopInstance, dataSet: information) { $0.actionTypeID = actionType }
    }

    public func nEventReport(sopClass: String, sopInstance: String, eventType: UInt16, information: DataSet?) throws -> (DIMSECommand, DataSet?) {
        try perform(.nEventReportRQ, sopClass: sopClass, sopInstance: sopInstance, dataSet: information) { $0.eventTypeID = eventType }
    }

    public func nDelete(sopClass: String, sopInstance: String) throws -> (DIMSECommand, DataSet?) {
        try perform(.nDeleteRQ, sopClass: sopClass, sopInstance: sopInstance)
    }
}
