/// A reader of the protobuf wire format over bytes of a mapped file. Every read is bounds
/// checked; failures name the absolute byte offset in the file.
struct ProtoReader {
    /// Wire types of the protobuf encoding.
    enum WireType: Int {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5
    }

    let bytes: UnsafeRawBufferPointer
    /// Offset of `bytes[0]` in the file, for error messages and borrowed ranges.
    let origin: Int
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer, origin: Int) {
        self.bytes = bytes
        self.origin = origin
    }

    var isAtEnd: Bool { position >= bytes.count }
    /// Absolute offset of the next byte.
    var absolutePosition: Int { origin + position }

    func error(_ reason: String) -> OnnxError {
        .invalidModel(reason: reason, byteOffset: absolutePosition)
    }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws(OnnxError) -> (number: Int, wireType: WireType)? {
        guard !isAtEnd else { return nil }
        let key = try readVarint()
        guard let wireType = WireType(rawValue: Int(key & 7)) else { throw error("unknown wire type \(key & 7)") }
        let number = Int(key >> 3)
        guard number > 0 else { throw error("field number 0") }
        return (number, wireType)
    }

    mutating func readVarint() throws(OnnxError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw error("truncated varint") }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { throw error("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { throw error("varint longer than 10 bytes") }
        }
    }

    mutating func readInt64() throws(OnnxError) -> Int64 { Int64(bitPattern: try readVarint()) }

    mutating func readFixed32() throws(OnnxError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("truncated fixed32") }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    mutating func readFixed64() throws(OnnxError) -> UInt64 {
        guard bytes.count - position >= 8 else { throw error("truncated fixed64") }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    /// The byte range (relative to `bytes`) of a length-delimited field.
    mutating func readLengthDelimitedRange() throws(OnnxError) -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(bytes.count - position) else {
            throw error(
                "length \(length) runs past the end of the enclosing message (\(bytes.count - position) bytes left)")
        }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// A reader over the next length-delimited field (an embedded message).
    mutating func readMessage() throws(OnnxError) -> ProtoReader {
        let range = try readLengthDelimitedRange()
        return ProtoReader(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]), origin: origin + range.lowerBound)
    }

    mutating func readString() throws(OnnxError) -> String {
        let range = try readLengthDelimitedRange()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    mutating func readBytes() throws(OnnxError) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: bytes[try readLengthDelimitedRange()]))
    }

    /// Skips a field's value.
    mutating func skip(_ wireType: WireType) throws(OnnxError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimitedRange()
        case .startGroup, .endGroup:
            throw error("wire type \(wireType.rawValue) (protobuf groups), which ONNX never uses")
        }
    }

    /// Appends a repeated varint field, packed or not.
    mutating func readVarints(_ wireType: WireType, into values: inout [Int64]) throws(OnnxError) {
        if wireType == .lengthDelimited {
            var packed = try readMessage()
            while !packed.isAtEnd { values.append(try packed.readInt64()) }
        } else {
            values.append(try readInt64())
        }
    }

    /// Appends a repeated float field, packed or not.
    mutating func readFloats(_ wireType: WireType, into values: inout [Float]) throws(OnnxError) {
        if wireType == .lengthDelimited {
            var packed = try readMessage()
            guard packed.bytes.count % 4 == 0 else { throw error("packed floats of \(packed.bytes.count) bytes") }
            values.reserveCapacity(values.count + packed.bytes.count / 4)
            while !packed.isAtEnd { values.append(Float(bitPattern: try packed.readFixed32())) }
        } else {
            values.append(Float(bitPattern: try readFixed32()))
        }
    }

    /// Appends a repeated double field, packed or not.
    mutating func readDoubles(_ wireType: WireType, into values: inout [Double]) throws(OnnxError) {
        if wireType == .lengthDelimited {
            var packed = try readMessage()
            while !packed.isAtEnd { values.append(Double(bitPattern: try packed.readFixed64())) }
        } else {
            values.append(Double(bitPattern: try readFixed64()))
        }
    }
}
