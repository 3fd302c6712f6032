import Foundation
import Hummingbird
import OnnxLoader
import TensorCore

extension Routes {
    struct KServeTensorMetadata: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
    }

    struct KServeModelMetadata: Encodable {
        let name: String
        let versions: [String]
        let platform: String
        let inputs: [KServeTensorMetadata]
        let outputs: [KServeTensorMetadata]
    }

    struct KServeInferRequest: Decodable {
        struct Input: Decodable {
            let name: String
            let shape: [Int]
            let datatype: String
            let data: FlatNumbers
        }
        struct Output: Decodable {
            let name: String
        }
        let id: String?
        let inputs: [Input]
        let outputs: [Output]?
    }

    struct KServeInferResponse: Encodable {
        struct Output: Encodable {
            let name: String
            let datatype: String
            let shape: [Int]
            let data: TensorJSON.Data
        }
        let model_name: String
        let model_version: String
        let id: String?
        let outputs: [Output]
    }

    struct Readiness: Encodable {
        let ready: Bool
    }

    struct Liveness: Encodable {
        let live: Bool
    }

    struct ServerMetadata: Encodable {
        let name: String
        let version: String
        let extensions: [String]
    }

    /// KServe v2 (Open Inference Protocol) over the ONNX models.
    func addKServe(to router: Router<InferRequestContext>) {
        let routes = self
        router.get("/v2") { _, _ -> Response in
            try JSONBody.response(ServerMetadata(name: "infer", version: "0.1.0", extensions: []))
        }
        router.get("/v2/health/live") { _, _ -> Response in try JSONBody.response(Liveness(live: true)) }
        router.get("/v2/health/ready") { _, _ -> Response in
            guard routes.registry.isReady else { throw APIError.unavailable("the models are still loading") }
            return try JSONBody.response(Readiness(ready: true))
        }
        router.get("/v2/models/:name") { _, context -> Response in
            let model = try routes.registry.onnxModel(try context.parameters.require("name"))
            func describe(_ info: ValueInfo) -> KServeTensorMetadata {
                .init(
                    name: info.name, datatype: TensorJSON.declaredType(info).map(TensorJSON.datatype) ?? "UNKNOWN",
                    shape: TensorJSON.declaredShape(info))
            }
            return try JSONBody.response(
                KServeModelMetadata(
                    name: model.name, versions: ["1"], platform: "onnx", inputs: model.session.inputs.map(describe),
                    outputs: model.session.outputs.map(describe)))
        }
        router.get("/v2/models/:name/ready") { _, context -> Response in
            _ = try routes.registry.onnxModel(try context.parameters.require("name"))
            return try JSONBody.response(Readiness(ready: true))
        }
        router.post("/v2/models/:name/infer") { request, context -> Response in
            let model = try routes.registry.onnxModel(try context.parameters.require("name"))
            let body = try await routes.body(KServeInferRequest.self, request)
            return try await routes.infer(body, model: model)
        }
    }

    private func infer(_ body: KServeInferRequest, model: OnnxModel) async throws -> Response {
        let declared = model.session.inputs
        var feeds: [String: Tensor] = [:]
        for (index, input) in body.inputs.enumerated() {
            let field = "inputs[\(index)]"
            guard let info = declared.first(where: { $0.name == input.name }) else {
                throw APIError.badRequest(
                    "\(field).name '\(input.name)' is not an input of the model; inputs: \(declared.map(\.name).joined(separator: ", "))",
                    param: "\(field).name")
            }
            guard let dtype = TensorJSON.datatypes[input.datatype.uppercased()] else {
                throw APIError.badRequest(
                    "\(field).datatype '\(input.datatype)' is not supported; accepted: \(TensorJSON.datatypes.keys.sorted().joined(separator: ", "))",
                    param: "\(field).datatype")
            }
            let expected = TensorJSON.declaredType(info)
            var tensor = try TensorJSON.tensor(input.data.values, shape: input.shape, dtype: dtype, field: field)
            if let expected, expected != dtype {
                do { tensor = try tensor.cast(to: expected) } catch {
                    throw APIError.badRequest("\(field): \(error)", param: "\(field).datatype")
                }
            }
            feeds[input.name] = tensor
        }
        let missing = declared.map(\.name).filter { feeds[$0] == nil }
        guard missing.isEmpty else {
            throw APIError.badRequest("missing inputs: \(missing.joined(separator: ", "))", param: "inputs")
        }
        let wanted = body.outputs?.map(\.name) ?? model.session.outputs.map(\.name)
        for name in wanted where !model.session.outputs.contains(where: { $0.name == name }) {
            throw APIError.badRequest("the model has no output '\(name)'", param: "outputs")
        }
        let session = model.session, ready = feeds
        let started = ContinuousClock.now
        let results: [String: Tensor] = try await model.queue.run {
            do { return try session.run(ready) } catch {
                throw APIError.badRequest("the model could not run on these inputs: \(error)", param: "inputs")
            }
        }
        metrics.inference(model: model.name, seconds: started.duration(to: .now).seconds)
        let outputs = try wanted.compactMap { name -> KServeInferResponse.Output? in
            guard let tensor = results[name] else { return nil }
            return .init(
                name: name, datatype: TensorJSON.datatype(tensor.dtype), shape: tensor.shape,
                data: try TensorJSON.Data(tensor))
        }
        return try JSONBody.response(
            KServeInferResponse(model_name: model.name, model_version: "1", id: body.id, outputs: outputs))
    }
}
