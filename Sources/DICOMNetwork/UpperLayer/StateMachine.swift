/// The DICOM Upper Layer state machine (PS3.8 §9.2): states Sta1–Sta13, events Evt1–Evt19, and the actions of
/// Table 9-10. A value: it only says which action an event calls for and moves to the next state; the
/// association that drives it does the I/O, so the table can be tested without sockets.
public struct UpperLayerStateMachine: Sendable, Equatable {
    /// PS3.8 Table 9-9.
    public enum State: Int, Sendable, CustomStringConvertible {
        case sta1 = 1   // Idle
        case sta2       // Transport connection open (awaiting A-ASSOCIATE-RQ PDU)
        case sta3       // Awaiting local A-ASSOCIATE response primitive
        case sta4       // Awaiting transport connection opening to complete
        case sta5       // Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU
        case sta6       // Association established and ready for data transfer
        case sta7       // Awaiting A-RELEASE-RP PDU
        case sta8       // Awaiting local A-RELEASE response primitive
        case sta9       // Release collision requestor side; awaiting A-RELEASE response
        case sta10      // Release collision acceptor side; awaiting A-RELEASE-RP PDU
        case sta11      // Release collision requestor side; awaiting A-RELEASE-RP PDU
        case sta12      // Release collision acceptor side; awaiting A-RELEASE response primitive
        case sta13      // Awaiting transport connection close indication

        public var description: String { "Sta\(rawValue)" }
    }

    /// PS3.8 Table 9-8.
    public enum Event: Sendable, Equatable, CustomStringConvertible {
        case associateRequest                        // Evt1: A-ASSOCIATE request (local user)
        case transportConnectConfirm                 // Evt2
        case associateACReceived                     // Evt3
        case associateRJReceived                     // Evt4
        case transportConnectIndication              // Evt5
        /// Evt6. `acceptable` is the service provider's check (protocol version, application context).
        case associateRQReceived(acceptable: Bool)
        case associateResponseAccept                 // Evt7
        case associateResponseReject                 // Evt8
        case dataRequest                             // Evt9: P-DATA request primitive
        case dataReceived                            // Evt10: P-DATA-TF PDU
        case releaseRequest                          // Evt11
        case releaseRQReceived                       // Evt12
        case releaseRPReceived                       // Evt13
        case releaseResponse                         // Evt14
        case abortRequest                            // Evt15
        case abortReceived                           // Evt16
        case transportClosed                         // Evt17
        case artimExpired                            // Evt18
        case invalidPDUReceived                      // Evt19

        public var number: Int {
            switch self {
            case .associateRequest: return 1
            case .transportConnectConfirm: return 2
            case .associateACReceived: return 3
            case .associateRJReceived: return 4
            case .transportConnectIndication: return 5
            case .associateRQReceived: return 6
            case .associateResponseAccept: return 7
            case .associateResponseReject: return 8
            case .dataRequest: return 9
            case .dataReceived: return 10
            case .releaseRequest: return 11
            case .releaseRQReceived: return 12
            case .releaseRPReceived: return 13
            case .releaseResponse: return 14
            case .abortRequest: return 15
            case .abortReceived: return 16
            case .transportClosed: return 17
            case .artimExpired: return 18
            case .invalidPDUReceived: return 19
            }
        }

        public var description: String { "Evt\(number)" }
    }

    /// PS3.8 Table 9-7: what the association must do.
    public enum Action: String, Sendable, CaseIterable {
        case ae1 = "AE-1"  // Issue TRANSPORT CONNECT request
        case ae2 = "AE-2"  // Send A-ASSOCIATE-RQ PDU
        case ae3 = "AE-3"  // Issue A-ASSOCIATE confirmation (accept)
        case ae4 = "AE-4"  // Issue A-ASSOCIATE confirmation (reject), close transport
        case ae5 = "AE-5"  // Issue transport connection response, start ARTIM
        case ae6 = "AE-6"  // Stop ARTIM; indicate A-ASSOCIATE, or send A-ASSOCIATE-RJ and start ARTIM
        case ae7 = "AE-7"  // Send A-ASSOCIATE-AC PDU
        case ae8 = "AE-8"  // Send A-ASSOCIATE-RJ PDU, start ARTIM
        case dt1 = "DT-1"  // Send P-DATA-TF PDU
        case dt2 = "DT-2"  // Issue P-DATA indication
        case ar1 = "AR-1"  // Send A-RELEASE-RQ PDU
        case ar2 = "AR-2"  // Issue A-RELEASE indication
        case ar3 = "AR-3"  // Issue A-RELEASE confirmation, close transport
        case ar4 = "AR-4"  // Send A-RELEASE-RP PDU, start ARTIM
        case ar5 = "AR-5"  // Stop ARTIM
        case ar6 = "AR-6"  // Issue P-DATA indication (while awaiting A-RELEASE-RP)
        case ar7 = "AR-7"  // Send P-DATA-TF PDU (while awaiting the local release response)
        case ar8 = "AR-8"  // Issue A-RELEASE indication (release collision)
        case ar9 = "AR-9"  // Send A-RELEASE-RP PDU (collision, requestor)
        case ar10 = "AR-10" // Issue A-RELEASE confirmation (collision, acceptor)
        case aa1 = "AA-1"  // Send A-ABORT PDU (service user), start ARTIM
        case aa2 = "AA-2"  // Stop ARTIM, close transport
        case aa3 = "AA-3"  // Issue A-ABORT or A-P-ABORT indication, close transport
        case aa4 = "AA-4"  // Issue A-P-ABORT indication
        case aa5 = "AA-5"  // Stop ARTIM
        case aa6 = "AA-6"  // Ignore PDU
        case aa7 = "AA-7"  // Send A-ABORT PDU
        case aa8 = "AA-8"  // Send A-ABORT PDU (service provider), issue A-P-ABORT indication, start ARTIM
    }

