import Archive
import DICOMCore
import DICOMQuery
import HTTP
import ImageCodecs
import Imaging

/// Rendered and thumbnail resources (PS3.18 §8.3.5, §10.4.1.1.3–4): frames through the grey or colour pipeline
/// to 8-bit display values, as JPEG or PNG, with the query parameters `window`, `viewport` and `quality`.
extension DICOMWebService {
    struct RenderRequest {
        var options = RenderOptions()
        var png = false
        var quality = 90
    }

    /// Reads `window=center,width[,function]`, `viewport=vw,vh[,sx,sy,sw,sh]`, `quality` and Accept. Other parameters of
    /// PS3.18 §8.3.5.1 (annotation, charset, iccprofile) are accepted and have no effect yet.
    func renderRequest(_ request: HTTPRequest, thumbnail: Bool) throws(HTTPError) -> RenderRequest {
        var r = RenderRequest()
        if thumbnail { r.options.size = (128, 128) }
        for (name, value) in request.query {
            switch name {
            case "window":
                let parts = value.split(separator: ",").map { String($0).trimmed }
                guard parts.count == 2 || parts.count == 3, let c = Double(parts[0]), let w = Double(parts[1]), w > 0,
                      c.isFinite, w.isFinite else {
                    throw HTTPError(400, "window takes center,width[,function] with a positive width")
                }
                var function = VOIFunction.linear
                if parts.count == 3 {
                    switch parts[2].lowercased() {
                    case "linear": function = .linear
                    case "linear-exact", "linear_exact": function = .linearExact
                    case "sigmoid": function = .sigmoid
                    default: throw HTTPError(400, "the window function is linear, linear-exact or sigmoid")
                    }
                }
                r.options.window = Window(center: c, width: w, function: function)
            case "viewport":
                let parts = value.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmed }
                guard parts.count >= 2, let vw = Int(parts[0]), let vh = Int(parts[1]), (1...8192).contains(vw), (1...8192).contains(vh) else {
                    throw HTTPError(400, "viewport takes width,height, each 1 to 8192")
                }
                r.options.size = (vw, vh)
                // PS3.18 §8.3.5.1.3: the source region; sx,sy default to 0 and sw,sh to the rest of the image
                // (all four empty: the whole image).
                if parts.count > 2 {
                    guard parts.count == 6 else { throw HTTPError(400, "viewport takes vw,vh or vw,vh,sx,sy,sw,sh") }
                    if !parts[2...].allSatisfy({ $0.isEmpty }) {
                        let limit = 1 << 20
                        func number(_ s: String) throws(HTTPError) -> Int? {
                            if s.isEmpty { return nil }
                            guard let n = Int(s), abs(n) <= limit else { throw HTTPError(400, "viewport region values are integers (\(s.prefix(20)))") }
                            return n
                        }
                        let sx = try number(parts[2]) ?? 0, sy = try number(parts[3]) ?? 0
                        let sw = try number(parts[4]) ?? limit, sh = try number(parts[5]) ?? limit
                        guard sx >= 0, sy >= 0, sw != 0, sh != 0 else {
                            throw HTTPError(400, "viewport sx,sy are 0 or more and sw,sh are not 0")
                        }
                        r.options.region = (sx, sy, sw, sh)
                    }
                }
            case "quality":
                guard let q = Int(value), (1...100).contains(q) else { throw HTTPError(400, "quality is 1 to 100") }
                r.quality = q
            case "annotation", "charset", "iccprofile":
                continue
            default:
                throw HTTPError(400, "'\(name)' is not a parameter of rendered resources (window, viewport, quality)")
            }
        }
        var chosen: Bool?
        for m in MediaType.acceptList(request.header("accept")) {
            if m.covers("image", "jpeg") { chosen = false; break }
            if m.covers("image", "png") { chosen = true; break }
        }
        guard let png = chosen else {
            throw HTTPError(406, "rendered images are image/jpeg or image/png; Accept was '\(request.header("accept") ?? "")'")
        }
        r.png = png
        return r
    }

    func rendered(_ request: HTTPRequest, _ r: Resource, thumbnail: Bool) throws(HTTPError) -> HTTPResponse {
        let options = try renderRequest(request, thumbnail: thumbnail)
        let found = try instances(r)
        var frameNumbers: [Int]?
        if let text = request.parameters["frames"] { frameNumbers = try Self.frameNumbers(text) }
        // A study or series thumbnail: its middle image (a representative slice, not the first scout).
        let instance = r.level == .image ? found[0] : found[found.count / 2]
        if r.level != .image && !thumbnail {
            // A rendered series or study: each instance's first frame, one part each.
            return try renderedParts(found.map { ($0, 1) }, options)
        }
        if let frameNumbers, frameNumbers.count > 1 {
            return try renderedParts(frameNumbers.map { (instance, $0) }, options)
        }
        let image = try render(instance, frame: frameNumbers?.first ?? 1, options)
        return HTTPResponse(status: 200, headers: [("Content-Type", options.png ? "image/png" : "image/jpeg")], body: .bytes(image))
    }

    func render(_ instance: StoredInstance, frame: Int, _ request: RenderRequest) throws(HTTPError) -> [UInt8] {
        let file: DICOMFile
        do { file = try archive.file(for: instance) } catch { throw HTTPError(500, "instance \(instance.sopInstanceUID) cannot be read: \(error)") }
        guard file.dataSet[.pixelData] != nil || file.dataSet[.floatPixelData] != nil || file.dataSet[.doubleFloatPixelData] != nil else {
            throw HTTPError(404, "instance \(instance.sopInstanceUID) has no image to render")
        }
        var options = request.options
        options.frame = frame - 1
        do {
            let image = try Renderer.render(file, options: options)
            return request.png ? try image.png() : try image.jpeg(quality: request.quality)
        } catch {
            if error.description.contains("does not exist") { throw HTTPError(404, error.description) }
            if error.description.contains("viewport region") { throw HTTPError(400, error.description) }
            throw HTTPError(500, "instance \(instance.sopInstanceUID) cannot be rendered: \(error)")
        }
    }

    /// Several rendered frames as `multipart/related`, rendered as the stream is written.
    func renderedParts(_ frames: [(StoredInstance, Int)], _ request: RenderRequest) throws(HTTPError) -> HTTPResponse {
        let multipart = MultipartWriter()
        let type = request.png ? "image/png" : "image/jpeg"
        let service = self
        return HTTPResponse(status: 200, headers: [("Content-Type", multipart.contentType(type: type))], body: .stream { write in
            for (instance, frame) in frames {
                guard let image = try? service.render(instance, frame: frame, request) else { continue }
                guard multipart.partHead([("Content-Type", type), ("Content-Length", String(image.count))]).withUnsafeBytes({ write($0) }),
                      image.withUnsafeBytes({ write($0) }), multipart.partEnd.withUnsafeBytes({ write($0) }) else { return }
            }
            _ = multipart.close.withUnsafeBytes { write($0) }
        })
    }

    // MARK: WADO-URI

    /// GET /wado?requestType=WADO&studyUID=…&seriesUID=…&objectUID=… (PS3.18 §9): the object as
    /// application/dicom (in its stored syntax, or `transferSyntax`), or rendered as image/jpeg (the default)
    /// or image/png, with `frameNumber`, `windowCenter`, `windowWidth`, `rows`, `columns`, `imageQuality`.
    func wadoURI(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        var p: [String: String] = [:]
        for (name, value) in request.query {
            guard p[name] == nil else { throw HTTPError(400, "the parameter \(name) is given twice") }
            p[name] = value
        }
        guard p["requestType"] == "WADO" else { throw HTTPError(400, "requestType must be WADO") }
        guard let study = p["studyUID"], let series = p["seriesUID"], let object = p["objectUID"] else {
            throw HTTPError(400, "studyUID, seriesUID and objectUID are required")
        }
        let known: Set<String> = ["requestType", "studyUID", "seriesUID", "objectUID", "contentType", "charset", "anonymize",
                                  "annotation", "rows", "columns", "region", "windowCenter", "windowWidth", "frameNumber",
                                  "imageQuality", "presentationUID", "presentationSeriesUID", "transferSyntax"]
        if let unknown = p.keys.first(where: { !known.contains($0) }) {
            throw HTTPError(400, "'\(unknown)' is not a WADO-URI parameter (PS3.18 §9.1.2)")
        }
        for uid in [study, series, object] { try checkUID(uid) }
        let resource = Resource(study: study, series: series, instance: object)
        let types = (p["contentType"] ?? "image/jpeg").split(separator: ",").map { String($0).trimmed.lowercased() }
        if types.contains(where: { $0.hasPrefix("application/dicom") }) {
            guard p["anonymize"] == nil else { throw HTTPError(400, "anonymize=yes is not supported yet") }
            var accept = "application/dicom; transfer-syntax=\(p["transferSyntax"] ?? "*")"
            if let ts = p["transferSyntax"] { try checkUID(ts) } else { accept = "application/dicom; transfer-syntax=*" }
            var inner = request
            inner.headers = [("accept", accept)]
            return try retrieve(inner, resource)
        }
        guard let type = types.first(where: { $0 == "image/jpeg" || $0 == "image/png" }) else {
            throw HTTPError(406, "contentType \(p["contentType"] ?? "") is not offered (application/dicom, image/jpeg, image/png)")
        }
        var render = RenderRequest()
        render.png = type == "image/png"
        if let c = p["windowCenter"].map({ Double($0) }), let w = p["windowWidth"].map({ Double($0) }) {
            guard let c, let w, w > 0, c.isFinite, w.isFinite else { throw HTTPError(400, "windowCenter and windowWidth are numbers, the width positive") }
            render.options.window = Window(center: c, width: w)
        } else if p["windowCenter"] != nil || p["windowWidth"] != nil {
            throw HTTPError(400, "windowCenter and windowWidth go together")
        }
        if p["rows"] != nil || p["columns"] != nil {
            let rows = p["rows"].flatMap { Int($0) }, columns = p["columns"].flatMap { Int($0) }
            guard rows.map({ (1...8192).contains($0) }) ?? true, columns.map({ (1...8192).contains($0) }) ?? true,
                  rows != nil || p["rows"] == nil, columns != nil || p["columns"] == nil else {
                throw HTTPError(400, "rows and columns are 1 to 8192")
            }
            render.options.size = (columns ?? 8192, rows ?? 8192)
        }
        if let q = p["imageQuality"] {
            guard let q = Int(q), (1...100).contains(q) else { throw HTTPError(400, "imageQuality is 1 to 100") }
            render.quality = q
        }
        var frame = 1
        if let f = p["frameNumber"] {
            guard let n = Int(f), n >= 1 else { throw HTTPError(400, "frameNumber is a frame number from 1") }
            frame = n
        }
        let instance = try instances(resource)[0]
        let image = try self.render(instance, frame: frame, render)
        return HTTPResponse(status: 200, headers: [("Content-Type", type)], body: .bytes(image))
    }
}
