import DICOM
import HTTP

/// The OpenAPI 3 document of the web server, made from the router's own table (so it cannot list a route that
/// does not exist, nor miss one): each path and method, its path parameters, and the permission it needs
/// (`x-permission`), with the Basic and Bearer schemes.
enum OpenAPI {
    static func document(_ routes: [Router.Route]) -> String {
        var byPath: [(path: String, operations: [(String, JSONValue)])] = []
        for route in routes {
            var op: [(String, JSONValue)] = [("operationId", .string(route.method.lowercased() + route.pattern.replacingSlashes))]
            let parameters = Router.parameters(of: route.pattern).map { name -> JSONValue in
                .object([("name", .string(name)), ("in", .string("path")), ("required", .bool(true)),
                         ("schema", .object([("type", .string("string"))]))])
            }
            if !parameters.isEmpty { op.append(("parameters", .array(parameters))) }
            var responses: [(String, JSONValue)] = [("200", .object([("description", .string("success"))])),
                                                     ("400", .object([("description", .string("a bad request, with its reason"))]))]
            if let permission = route.permission {
                op.append(("x-permission", .string(permission)))
                op.append(("security", .array([.object([("basic", .array([]))]), .object([("bearer", .array([]))])])))
                responses.append(("401", .object([("description", .string("no valid credentials"))])))
                responses.append(("403", .object([("description", .string("the user's role lacks \(permission)"))])))
            } else {
                op.append(("security", .array([])))
            }
            op.append(("responses", .object(responses)))
            let entry = (route.method.lowercased(), JSONValue.object(op))
            if let i = byPath.firstIndex(where: { $0.path == route.pattern }) {
                byPath[i].operations.append(entry)
            } else {
                byPath.append((route.pattern, [entry]))
            }
        }
        let doc: JSONValue = .object([
            ("openapi", .string("3.0.3")),
            ("info", .object([("title", .string("Lightbox")), ("version", .string(DICOMFile.implementationVersionName)),
                              ("description", .string("DICOMweb (PS3.18) under /dicom-web, WADO-URI at /wado, the administration API under /api."))])),
            ("paths", .object(byPath.map { ($0.path, .object($0.operations)) })),
            ("components", .object([("securitySchemes", .object([
                ("basic", .object([("type", .string("http")), ("scheme", .string("basic"))])),
                ("bearer", .object([("type", .string("http")), ("scheme", .string("bearer"))])),
            ]))])),
        ])
        return doc.serialized + "\n"
    }
}

extension String {
    /// "/dicom-web/studies/{study}" as "_dicom-web_studies_study", for operation ids.
    var replacingSlashes: String {
        String(map { $0 == "/" ? "_" : $0 }.filter { $0 != "{" && $0 != "}" })
    }
}
