import Foundation

/// SentencePiece's precompiled normalisation map (`precompiled_charsmap`): a darts-clone double-array
/// trie over UTF-8 keys whose values index NUL-terminated replacements. Each grapheme shorter than
/// six bytes is looked up whole; otherwise (or when absent) each of its scalars is.
struct PrecompiledCharsmap: Sendable {
    private let units: [UInt32]
    private let replacements: [UInt8]

    /// Reads the map from its base64 text; `jsonPath` names it in errors.
    init(base64 text: String, jsonPath: String) throws(TokenizerError) {
        guard let data = Data(base64Encoded: text) else {
            throw .invalidField(jsonPath: jsonPath, reason: "not base64")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else {
            throw .invalidField(jsonPath: jsonPath, reason: "shorter than its 4-byte header")
        }
        let trieSize = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        guard trieSize % 4 == 0, trieSize <= bytes.count - 4 else {
            throw .invalidField(
                jsonPath: jsonPath, reason: "trie size \(trieSize) does not fit in \(bytes.count) bytes")
        }
        units = stride(from: 4, to: 4 + trieSize, by: 4).map {
            UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24
        }
        replacements = Array(bytes[(4 + trieSize)...])
    }

    /// The replacement of the shortest key that prefixes `key`, if any.
    func replacement(for key: [UInt8]) -> [Unicode.Scalar]? {
        guard !units.isEmpty else { return nil }
        var position = Int(offset(units[0]))
        for byte in key where byte != 0 {
            position ^= Int(byte)
            guard position < units.count else { return nil }
            let unit = units[position]
            guard unit & 0x8000_00FF == UInt32(byte) else { return nil }
            position ^= Int(offset(unit))
            if (unit >> 8) & 1 == 1, position < units.count {
                let start = Int(units[position] & 0x7FFF_FFFF)
                guard start <= replacements.count else { return nil }
                let end = replacements[start...].firstIndex(of: 0) ?? replacements.count
                return Array(String(decoding: replacements[start..<end], as: UTF8.self).unicodeScalars)
            }
        }
        return nil
    }

    private func offset(_ unit: UInt32) -> UInt32 { (unit >> 10) << ((unit & (1 << 9)) >> 6) }

    func normalize(_ text: inout NormalizedText) {
        var stream: [(Unicode.Scalar, Int)] = []
        stream.reserveCapacity(text.scalars.count)
        var modified = false
        func substitute(_ old: Int, _ new: [Unicode.Scalar]) {
            modified = true
            stream += new.map { ($0, 0) }
            let difference = new.count - old
            if difference > 0 {
                for index in (stream.count - difference)..<stream.count { stream[index].1 = 1 }
            } else if difference < 0, !stream.isEmpty {
                stream[stream.count - 1].1 += difference
            }
        }
        for grapheme in String(String.UnicodeScalarView(text.scalars)) {
            let scalars = Array(grapheme.unicodeScalars)
            let bytes = Array(String(grapheme).utf8)
            if bytes.count < 6, let new = replacement(for: bytes) {
                substitute(scalars.count, new)
                continue
            }
            for scalar in scalars {
                if let new = replacement(for: Array(String(scalar).utf8)) {
                    substitute(1, new)
                } else {
                    stream.append((scalar, 0))
                }
            }
        }
        if modified { text.rewrite(0..<text.scalars.count, with: stream) }
    }
}
