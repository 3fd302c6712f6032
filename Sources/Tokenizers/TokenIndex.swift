import Synchronization

/// Token ids by text, built from the vocabulary on the first lookup (loading stays fast for callers
/// that never look tokens up). Shared by copies of a ``Tokenizer``; the mutex makes the one-time
/// build safe when several tasks look up at once.
final class TokenIndex: Sendable {
    private let table = Mutex<[String: Int]?>(nil)

    func id(for token: String, in vocabulary: [String?]) -> Int? {
        table.withLock { table in
            if table == nil {
                var built: [String: Int] = [:]
                built.reserveCapacity(vocabulary.count)
                // The first id wins when two ids share a spelling.
                for (id, text) in vocabulary.enumerated() { if let text, built[text] == nil { built[text] = id } }
                table = built
            }
            return table?[token]
        }
    }
}
