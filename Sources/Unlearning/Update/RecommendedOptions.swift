import Foundation
import Model

extension UnlearningOptions {
    /// The update Lethe makes when nobody says otherwise (the daemon's default, `lethe forget`'s):
    /// DiPO with β 0.1 (γ 5, k 1, `topk+target`, the parent as reference), AdamW at a constant
    /// 3e-4, 5 epochs over the forget items, batches of 8 forget and 8 retain examples, λ 1 on
    /// the retain NLL. Chosen from `lethe bench tofu` and `lethe bench sequential` on the
    /// embedded model; docs/dipo.md ("Defaults") gives the measurements and the reasons.
    public static let recommended = UnlearningOptions(
        objective: .dipo(recommendedDiPO), retainTerm: .nll, retainWeight: 1, length: .epochs(recommendedEpochs), forgetBatchSize: 8,
        retainBatchSize: 8, learningRate: 3e-4)

    public static let recommendedDiPO = DiPO(beta: 0.1)
    /// The daemon's per-item early stopping (`forgetTarget`; 0 is off) and retain term.
    public static let recommendedForgetTarget = 0.05
    public static let recommendedRetainTerm = RetainTerm.nll
    public static let recommendedEpochs = 5
    /// The daemon's change grid (`ChangeGrid.bits`; 0 is none): the change keeps bfloat16's
    /// precision relative to each weight. Measured in docs/dipo.md, "Cheap versions".
    public static let recommendedChangeBits = 16
}

extension ParameterScope {
    /// Bytes an update of a model of `config` holds for its parameters under this scope: 4 per
    /// weight and 16 more per trainable one (its gradient, AdamW's two moments, and the parent's
    /// weight that the change grid is laid around), and with `retainProjection` what the
    /// projection holds (`RetainProjection.heldBytes`).
    public func parameterBytes(for config: LlamaConfig, retainProjection: Bool = false) throws -> Int {
        let layout = ParameterLayout(config: config)
        let ranges = try trainableRanges(in: layout, layerCount: config.layerCount)
        let projection = retainProjection ? RetainProjection.heldBytes(for: config, trainable: ranges) : 0
        return 4 * layout.count + 16 * ranges.reduce(0) { $0 + $1.count } + projection
    }

    /// The scope an update uses unless told otherwise: the first of `all`, `mlp` and
    /// `upper-half` whose update parameters (`parameterBytes`) take at most half of
    /// `memoryBytes` (the machine's), so that the activations, the reference data and the
    /// daemon's other copies of the weights fit beside them; `upper-half` when none does.
    /// On the embedded model `all` and `mlp` forget equally well and `upper-half` forgets far
    /// less (docs/dipo.md, "Parameter scope").
    public static func recommended(for config: LlamaConfig, retainProjection: Bool = false,
                                   memoryBytes: UInt64 = ProcessInfo.processInfo.physicalMemory) -> ParameterScope {
        [.all, .mlp].first { scope in
            (try? scope.parameterBytes(for: config, retainProjection: retainProjection)).map { UInt64($0) <= memoryBytes / 2 } ?? false
        } ?? .upperHalf
    }
}
