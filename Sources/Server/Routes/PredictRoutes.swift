import Classification
import Foundation
import Hummingbird
import OnnxLoader
import TensorCore

extension Routes {
    struct PredictRequest: Decodable {
        var model: String?
        /// Flattened values for the model's single input.
        var input: [Float]?
        /// A base64 PNG or JPEG for a classifier.
        var image: String?
        var top_k: Int?
    }

    struct PredictResponse: Encodable {
        let output: TensorJSON.Data
        let shape: [Int]
        let inference_time_ms: Double
        let batch_size: Int
    }

    struct LabelsResponse: Encodable {
        struct Label: Encodable {
            let label: String
            let index: Int
            let probability: Float
        }
        let labels: [Label]
        let inference_time_ms: Double
    }

    struct ModelInfo: Encodable {
        struct Tensor: Encodable {
            let name: String
            let shape: [Int]
            let dtype: String
        }
        let name: String
        let inputs: [Tensor]
        let outputs: [Tensor]
        let classifier: Bool
    }

    /// `POST /predict` (the `/predict` services' contract) and `GET /model/info`.
    func addPredict(to router: Router<InferRequestContext>) {
        let routes = self
        router.post("/predict") { request, _ -> Response in
            let body = try await routes.body(PredictRequest.self, request)
            let model = try routes.registry.onnxModel(body.model)
            switch (body.input, body.image) {
            case let (input?, nil): return try await routes.predict(input, model: model)
            case let (nil, image?): return try await routes.classify(image, topK: body.top_k ?? 5, model: model)
            case (.some, .some):
                throw APIError.badRequest("send either 'input' or 'image', not both", param: "input")
            case (nil, nil):
                throw APIError.badRequest(
                    "missing field 'input' (a flat list of floats) or 'image' (a base64 PNG or JPEG)", param: "input")
            }
        }
        router.get("/model/info") { request, _ -> Response in
            let model = try routes.registry.onnxModel(request.uri.queryParameters.get("model"))
            func describe(_ info: ValueInfo) -> ModelInfo.Tensor {
                .init(
                    name: info.name, shape: TensorJSON.declaredShape(info),
                    dtype: TensorJSON.declaredType(info).map { "\($0)" } ?? "unknown")
            }
            return try JSONBody.response(
                ModelInfo(
                    name: model.name, inputs: model.session.inputs.map(describe),
                    outputs: model.session.outputs.map(describe), classifier: model.classifier != nil))
        }
    }

    /// Runs the model's single input on `values`; the batch size follows from their count.
    private func predict(_ values: [Float], model: OnnxModel) async throws -> Response {
        let inputs = model.session.inputs
        guard inputs.count == 1, let info = inputs.first else {
            throw APIError.badRequest(
                "the model takes \(inputs.count) inputs; '/predict' feeds one: use /v2/models/\(model.name)/infer")
        }
        let declared = TensorJSON.declaredShape(info)
        guard !declared.isEmpty, declared.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw APIError.badRequest(
                "the input '\(info.name)' has shape \(declared), which a flat list cannot fill; use /v2/models/\(model.name)/infer with a shape"
            )
        }
        let perSample = declared.dropFirst().reduce(1, *)
        guard !values.isEmpty, values.count % perSample == 0 else {
            throw APIError.badRequest(
                "'input' has \(values.count) values; the model's input \(declared) takes a multiple of \(perSample)",
                param: "input")
        }
        let batch = values.count / perSample
        if declared[0] > 0 && declared[0] != batch {
            throw APIError.badRequest(
                "'input' has \(values.count) values, a batch of \(batch); the model's input \(declared) takes \(declared[0])",
                param: "input")
        }
        let shape = [batch] + Array(declared.dropFirst())
        let dtype = TensorJSON.declaredType(info) ?? .float32
        let tensor = try TensorJSON.tensor(values.map { Double($0) }, shape: shape, dtype: dtype, field: "input")
        let session = model.session
        let started = ContinuousClock.now
        let output: Tensor = try await model.queue.run {
            do { return try session.run([tensor])[0] } catch {
                throw APIError.badRequest("the model could not run on this input: \(error)", param: "input")
            }
        }
        let seconds = started.duration(to: .now).seconds
        metrics.inference(model: model.name, seconds: seconds)
        return try JSONBody.response(
            PredictResponse(
                output: try TensorJSON.Data(output), shape: output.shape, inference_time_ms: seconds * 1000,
                batch_size: batch))
    }

    /// Classifies a base64 image with the model's preprocessing.
    private func classify(_ base64: String, topK: Int, model: OnnxModel) async throws -> Response {
        guard let classifier = model.classifier else {
            throw APIError.badRequest(
                "the model '\(model.name)' is not an image classifier (one 3-channel image input); send 'input'",
                param: "image")
        }
        guard (1...1000).contains(topK) else {
            throw APIError.badRequest("top_k must be 1 to 1000, got \(topK)", param: "top_k")
        }
        let payload = base64.range(of: ";base64,").map { String(base64[$0.upperBound...]) } ?? base64
        guard let data = Data(base64Encoded: payload, options: .ignoreUnknownCharacters) else {
            throw APIError.badRequest("'image' is not valid base64", param: "image")
        }
        let image: RGBImage
        do { image = try RGBImage(data: Array(data), name: "image") } catch {
            throw APIError.badRequest("'image' is not a PNG or JPEG this server can read: \(error)", param: "image")
        }
        let started = ContinuousClock.now
        let predictions = try await model.queue.run {
            do { return try classifier.classify(image, topK: topK) } catch {
                throw APIError.badRequest("the image could not be classified: \(error)", param: "image")
            }
        }
        let seconds = started.duration(to: .now).seconds
        metrics.inference(model: model.name, seconds: seconds)
        return try JSONBody.response(
            LabelsResponse(
                labels: predictions.map { .init(label: $0.label, index: $0.index, probability: $0.probability) },
                inference_time_ms: seconds * 1000))
    }
}
