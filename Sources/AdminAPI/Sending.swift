import Accounts
import Archive
import DICOMCore
import DICOMNetwork
import DICOMWeb
import HTTP

/// `POST /api/studies/{study}[/series/{series}[/instances/{instance}]]/send` with `{"node": NAME}`: the
/// instances go to the node as a job (C-STORE to a DICOM node, STOW-RS to a DICOMweb one). The answer is 202
/// with the job; with `"wait": true` the request waits for the job to finish (a while at most) and answers 200
/// with its outcome.
extension AdminService {
    func send(_ request: HTTPRequest, user: User) throws(HTTPError) -> HTTPResponse {
        let r = try resource(request)
        let body = try request.body.collect(limit: 64 * 1024)
        guard let json = try? JSONParser.parse(body), let fields = json.object else {
            throw HTTPError(400, "the body must be {\"node\": NAME} (and \"wait\": true to wait for the outcome)")
        }
        if let unknown = fields.first(where: { $0.0 != "node" && $0.0 != "wait" }) {
            throw HTTPError(400, "'\(unknown.0)' is not a field of a send request (node, wait)")
        }
        guard let name = json["node"]?.string else { throw HTTPError(400, "node must name a node of /api/nodes") }
        var wait = false
        if let w = json["wait"], w != .null {
            guard case .bool(let b) = w else { throw HTTPError(400, "wait must be true or false") }
            wait = b
        }
        let node = try node(named: name)
        let found = try instances(r)
        let job = try submitSend(found, to: node, summary: "send \(r.describe) to \(node.name)", user: user)
        log("\(user.name) sends \(r.describe) to \(node.name) (job \(job.id), \(found.count) instances)")
        if wait, let done = jobs.wait(job.id, timeout: configuration.maximumWait), done.state.isFinished {
            return .json(done.json.serialized + "\n")
        }
        var response = HTTPResponse.json((jobs.job(job.id) ?? job).json.serialized + "\n", status: 202)
        response.headers.append(("Location", "/api/jobs/\(job.id)"))
        return response
    }

    /// Queues the job that sends `instances` to `node`.
    func submitSend(_ instances: [StoredInstance], to node: RemoteNode, summary: String, user: User) throws(HTTPError) -> Job {
        let archive = self.archive
        switch node.kind {
        case .dicom:
            let sender = try sender(for: node)
            let retrievable = instances.map { instance in
                RetrievableInstance(sopClassUID: instance.sopClassUID, sopInstanceUID: instance.sopInstanceUID,
                                    transferSyntaxUID: instance.transferSyntaxUID) { headerOnly in
                    try archive.file(for: instance, headerOnly: headerOnly)
                }
            }
            return jobs.submit(kind: "send", summary: summary, user: user.name, total: instances.count) { context in
                _ = context.report(sender.send(retrievable) { context.report($0) })
            }
        case .dicomweb:
            let client = try stowClient(for: node)
            return jobs.submit(kind: "send", summary: summary, user: user.name, total: instances.count) { context in
                _ = context.report(client.store(instances, from: archive) { context.report($0) })
            }
        }
    }
}
