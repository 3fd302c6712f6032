import TensorCore

/// Maps (domain, op type, since-version) to operator factories, and resolves a node against the
/// model's opset imports: the implementation with the highest since-version not above the opset.
struct OperatorRegistry: Sendable {
    typealias Factory = @Sendable (NodeAttributes) throws -> any OnnxOperator

    private var entries: [String: [(since: Int, factory: Factory)]] = [:]

    private static func key(_ domain: String, _ opType: String) -> String { "\(domain)::\(opType)" }

    /// Registers `factory` for `opType` at each of `since` versions (the factory reads `opset`
    /// from the attributes where semantics changed between versions).
    mutating func register(_ opType: String, domain: String = "", since: [Int], _ factory: @escaping Factory) {
        for version in since {
            entries[Self.key(domain, opType), default: []].append((version, factory))
        }
        entries[Self.key(domain, opType)]?.sort { $0.since < $1.since }
    }

    /// The factory that runs `opType` at `opset`, or nil.
    func resolve(domain: String, opType: String, opset: Int) -> Factory? {
        entries[Self.key(domain, opType)]?.last(where: { $0.since <= opset })?.factory
    }

    /// Every registered (domain, op type).
    var operatorNames: [String] { entries.keys.sorted() }

    /// The newest since-version registered for `domain` (nil: no operator of that domain).
    func newestVersion(of domain: String) -> Int? {
        let prefix = "\(domain)::"
        return entries.filter { $0.key.hasPrefix(prefix) }.compactMap { $0.value.last?.since }.max()
    }

    /// The registry with every operator this engine implements.
    static let standard: OperatorRegistry = {
        var registry = OperatorRegistry()
        registerArithmetic(&registry)
        registerActivations(&registry)
        registerLogic(&registry)
        registerShapeOps(&registry)
        registerIndexing(&registry)
        registerLinearAlgebra(&registry)
        registerEinsum(&registry)
        registerWindows(&registry)
        registerGroupNormalization(&registry)
        registerDeterminant(&registry)
        registerNonMaxSuppression(&registry)
        registerCol2Im(&registry)
        registerRecurrent(&registry)
        registerDFT(&registry)
        registerSTFT(&registry)
        registerGridSample(&registry)
        registerBitCast(&registry)
        registerAffineGrid(&registry)
        registerLabelEncoder(&registry)
        registerFeatureOps(&registry)
        registerNonZero(&registry)
        registerMeanVarianceNormalization(&registry)
        registerMaxUnpool(&registry)
        registerTfIdfVectorizer(&registry)
        registerOptimizers(&registry)
        registerTensorScatter(&registry)
        registerRoiAlign(&registry)
        registerCausalConvWithState(&registry)
        registerLinearAttention(&registry)
        registerDeformConv(&registry)
        registerMelWeightMatrix(&registry)
        registerTreeEnsemble(&registry)
        registerConvolution(&registry)
        registerConvTranspose(&registry)
        registerResize(&registry)
        registerQuantization(&registry)
        registerControlFlow(&registry)
        registerSequences(&registry)
        registerStrings(&registry)
        registerGradient(&registry)
        registerPooling(&registry)
        registerNormalization(&registry)
        registerReductions(&registry)
        registerSoftmax(&registry)
        registerAttention(&registry)
        registerRotaryEmbedding(&registry)
        registerShrink(&registry)
        registerSwiGLU(&registry)
        registerMatrixPatterns(&registry)
        registerCumulativeOps(&registry)
        registerSelection(&registry)
        registerScatterND(&registry)
        registerReverseSequence(&registry)
        registerOneHot(&registry)
        registerRearrangement(&registry)
        registerLocalNormalization(&registry)
        registerLosses(&registry)
        return registry
    }()
}

/// An operator defined by a closure over its inputs.
struct ClosureOperator: OnnxOperator {
    let body: @Sendable (OpInputs) throws -> [Tensor]
    func run(_ inputs: OpInputs) throws -> [Tensor] { try body(inputs) }
}
