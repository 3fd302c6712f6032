import TensorCore

/// Decodes ONNX protobuf messages from a mapped file. Initializer bytes (`raw_data`) are
/// borrowed from the mapping, not copied, when aligned; external data is mapped from its file.
struct OnnxDecoder {
    let file: MappedFile
    /// Directory that external-data locations are relative to.
    let directory: String
    /// Mapped external data files, by path (each mapped once; tensors keep them alive).
    var externalFiles: [String: MappedFile] = [:]
    /// Graphs being decoded inside each other (control-flow bodies in attributes).
    private var graphDepth = 0
    /// The deepest nesting of graphs, and of types, the decoder accepts: far beyond any real
    /// model, far below what would exhaust the stack.
    static let maximumNesting = 64

    init(file: MappedFile) {
        self.file = file
        let path = file.path
        if let slash = path.lastIndex(of: "/") { directory = String(path[..<slash]) } else { directory = "." }
    }

    mutating func decodeModel() throws(OnnxError) -> OnnxModel {
        guard let base = file.bytes else { throw .invalidModel(reason: "the file is empty", byteOffset: 0) }
        var reader = ProtoReader(bytes: UnsafeRawBufferPointer(start: base, count: file.byteCount), origin: 0)
        var model = OnnxModel()
        var sawGraph = false
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, .varint): model.irVersion = try reader.readInt64()
            case (2, .lengthDelimited): model.producerName = try reader.readString()
            case (3, .lengthDelimited): model.producerVersion = try reader.readString()
            case (4, .lengthDelimited): model.domain = try reader.readString()
            case (5, .varint): model.modelVersion = try reader.readInt64()
            case (6, .lengthDelimited): model.docString = try reader.readString()
            case (7, .lengthDelimited):
                var sub = try reader.readMessage()
                model.graph = try decodeGraph(&sub)
                sawGraph = true
            case (8, .lengthDelimited):
                var sub = try reader.readMessage()
                var domain = "", version: Int64 = 0
                while let (f, w) = try sub.nextField() {
                    switch (f, w) {
                    case (1, .lengthDelimited): domain = try sub.readString()
                    case (2, .varint): version = try sub.readInt64()
                    default: try sub.skip(w)
                    }
                }
                model.opsetImports[domain == "ai.onnx" ? "" : domain] = Int(clamping: version)
            case (14, .lengthDelimited):
                var sub = try reader.readMessage()
                let (key, value) = try decodeStringPair(&sub)
                model.metadata[key] = value
            default: try reader.skip(wire)
            }
        }
        guard sawGraph else {
            throw .invalidModel(reason: "no graph (ModelProto field 7) found", byteOffset: file.byteCount)
        }
        return model
    }

    mutating func decodeGraph(_ reader: inout ProtoReader) throws(OnnxError) -> Graph {
        guard graphDepth < OnnxDecoder.maximumNesting else {
            throw .invalidModel(
                reason: "graphs nested more than \(OnnxDecoder.maximumNesting) deep",
                byteOffset: reader.absolutePosition)
        }
        graphDepth += 1
        defer { graphDepth -= 1 }
        var graph = Graph()
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, .lengthDelimited):
                var sub = try reader.readMessage()
                graph.nodes.append(try decodeNode(&sub))
            case (2, .lengthDelimited): graph.name = try reader.readString()
            case (5, .lengthDelimited):
                var sub = try reader.readMessage()
                let (name, tensor) = try decodeTensor(&sub)
                if graph.initializers[name] == nil { graph.initializerOrder.append(name) }
                graph.initializers[name] = tensor
            case (11, .lengthDelimited):
                var sub = try reader.readMessage()
                graph.inputs.append(try decodeValueInfo(&sub))
            case (12, .lengthDelimited):
                var sub = try reader.readMessage()
                graph.outputs.append(try decodeValueInfo(&sub))
            case (13, .lengthDelimited):
                var sub = try reader.readMessage()
                graph.valueInfo.append(try decodeValueInfo(&sub))
            default: try reader.skip(wire)
            }
        }
        return graph
    }

    mutating func decodeNode(_ reader: inout ProtoReader) throws(OnnxError) -> Node {
        var node = Node()
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, .lengthDelimited): node.inputs.append(try reader.readString())
            case (2, .lengthDelimited): node.outputs.append(try reader.readString())
            case (3, .lengthDelimited): node.name = try reader.readString()
            case (4, .lengthDelimited): node.opType = try reader.readString()
            case (7, .lengthDelimited):
                let domain = try reader.readString()
                node.domain = domain == "ai.onnx" ? "" : domain
            case (5, .lengthDelimited):
                var sub = try reader.readMessage()
                let (name, value) = try decodeAttribute(&sub)
                node.attributes[name] = value
            default: try reader.skip(wire)
            }
        }
        return node
    }

    mutating func decodeAttribute(_ reader: inout ProtoReader) throws(OnnxError) -> (String, Attribute) {
        var name = "", type: Int64 = 0
        var f: Float = 0, i: Int64 = 0, s: [UInt8] = []
        var t: Tensor?, g: Graph?, tp: ValueType?
        var floats: [Float] = [], ints: [Int64] = [], strings: [[UInt8]] = [], tensors: [Tensor] = [],
            graphs: [Graph] = []
        var typeProtos: [ValueType] = []
        let start = reader.absolutePosition
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (20, .varint): type = try reader.readInt64()
            case (2, .fixed32): f = Float(bitPattern: try reader.readFixed32())
            case (3, .varint): i = try reader.readInt64()
            case (4, .lengthDelimited): s = try reader.readBytes()
            case (5, .lengthDelimited):
                var sub = try reader.readMessage()
                t = try decodeTensor(&sub).1
            case (6, .lengthDelimited):
                var sub = try reader.readMessage()
                g = try decodeGraph(&sub)
            case (14, .lengthDelimited):
                var sub = try reader.readMessage()
                tp = try decodeType(&sub)
            case (7, _): try reader.readFloats(wire, into: &floats)
            case (8, _): try reader.readVarints(wire, into: &ints)
            case (9, .lengthDelimited): strings.append(try reader.readBytes())
            case (10, .lengthDelimited):
                var sub = try reader.readMessage()
                tensors.append(try decodeTensor(&sub).1)
            case (11, .lengthDelimited):
                var sub = try reader.readMessage()
                graphs.append(try decodeGraph(&sub))
            case (15, .lengthDelimited):
                var sub = try reader.readMessage()
                if let decoded = try decodeType(&sub) { typeProtos.append(decoded) }
            default: try reader.skip(wire)
            }
        }
        let value: Attribute
        switch type {
        case 1: value = .float(f)
        case 2: value = .int(i)
        case 3: value = .string(s)
        case 4:
            guard let t else {
                throw .invalidModel(reason: "tensor attribute '\(name)' has no tensor", byteOffset: start)
            }
            value = .tensor(t)
        case 5:
            guard let g else {
                throw .invalidModel(reason: "graph attribute '\(name)' has no graph", byteOffset: start)
            }
            value = .graph(g)
        case 6: value = .floats(floats)
        case 7: value = .ints(ints)
        case 8: value = .strings(strings)
        case 9: value = .tensors(tensors)
        case 10: value = .graphs(graphs)
        case 11: value = .sparseTensor
        case 12: value = .sparseTensors
        case 13:
            guard let tp else { throw .invalidModel(reason: "type attribute '\(name)' has no type", byteOffset: start) }
            value = .typeProto(tp)
        case 14: value = .typeProtos(typeProtos)
        default:
            throw .invalidModel(reason: "attribute '\(name)' has unknown type \(type)", byteOffset: start)
        }
        return (name, value)
    }

    mutating func decodeValueInfo(_ reader: inout ProtoReader) throws(OnnxError) -> ValueInfo {
        var info = ValueInfo()
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, .lengthDelimited): info.name = try reader.readString()
            case (2, .lengthDelimited):
                var sub = try reader.readMessage()
                info.type = try decodeType(&sub)
            default: try reader.skip(wire)
            }
        }
        return info
    }

    func decodeType(_ reader: inout ProtoReader, depth: Int = 0) throws(OnnxError) -> ValueType? {
        guard depth < OnnxDecoder.maximumNesting else {
            throw .invalidModel(
                reason: "types nested more than \(OnnxDecoder.maximumNesting) deep", byteOffset: reader.absolutePosition
            )
        }
        var result: ValueType?
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, .lengthDelimited), (8, .lengthDelimited):
                var sub = try reader.readMessage()
                var elementType: Int64 = 0
                var shape: [Dimension]?
                while let (f, w) = try sub.nextField() {
                    switch (f, w) {
                    case (1, .varint): elementType = try sub.readInt64()
                    case (2, .lengthDelimited):
                        var shapeReader = try sub.readMessage()
                        shape = try decodeShape(&shapeReader)
                    default: try sub.skip(w)
                    }
                }
                let type = Int(clamping: elementType)
                result =
                    field == 1
                    ? .tensor(elementType: type, shape: shape) : .sparseTensor(elementType: type, shape: shape)
            case (4, .lengthDelimited), (9, .lengthDelimited):
                var sub = try reader.readMessage()
                var inner: ValueType?
                while let (f, w) = try sub.nextField() {
                    if f == 1, w == .lengthDelimited {
                        var element = try sub.readMessage()
                        inner = try decodeType(&element, depth: depth + 1)
                    } else {
                        try sub.skip(w)
                    }
                }
                result = field == 4 ? .sequence(inner) : .optional(inner)
            case (5, .lengthDelimited):
                var sub = try reader.readMessage()
                var key: Int64 = 0
                var inner: ValueType?
                while let (f, w) = try sub.nextField() {
                    switch (f, w) {
                    case (1, .varint): key = try sub.readInt64()
                    case (2, .lengthDelimited):
                        var element = try sub.readMessage()
                        inner = try decodeType(&element, depth: depth + 1)
                    default: try sub.skip(w)
                    }
                }
                result = .map(keyType: Int(clamping: key), valueType: inner)
            default: try reader.skip(wire)
            }
        }
        return result
    }

    func decodeShape(_ reader: inout ProtoReader) throws(OnnxError) -> [Dimension] {
        var dims: [Dimension] = []
        while let (field, wire) = try reader.nextField() {
            guard field == 1, wire == .lengthDelimited else {
                try reader.skip(wire)
                continue
            }
            var sub = try reader.readMessage()
            var dim = Dimension.unknown
            while let (f, w) = try sub.nextField() {
                switch (f, w) {
                case (1, .varint): dim = .value(Int(clamping: try sub.readInt64()))
                case (2, .lengthDelimited): dim = .symbol(try sub.readString())
                default: try sub.skip(w)
                }
            }
            dims.append(dim)
        }
        return dims
    }

    func decodeStringPair(_ reader: inout ProtoReader) throws(OnnxError) -> (String, String) {
        var key = "", value = ""
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, .lengthDelimited): key = try reader.readString()
            case (2, .lengthDelimited): value = try reader.readString()
            default: try reader.skip(wire)
            }
        }
        return (key, value)
    }
}
