import Foundation
import Hummingbird
import Tokenizers

extension Routes {
    struct TokenizeRequest: Decodable {
        var model: String?
        var content: String
        var add_special: Bool?
        var parse_special: Bool?
        var with_pieces: Bool?
    }

    struct Piece: Encodable {
        let id: Int
        let piece: String
    }

    struct TokenizeResponse: Encodable {
        enum Tokens: Encodable {
            case ids([Int])
            case pieces([Piece])

            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case let .ids(ids): try container.encode(ids)
                case let .pieces(pieces): try container.encode(pieces)
                }
            }
        }
        let tokens: Tokens
    }

    struct DetokenizeRequest: Decodable {
        var model: String?
        var tokens: [Int]
    }

    struct DetokenizeResponse: Encodable {
        let content: String
    }

    /// llama-server's `POST /tokenize` and `POST /detokenize`, on a GGUF model's tokenizer.
    func addTokenize(to router: Router<InferRequestContext>) {
        let routes = self
        router.post("/tokenize") { request, _ -> Response in
            let body = try await routes.body(TokenizeRequest.self, request)
            let tokenizer = try routes.registry.textModel(body.model).generator.tokenizer
            let ids = tokenizer.encode(
                body.content, addSpecialTokens: body.add_special ?? false, parseSpecial: body.parse_special ?? true
            ).ids
            guard body.with_pieces ?? false else { return try JSONBody.response(TokenizeResponse(tokens: .ids(ids))) }
            let pieces = ids.map { id in
                Piece(id: id, piece: (try? tokenizer.decode([id], skipSpecialTokens: false)) ?? "")
            }
            return try JSONBody.response(TokenizeResponse(tokens: .pieces(pieces)))
        }
        router.post("/detokenize") { request, _ -> Response in
            let body = try await routes.body(DetokenizeRequest.self, request)
            let tokenizer = try routes.registry.textModel(body.model).generator.tokenizer
            for (index, id) in body.tokens.enumerated() where id < 0 || id >= tokenizer.vocabularySize {
                throw APIError.badRequest(
                    "tokens[\(index)] is \(id), outside the vocabulary of \(tokenizer.vocabularySize)",
                    param: "tokens[\(index)]")
            }
            let content: String
            do { content = try tokenizer.decode(body.tokens, skipSpecialTokens: false) } catch {
                throw APIError.badRequest("the tokens cannot be decoded: \(error)", param: "tokens")
            }
            return try JSONBody.response(DetokenizeResponse(content: content))
        }
    }
}
