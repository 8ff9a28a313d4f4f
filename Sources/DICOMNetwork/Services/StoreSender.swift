import DICOM
import Transport

/// A push of instances to a remote Storage SCP (the Storage Service Class as SCU, PS3.4 B.2): what an
/// administrator's "send this study to that workstation" does, and what forwarding rules will use. Instances are
/// loaded one at a time; associations are opened as their presentation contexts need (128 at most each, PS3.8
/// §9.3.2.2), and when one fails the instance being sent fails and the rest go on a new one.
public struct StoreSender: Sendable {
    public var node: DICOMNode
    public var callingAETitle: String
    public var timeouts = AssociationTimeouts()
    public var maximumPDULength = 256 * 1024
    /// Wraps the TCP connection (DICOM TLS); nil for plain TCP.
    public var wrap: (@Sendable (TCPConnection) throws -> Connection)?
    /// Decodes or encodes pixel data for a peer that accepts none of the instance's own syntaxes.
    public var converter: PixelConverter?

    public init(node: DICOMNode, callingAETitle: String) {
        self.node = node
        self.callingAETitle = callingAETitle
    }

    public typealias Progress = TransferProgress

    /// Sends the instances. `report` sees the progress after each one and returns false to stop (a cancel): the
    /// instances not yet sent are then left out of every count but `total`.
    public func send(_ instances: [RetrievableInstance], report: (Progress) -> Bool = { _ in true }) -> Progress {
        var progress = Progress(total: instances.count)
        var queue = instances[...]
        while !queue.isEmpty {
            var contexts: [PresentationContextRQ] = []
            var keys = Set<String>()
            var batch: [RetrievableInstance] = []
            for instance in queue {
                let syntax = instance.transferSyntaxUID ?? TransferSyntax.explicitVRLittleEndian.uid
                var needed: [(String, [String])] = []
                // Its own syntax, so that it goes byte for byte; native syntaxes, so that a peer that takes
                // nothing compressed still gets it (decoded by the converter).
                if !keys.contains(instance.sopClassUID + "|" + syntax) { needed.append((instance.sopClassUID, [syntax])) }
                if !keys.contains(instance.sopClassUID + "|native") {
                    needed.append((instance.sopClassUID, [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]))
                }
                if contexts.count + needed.count > 128 { break }
                for (sopClass, syntaxes) in needed {
                    contexts.append(PresentationContextRQ(id: UInt8(2 * contexts.count + 1), abstractSyntax: sopClass, transferSyntaxes: syntaxes))
                }
                keys.insert(instance.sopClassUID + "|" + syntax)
                keys.insert(instance.sopClassUID + "|native")
                batch.append(instance)
            }
            let association: Association
            do {
                association = try associate(contexts)
            } catch {
                // Nobody to send to: this batch fails, and so will the rest (the node is down or refuses us).
                progress.failed += queue.count
                progress.lastError = "cannot associate with \(node.aeTitle) at \(node.host):\(node.port): \(error)"
                _ = report(progress)
                return progress
            }
            var sent = 0
            var alive = true
            for instance in batch {
                sent += 1
                do {
                    let file = try instance.load(false)
                    let response = try association.store(file, converter: converter)
                    let status = response.status ?? .processingFailure
                    switch status.category {
                    case .success: progress.completed += 1
                    case .warning: progress.warnings += 1
                    default:
                        progress.failed += 1
                        progress.lastError = "\(instance.sopInstanceUID): \(status)" + (response.errorComment.map { " (\($0))" } ?? "")
                    }
                } catch let e as AssociationError {
                    progress.failed += 1
                    progress.lastError = "\(instance.sopInstanceUID): \(e)"
                    alive = false
                } catch {
                    progress.failed += 1
                    progress.lastError = "\(instance.sopInstanceUID): \(error)"
                }
                guard report(progress) else {
                    if alive { try? association.release() } else { association.abort() }
                    return progress
                }
                if !alive { break }
            }
            queue = queue.dropFirst(sent)
            if alive { try? association.release() }
        }
        return progress
    }

    /// C-ECHO (PS3.4 A.4): whether the node answers, and its status.
    public func echo() throws(AssociationError) -> DIMSEStatus {
        let association = try associate([PresentationContextRQ(id: 1, abstractSyntax: QueryRetrieveModel.verification,
                                                                transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid])])
        let status: DIMSEStatus
        do { status = try association.echo() } catch {
            association.abort()
            throw error
        }
        try? association.release()
        return status
    }

    func associate(_ contexts: [PresentationContextRQ]) throws(AssociationError) -> Association {
        let rq = AAssociateRQ(calledAETitle: node.aeTitle, callingAETitle: callingAETitle, presentationContexts: contexts)
        let wrap = self.wrap
        return try Association.request(host: node.host, port: node.port, request: rq, maximumPDULength: maximumPDULength,
                                       timeouts: timeouts, wrap: wrap.map { w in { tcp in try w(tcp) } })
    }
}
