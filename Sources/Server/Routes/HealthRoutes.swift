import Hummingbird

extension Routes {
    struct Health: Encodable {
        let status: String
    }

    /// `/health`, `/healthz`, `/readyz` (503 until the models are loaded, as llama-server) and
    /// `/metrics`.
    func addHealth(to router: Router<InferRequestContext>) {
        let registry = self.registry, metrics = self.metrics
        for path in ["/health", "/healthz", "/readyz"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                guard registry.isReady else {
                    throw APIError.unavailable("the models are still loading")
                }
                return try JSONBody.response(Health(status: "ok"))
            }
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
    }
}
