import DICOMNetwork
import Testing

@Suite struct QueryRetrieveNegotiationTests {
    @Test func findEchoesRelationalAndDateTimeButNotFuzzyOrTimezone() {
        let reply = QueryRetrieveModel.extendedNegotiationReply(sopClass: QueryRetrieveModel.studyRootFind, proposed: [1, 1, 1, 1])
        #expect(reply == [1, 1, 0, 0])
        #expect(QueryRetrieveModel.extendedNegotiationReply(sopClass: QueryRetrieveModel.patientRootFind, proposed: [0, 1]) == [0, 1])
    }

    @Test func retrieveAcceptsRelationalRetrievalOnly() {
        #expect(QueryRetrieveModel.extendedNegotiationReply(sopClass: QueryRetrieveModel.studyRootMove, proposed: [1, 1]) == [1, 0])
        #expect(QueryRetrieveModel.extendedNegotiationReply(sopClass: QueryRetrieveModel.patientRootGet, proposed: [1]) == [1])
    }

    @Test func otherClassesAndEmptyProposalsGetNoSubItem() {
        #expect(QueryRetrieveModel.extendedNegotiationReply(sopClass: "1.2.840.10008.5.1.4.1.1.2", proposed: [1]) == nil)
        #expect(QueryRetrieveModel.extendedNegotiationReply(sopClass: QueryRetrieveModel.studyRootFind, proposed: []) == nil)
        // Bytes beyond those the standard defines are answered 0.
        #expect(QueryRetrieveModel.extendedNegotiationReply(sopClass: QueryRetrieveModel.studyRootFind, proposed: [1, 0, 0, 0, 1]) == [1, 0, 0, 0, 0])
    }
}
