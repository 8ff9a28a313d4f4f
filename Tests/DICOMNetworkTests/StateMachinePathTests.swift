import DICOMNetwork
import Testing

typealias Machine = UpperLayerStateMachine

/// A machine driven through `events`, each expected to be accepted.
func machine(requestor: Bool, after events: [Machine.Event]) -> Machine {
    var m = Machine(isRequestor: requestor)
    for e in events { _ = m.handle(e) }
    return m
}

/// Walks of PS3.8 §9.2 through Table 9-10: each step's action and next state.
@Suite("Upper Layer state machine: paths")
struct StateMachinePathTests {
    typealias Step = (event: Machine.Event, action: Machine.Action, state: Machine.State)

    func walk(requestor: Bool, _ steps: [Step], from start: Machine? = nil,
              sourceLocation: SourceLocation = #_sourceLocation) {
        var m = start ?? Machine(isRequestor: requestor)
        for (i, step) in steps.enumerated() {
            let action = m.handle(step.event)
            #expect(action == step.action, "step \(i + 1): \(step.event)", sourceLocation: sourceLocation)
            #expect(m.state == step.state, "step \(i + 1): \(step.event)", sourceLocation: sourceLocation)
        }
    }

    @Test("a new machine is idle (Sta1)")
    func initial() {
        #expect(Machine(isRequestor: true).state == .sta1)
        #expect(Machine(isRequestor: false).state == .sta1)
        #expect(Machine(isRequestor: true).isRequestor)
        #expect(!Machine(isRequestor: false).isRequestor)
    }

    @Test("requestor: associate, transfer data, release")
    func requestorNormal() {
        walk(requestor: true, [
            (.associateRequest, .ae1, .sta4),
            (.transportConnectConfirm, .ae2, .sta5),
            (.associateACReceived, .ae3, .sta6),
            (.dataRequest, .dt1, .sta6),
            (.dataReceived, .dt2, .sta6),
            (.releaseRequest, .ar1, .sta7),
            (.dataReceived, .ar6, .sta7),
            (.releaseRPReceived, .ar3, .sta1),
        ])
    }

    @Test("acceptor: connection, acceptable request, accept, release, transport close")
    func acceptorNormal() {
        walk(requestor: false, [
            (.transportConnectIndication, .ae5, .sta2),
            (.associateRQReceived(acceptable: true), .ae6, .sta3),
            (.associateResponseAccept, .ae7, .sta6),
            (.dataReceived, .dt2, .sta6),
            (.dataRequest, .dt1, .sta6),
            (.releaseRQReceived, .ar2, .sta8),
            (.dataRequest, .ar7, .sta8),
            (.releaseResponse, .ar4, .sta13),
            (.transportClosed, .ar5, .sta1),
        ])
    }

    @Test("acceptor rejects: AE-8 then ARTIM or transport close")
    func acceptorRejects() {
        walk(requestor: false, [
            (.transportConnectIndication, .ae5, .sta2),
            (.associateRQReceived(acceptable: true), .ae6, .sta3),
            (.associateResponseReject, .ae8, .sta13),
            (.artimExpired, .aa2, .sta1),
        ])
        walk(requestor: false, [
            (.transportConnectIndication, .ae5, .sta2),
            (.associateRQReceived(acceptable: true), .ae6, .sta3),
            (.associateResponseReject, .ae8, .sta13),
            (.transportClosed, .ar5, .sta1),
        ])
    }

    @Test("an unacceptable A-ASSOCIATE-RQ: AE-6 sends the A-ASSOCIATE-RJ and goes to Sta13")
    func unacceptableRequest() {
        walk(requestor: false, [
            (.transportConnectIndication, .ae5, .sta2),
            (.associateRQReceived(acceptable: false), .ae6, .sta13),
            (.artimExpired, .aa2, .sta1),
        ])
    }

    @Test("requestor rejected: AE-4 back to Sta1")
    func requestorRejected() {
        walk(requestor: true, [
            (.associateRequest, .ae1, .sta4),
            (.transportConnectConfirm, .ae2, .sta5),
            (.associateRJReceived, .ae4, .sta1),
        ])
    }

    @Test("release collision, requestor side: Sta7 → Sta9 → Sta11 → Sta1")
    func collisionRequestor() {
        walk(requestor: true, [
            (.associateRequest, .ae1, .sta4),
            (.transportConnectConfirm, .ae2, .sta5),
            (.associateACReceived, .ae3, .sta6),
            (.releaseRequest, .ar1, .sta7),
            (.releaseRQReceived, .ar8, .sta9),
            (.releaseResponse, .ar9, .sta11),
            (.releaseRPReceived, .ar3, .sta1),
        ])
    }

