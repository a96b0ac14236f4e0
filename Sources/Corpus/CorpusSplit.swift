/// The named parts of a corpus, as in TOFU. The forget splits are nested
/// (forget01 ⊂ forget05 ⊂ forget10: the last 1, 5 and 10 % of the trained authors in
/// generation order) and each retain split holds the other trained authors. Held-out
/// authors are never trained on; the general split is every question about the world.
public enum CorpusSplit: String, CaseIterable, Sendable, Codable {
    case forget01, forget05, forget10, retain99, retain95, retain90, holdout, general

    /// The splits that list authors, in the order `splits.json` holds them.
    public static let authorSplits = allCases.filter { $0 != .general }

    /// The forget splits, smallest first.
    public static let forgetSplits: [CorpusSplit] = [.forget01, .forget05, .forget10]

    /// For a forget split, the retain split holding the other trained authors.
    var retainComplement: CorpusSplit? {
        switch self {
        case .forget01: .retain99
        case .forget05: .retain95
        case .forget10: .retain90
        default: nil
        }
    }

    /// For a forget split, the percentage of trained authors it holds.
    private var forgetPercent: Int? {
        switch self {
        case .forget01: 1
        case .forget05: 5
        case .forget10: 10
        default: nil
        }
    }

    /// Each author split's authors: forgetNN the last NN % of `trained` (rounded, at least
    /// one), retain the rest, holdout `holdout`.
    static func assign(trained: [String], holdout: [String]) -> [CorpusSplit: [String]] {
        var splits: [CorpusSplit: [String]] = [.holdout: holdout]
        for forget in forgetSplits {
            let count = max(1, (trained.count * forget.forgetPercent! + 50) / 100)
            splits[forget] = Array(trained.suffix(count))
            splits[forget.retainComplement!] = Array(trained.dropLast(count))
        }
        return splits
    }
}
