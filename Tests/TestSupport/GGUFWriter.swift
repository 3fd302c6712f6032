/// A small GGUF writer for hand-made files.
public struct GGUFWriter {
    public var bytes: [UInt8] = []

    public init() {}
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes += Array(s.utf8)
    }
    public mutating func header(version: UInt32 = 3, tensors: UInt64, metadata: UInt64) {
        bytes += Array("GGUF".utf8)
        u32(version)
        u64(tensors)
        u64(metadata)
    }
    public mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }
}