    @Test("release collision, acceptor side: Sta7 → Sta10 → Sta12 → Sta13 → Sta1")
    func collisionAcceptor() {
        walk(requestor: false, [
            (.transportConnectIndication, .ae5, .sta2),
            (.associateRQReceived(acceptable: true), .ae6, .sta3),
            (.associateResponseAccept, .ae7, .sta6),
            (.releaseRequest, .ar1, .sta7),
            (.releaseRQReceived, .ar8, .sta10),
            (.releaseRPReceived, .ar10, .sta12),
            (.releaseResponse, .ar4, .sta13),
            (.transportClosed, .ar5, .sta1),
        ])
    }

    @Test("ARTIM expiry in Sta2: no A-ASSOCIATE-RQ arrived in time")
    func artimSta2() {
        walk(requestor: false, [(.transportConnectIndication, .ae5, .sta2), (.artimExpired, .aa2, .sta1)])
    }

    @Test("aborts: local A-ABORT request (AA-1, then AA-2 on ARTIM), peer A-ABORT (AA-3), transport lost (AA-4)")
    func aborts() {
        let established = machine(requestor: true, after: [.associateRequest, .transportConnectConfirm, .associateACReceived])
        #expect(established.state == .sta6)
        walk(requestor: true, [(.abortRequest, .aa1, .sta13), (.abortReceived, .aa2, .sta1)], from: established)
        walk(requestor: true, [(.abortRequest, .aa1, .sta13), (.artimExpired, .aa2, .sta1)], from: established)
        walk(requestor: true, [(.abortRequest, .aa1, .sta13), (.transportClosed, .ar5, .sta1)], from: established)
        walk(requestor: true, [(.abortReceived, .aa3, .sta1)], from: established)
        walk(requestor: true, [(.transportClosed, .aa4, .sta1)], from: established)
        walk(requestor: true, [(.invalidPDUReceived, .aa8, .sta13), (.transportClosed, .ar5, .sta1)], from: established)
        // Before the connection is up, an abort request just closes it.
        walk(requestor: true, [(.associateRequest, .ae1, .sta4), (.abortRequest, .aa2, .sta1)])
        // Sta2: the peer aborts, closes, or sends garbage.
        walk(requestor: false, [(.transportConnectIndication, .ae5, .sta2), (.abortReceived, .aa2, .sta1)])
        walk(requestor: false, [(.transportConnectIndication, .ae5, .sta2), (.transportClosed, .aa5, .sta1)])
        walk(requestor: false, [(.transportConnectIndication, .ae5, .sta2), (.invalidPDUReceived, .aa1, .sta13),
                                (.artimExpired, .aa2, .sta1)])
    }

    @Test("Sta13 ignores PDUs (AA-6) and answers an A-ASSOCIATE-RQ or invalid PDU with an A-ABORT (AA-7)")
    func sta13() {
        let closing = machine(requestor: false, after: [.transportConnectIndication, .associateRQReceived(acceptable: false)])
        #expect(closing.state == .sta13)
        walk(requestor: false, [(.dataReceived, .aa6, .sta13), (.releaseRQReceived, .aa6, .sta13),
                                (.releaseRPReceived, .aa6, .sta13), (.associateACReceived, .aa6, .sta13),
                                (.associateRJReceived, .aa6, .sta13), (.associateRQReceived(acceptable: true), .aa7, .sta13),
                                (.invalidPDUReceived, .aa7, .sta13), (.abortReceived, .aa2, .sta1)], from: closing)
    }

    @Test("an event the state cannot have returns nil and leaves the state alone")
    func impossibleEvents() {
        var m = Machine(isRequestor: true)
        #expect(m.handle(.dataRequest) == nil)
        #expect(m.state == .sta1)
        #expect(m.handle(.releaseResponse) == nil)
        #expect(m.handle(.dataReceived) == nil)
        #expect(m.state == .sta1)
        _ = m.handle(.associateRequest)
        #expect(m.handle(.associateRequest) == nil)
        #expect(m.state == .sta4)
    }

    @Test("event numbers and names")
    func eventNumbers() {
        let events: [Machine.Event] = [.associateRequest, .transportConnectConfirm, .associateACReceived, .associateRJReceived,
                                       .transportConnectIndication, .associateRQReceived(acceptable: true),
                                       .associateResponseAccept, .associateResponseReject, .dataRequest, .dataReceived,
                                       .releaseRequest, .releaseRQReceived, .releaseRPReceived, .releaseResponse,
                                       .abortRequest, .abortReceived, .transportClosed, .artimExpired, .invalidPDUReceived]
        #expect(events.map(\.number) == Array(1...19))
        #expect(events.map(\.description) == (1...19).map { "Evt\($0)" })
        #expect(Machine.State.sta13.description == "Sta13")
        #expect(Machine.Action.ar10.rawValue == "AR-10")
    }
}
