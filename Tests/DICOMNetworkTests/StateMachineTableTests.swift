import DICOMNetwork
import Testing

/// PS3.8 Table 9-10, cell by cell: for every event in every state, the action (or none, for blank cells), and the
/// next state Table 9-7 gives for that action.
@Suite("Upper Layer state machine: Table 9-10")
struct StateMachineTableTests {
    /// The table, written out from PS3.8 (2024) Table 9-10; columns Sta1 … Sta13, "" for a blank cell.
    static let table: [Int: [String]] = [
        //     Sta1    Sta2    Sta3    Sta4    Sta5    Sta6    Sta7    Sta8    Sta9    Sta10   Sta11   Sta12   Sta13
        1:  ["AE-1", "",     "",     "",     "",     "",     "",     "",     "",     "",     "",     "",     ""],
        2:  ["",     "",     "",     "AE-2", "",     "",     "",     "",     "",     "",     "",     "",     ""],
        3:  ["",     "AA-1", "AA-8", "",     "AE-3", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-6"],
        4:  ["",     "AA-1", "AA-8", "",     "AE-4", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-6"],
        5:  ["AE-5", "",     "",     "",     "",     "",     "",     "",     "",     "",     "",     "",     ""],
        6:  ["",     "AE-6", "AA-8", "",     "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-7"],
        7:  ["",     "",     "AE-7", "",     "",     "",     "",     "",     "",     "",     "",     "",     ""],
        8:  ["",     "",     "AE-8", "",     "",     "",     "",     "",     "",     "",     "",     "",     ""],
        9:  ["",     "",     "",     "",     "",     "DT-1", "",     "AR-7", "",     "",     "",     "",     ""],
        10: ["",     "AA-1", "AA-8", "",     "AA-8", "DT-2", "AR-6", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-6"],
        11: ["",     "",     "",     "",     "",     "AR-1", "",     "",     "",     "",     "",     "",     ""],
        12: ["",     "AA-1", "AA-8", "",     "AA-8", "AR-2", "AR-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-6"],
        13: ["",     "AA-1", "AA-8", "",     "AA-8", "AA-8", "AR-3", "AA-8", "AA-8", "AR-10", "AR-3", "AA-8", "AA-6"],
        14: ["",     "",     "",     "",     "",     "",     "",     "AR-4", "AR-9", "",     "",     "AR-4", ""],
        15: ["",     "",     "AA-1", "AA-2", "AA-1", "AA-1", "AA-1", "AA-1", "AA-1", "AA-1", "AA-1", "AA-1", ""],
        16: ["",     "AA-2", "AA-3", "",     "AA-3", "AA-3", "AA-3", "AA-3", "AA-3", "AA-3", "AA-3", "AA-3", "AA-2"],
        17: ["",     "AA-5", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4", "AA-4", "AR-5"],
        18: ["",     "AA-2", "",     "",     "",     "",     "",     "",     "",     "",     "",     "",     "AA-2"],
        19: ["",     "AA-1", "AA-8", "",     "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-8", "AA-7"],
    ]

    /// Table 9-7: the state after each action (AR-8 and AE-6 depend on the side and on acceptability).
    static func nextState(after action: String, requestor: Bool, current: Int) -> Int {
        switch action {
        case "AE-1": return 4
        case "AE-2": return 5
        case "AE-3", "AE-7", "DT-1", "DT-2": return 6
        case "AE-4", "AR-3", "AR-5", "AA-2", "AA-3", "AA-4", "AA-5": return 1
        case "AE-5": return 2
        case "AE-6": return 3  // the events below propose an acceptable association
        case "AE-8", "AR-4", "AA-1", "AA-6", "AA-7", "AA-8": return 13
        case "AR-1", "AR-6": return 7
        case "AR-2", "AR-7": return 8
        case "AR-8": return requestor ? 9 : 10
        case "AR-9": return 11
        case "AR-10": return 12
        default: return -1
        }
    }

    static func event(_ number: Int) -> UpperLayerStateMachine.Event {
        let events: [UpperLayerStateMachine.Event] = [
            .associateRequest, .transportConnectConfirm, .associateACReceived, .associateRJReceived,
            .transportConnectIndication, .associateRQReceived(acceptable: true), .associateResponseAccept,
            .associateResponseReject, .dataRequest, .dataReceived, .releaseRequest, .releaseRQReceived,
            .releaseRPReceived, .releaseResponse, .abortRequest, .abortReceived, .transportClosed, .artimExpired,
            .invalidPDUReceived,
        ]
        return events[number - 1]
    }

    /// A machine brought to `state` by legal events, on the side that can reach it (Sta9/Sta11 requestor,
    /// Sta10/Sta12 acceptor).
    static func machine(in state: Int) -> UpperLayerStateMachine {
        let requestorToSta6: [UpperLayerStateMachine.Event] = [.associateRequest, .transportConnectConfirm, .associateACReceived]
        let acceptorToSta6: [UpperLayerStateMachine.Event] = [.transportConnectIndication, .associateRQReceived(acceptable: true),
                                                              .associateResponseAccept]
        let (requestor, events): (Bool, [UpperLayerStateMachine.Event]) = switch state {
        case 1: (true, [])
        case 2: (false, [.transportConnectIndication])
        case 3: (false, [.transportConnectIndication, .associateRQReceived(acceptable: true)])
        case 4: (true, [.associateRequest])
        case 5: (true, [.associateRequest, .transportConnectConfirm])
        case 6: (true, requestorToSta6)
        case 7: (true, requestorToSta6 + [.releaseRequest])
        case 8: (false, acceptorToSta6 + [.releaseRQReceived])
        case 9: (true, requestorToSta6 + [.releaseRequest, .releaseRQReceived])
        case 10: (false, acceptorToSta6 + [.releaseRequest, .releaseRQReceived])
        case 11: (true, requestorToSta6 + [.releaseRequest, .releaseRQReceived, .releaseResponse])
        case 12: (false, acceptorToSta6 + [.releaseRequest, .releaseRQReceived, .releaseRPReceived])
        default: (false, [.transportConnectIndication, .associateRQReceived(acceptable: false)])
        }
        return StateMachinePathTests.machineAfter(requestor: requestor, events)
    }

    @Test("every state can be reached")
    func reachability() {
        for s in 1...13 {
            #expect(Self.machine(in: s).state.rawValue == s)
        }
    }

    @Test("Table 9-10 row", arguments: 1...19)
    func row(eventNumber: Int) throws {
        let row = try #require(Self.table[eventNumber])
        let event = Self.event(eventNumber)
        #expect(event.number == eventNumber)
        for s in 1...13 {
            var m = Self.machine(in: s)
            try #require(m.state.rawValue == s)
            let action = m.handle(event)
            let expected = row[s - 1]
            #expect((action?.rawValue ?? "") == expected, "Evt\(eventNumber) in Sta\(s)")
            if expected.isEmpty {
                #expect(m.state.rawValue == s, "a blank cell leaves the state: Evt\(eventNumber) in Sta\(s)")
            } else {
                let next = Self.nextState(after: expected, requestor: m.isRequestor, current: s)
                #expect(m.state.rawValue == next, "state after \(expected) (Evt\(eventNumber) in Sta\(s))")
            }
        }
    }

    @Test("AR-8 goes to Sta9 on the requestor and Sta10 on the acceptor")
    func ar8BothSides() {
        var requestor = Self.machine(in: 7)
        var acceptor = StateMachinePathTests.machineAfter(requestor: false, [
            .transportConnectIndication, .associateRQReceived(acceptable: true), .associateResponseAccept, .releaseRequest])
        #expect(requestor.handle(.releaseRQReceived) == .ar8)
        #expect(acceptor.handle(.releaseRQReceived) == .ar8)
        #expect(requestor.state == .sta9)
        #expect(acceptor.state == .sta10)
    }
}

extension StateMachinePathTests {
    static func machineAfter(requestor: Bool, _ events: [UpperLayerStateMachine.Event]) -> UpperLayerStateMachine {
        machine(requestor: requestor, after: events)
    }
}
