/// Token bytes to ids: an open-addressing hash table over one contiguous byte store, so lookups
/// hash a byte buffer directly (no array per key) and loading inserts tens of thousands of entries
/// without allocating each.
struct VocabularyTable: Sendable {
    private var store: [UInt8] = []
    /// Per entry: where its bytes start in `store`, their count, and its id.
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var ids: [Int32] = []
    /// Entry index + 1 per slot (0: empty), with the entry's hash in the high 32 bits.
    private var slots: [UInt64]
    private var mask: Int

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { ids.count }

    /// The length in bytes of the longest entry.
    private(set) var longestKey = 0

    @inline(__always) static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        // FNV-1a, folded through a multiply for the slot bits.
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return UInt32(truncatingIfNeeded: (value ^ (value >> 29)) &* 0xBF58_476D_1CE4_E5B9 >> 32)
    }

    /// The id of `key`, if present.
    @inline(__always) func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        lookup(key, hash: VocabularyTable.hash(key))
    }

    private func lookup(_ key: UnsafeBufferPointer<UInt8>, hash: UInt32) -> Int? {
        store.withUnsafeBufferPointer { stored in
            slots.withUnsafeBufferPointer { slots in
                var slot = Int(hash) & mask
                while true {
                    let entry = slots[slot]
                    if entry == 0 { return nil }
                    if UInt32(truncatingIfNeeded: entry >> 32) == hash {
                        let index = Int(UInt32(truncatingIfNeeded: entry)) - 1
                        let length = Int(lengths[index])
                        if length == key.count {
                            if length == 0 { return Int(ids[index]) }
                            if let base = stored.baseAddress, let keyBase = key.baseAddress,
                                memcmp(base + Int(starts[index]), keyBase, length) == 0
                            {
                                return Int(ids[index])
                            }
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    subscript<Bytes: Collection<UInt8>>(key: Bytes) -> Int? {
        key.withContiguousStorageIfAvailable { lookup($0) } ?? Array(key).withUnsafeBufferPointer { lookup($0) }
    }

    /// Calls `body` with every entry's bytes and id, in insertion order.
    func forEachEntry(_ body: (UnsafeBufferPointer<UInt8>, Int) -> Void) {
        store.withUnsafeBufferPointer { stored in
            for index in ids.indices {
                body(
                    UnsafeBufferPointer(rebasing: stored[Int(starts[index])..<Int(starts[index] + lengths[index])]),
                    Int(ids[index]))
            }
        }
    }

    /// The text of every id (nil for ids no entry has); an id given twice keeps its last entry, as
    /// a JSON object's later member replaces an earlier one.
    func names() -> [String?] {
        var names = [String?](repeating: nil, count: Int(ids.max() ?? -1) + 1)
        forEachEntry { bytes, id in names[id] = String(decoding: bytes, as: UTF8.self) }
        return names
    }

    /// Adds `key` → `id` unless `key` is already present (the first entry wins).
    mutating func insert<Bytes: Collection<UInt8>>(_ key: Bytes, id: Int) {
        let added: Bool? = key.withContiguousStorageIfAvailable { buffer in insert(buffer, id: id) }
        if added == nil { _ = Array(key).withUnsafeBufferPointer { insert($0, id: id) } }
    }

    /// Adds `key` → `id` unless present; returns whether it was added.
    @discardableResult
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, id: Int) -> Bool {
        let hash = VocabularyTable.hash(key)
        if lookup(key, hash: hash) != nil { return false }
        if (ids.count + 1) * 2 > slots.count { grow() }
        starts.append(Int32(store.count))
        lengths.append(Int32(key.count))
        ids.append(Int32(truncatingIfNeeded: id))
        store.append(contentsOf: key)
        longestKey = max(longestKey, key.count)
        place(index: ids.count - 1, hash: hash)
        return true
    }

    private mutating func place(index: Int, hash: UInt32) {
        var slot = Int(hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = UInt64(hash) << 32 | UInt64(index + 1)
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for entry in old where entry != 0 {
            place(index: Int(UInt32(truncatingIfNeeded: entry)) - 1, hash: UInt32(truncatingIfNeeded: entry >> 32))
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Two 32-bit values by 64-bit key, open addressing: BPE merge rules (rank and result) by the pair
/// of ids they join, and the Unigram trie's children (child node in `rank`) by node and scalar.
struct MergeTable: Sendable {
    /// Per slot: the key (0: empty; keys are stored plus one) and the rule.
    private var keys: [UInt64]
    private var values: [(rank: Int32, result: Int32)]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [(Int32, Int32)](repeating: (0, 0), count: size)
        mask = size - 1
    }

    @inline(__always) private static func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    @inline(__always) subscript(key: UInt64) -> (rank: Int32, result: Int32)? {
        let stored = key &+ 1
        var slot = MergeTable.slot(key) & mask
        while true {
            let found = keys[slot]
            if found == stored { return values[slot] }
            if found == 0 { return nil }
            slot = (slot + 1) & mask
        }
    }

    /// Adds the rule unless the pair already has one (the first, lowest rank, wins).
    mutating func insert(_ key: UInt64, _ value: (rank: Int32, result: Int32)) {
        if (count + 1) * 2 > keys.count { grow() }
        let stored = key &+ 1
        var slot = MergeTable.slot(key) & mask
        while keys[slot] != 0 {
            if keys[slot] == stored { return }
            slot = (slot + 1) & mask
        }
        keys[slot] = stored
        values[slot] = value
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [(Int32, Int32)](repeating: (0, 0), count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (key, value) in zip(oldKeys, oldValues) where key != 0 { insert(key &- 1, value) }
    }
}