    public private(set) var state: State = .sta1
    /// The association requestor (SCU side); decides AR-8's next state.
    public let isRequestor: Bool

    public init(isRequestor: Bool) {
        self.isRequestor = isRequestor
    }

    /// The action `event` calls for in the current state, after which the machine is in the next state; nil when
    /// the event cannot happen in this state (a local programming error, not a peer's: peers' PDUs are events
    /// every state answers).
    public mutating func handle(_ event: Event) -> Action? {
        guard let action = UpperLayerStateMachine.action(for: event, in: state) else { return nil }
        state = nextState(after: action, event: event)
        return action
    }

    /// Table 9-10.
    static func action(for event: Event, in state: State) -> Action? {
        let s = state.rawValue
        let established = (6...12).contains(s)
        switch event {
        case .associateRequest: return s == 1 ? .ae1 : nil
        case .transportConnectConfirm: return s == 4 ? .ae2 : nil
        case .associateACReceived:
            if s == 2 { return .aa1 }
            if s == 5 { return .ae3 }
            if s == 13 { return .aa6 }
            return s == 3 || established ? .aa8 : nil
        case .associateRJReceived:
            if s == 2 { return .aa1 }
            if s == 5 { return .ae4 }
            if s == 13 { return .aa6 }
            return s == 3 || established ? .aa8 : nil
        case .transportConnectIndication: return s == 1 ? .ae5 : nil
        case .associateRQReceived:
            if s == 2 { return .ae6 }
            if s == 13 { return .aa7 }
            return s == 3 || s == 5 || established ? .aa8 : nil
        case .associateResponseAccept: return s == 3 ? .ae7 : nil
        case .associateResponseReject: return s == 3 ? .ae8 : nil
        case .dataRequest:
            if s == 6 { return .dt1 }
            return s == 8 ? .ar7 : nil
        case .dataReceived:
            if s == 2 { return .aa1 }
            if s == 6 { return .dt2 }
            if s == 7 { return .ar6 }
            if s == 13 { return .aa6 }
            return s == 3 || s == 5 || established ? .aa8 : nil
        case .releaseRequest: return s == 6 ? .ar1 : nil
        case .releaseRQReceived:
            if s == 2 { return .aa1 }
            if s == 6 { return .ar2 }
            if s == 7 { return .ar8 }
            if s == 13 { return .aa6 }
            return s == 3 || s == 5 || established ? .aa8 : nil
        case .releaseRPReceived:
            if s == 2 { return .aa1 }
            if s == 7 || s == 11 { return .ar3 }
            if s == 10 { return .ar10 }
            if s == 13 { return .aa6 }
            return s == 3 || s == 5 || established ? .aa8 : nil
        case .releaseResponse:
            if s == 8 || s == 12 { return .ar4 }
            return s == 9 ? .ar9 : nil
        case .abortRequest:
            if s == 4 { return .aa2 }
            return s == 3 || (5...12).contains(s) ? .aa1 : nil
        case .abortReceived:
            if s == 2 || s == 13 { return .aa2 }
            return s == 3 || (5...12).contains(s) ? .aa3 : nil
        case .transportClosed:
            if s == 2 { return .aa5 }
            if s == 13 { return .ar5 }
            return (3...12).contains(s) ? .aa4 : nil
        case .artimExpired:
            return s == 2 || s == 13 ? .aa2 : nil
        case .invalidPDUReceived:
            if s == 2 { return .aa1 }
            if s == 13 { return .aa7 }
            return s == 3 || (5...12).contains(s) ? .aa8 : nil
        }
    }

    func nextState(after action: Action, event: Event) -> State {
        switch action {
        case .ae1: return .sta4
        case .ae2: return .sta5
        case .ae3: return .sta6
        case .ae4: return .sta1
        case .ae5: return .sta2
        case .ae6:
            if case .associateRQReceived(let acceptable) = event, acceptable { return .sta3 }
            return .sta13
        case .ae7: return .sta6
        case .ae8: return .sta13
        case .dt1, .dt2: return .sta6
        case .ar1: return .sta7
        case .ar2: return .sta8
        case .ar3: return .sta1
        case .ar4: return .sta13
        case .ar5: return .sta1
        case .ar6: return .sta7
        case .ar7: return .sta8
        case .ar8: return isRequestor ? .sta9 : .sta10
        case .ar9: return .sta11
        case .ar10: return .sta12
        case .aa1: return .sta13
        case .aa2, .aa3, .aa4, .aa5: return .sta1
        case .aa6, .aa7, .aa8: return .sta13
        }
    }
}
