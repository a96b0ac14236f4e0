import Foundation
import Model
import Store
import Unlearning
import Corpus

/// What the model must keep, as the daemon reads it: the retain examples every update pairs with
/// its forget items, and the items model utility is measured on. The user's retain and utility
/// sets, or, in the embedded default's configuration, the fictitious corpus.
enum KeptData {
    case corpus(Corpus)
    case sets(retain: ReferencedSet, utility: ReferencedSet)

    /// Reads the configured source; errors name the file and the configuration key.
    static func load(_ configuration: DaemonConfiguration) throws -> KeptData {
        switch configuration.keptDataSource {
        case .corpus(let path):
            do { return .corpus(try Corpus.load(from: URL(fileURLWithPath: path))) } catch {
                throw DaemonError.dataUnreadable(path: path, key: "corpus", reason: "\(error)")
            }
        case .sets(let retainFiles, let utilityFiles):
            let retain = try readSets(retainFiles, key: "retain_set")
            let utility = try readSets(utilityFiles, key: configuration.utilitySetKey)
            return .sets(retain: ReferencedSet(items: retain), utility: ReferencedSet(items: utility))
        }
    }

    private static func readSets(_ files: [String], key: String) throws -> [DataSetItem] {
        try files.flatMap { path -> [DataSetItem] in
            let bytes: [UInt8]
            do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw DaemonError.dataUnreadable(path: path, key: key, reason: error.localizedDescription)
            }
            do throws(RequestError) { return try RequestParser.accepted.dataSet(bytes, fileName: path) } catch {
                throw DaemonError.dataUnreadable(path: path, key: key, reason: (error.field.map { "\($0) " } ?? "") + error.reason)
            }
        }
    }

    /// `count` retain examples, less what the forget set asks (forgetting those is the point,
    /// not a loss); a retain set's prompts alone are answered by the base version (recorded
    /// once). Half of them are the ones most like the texts of `near` (the job's forget items,
    /// `RetainNeighbours`), half spread over the whole set. From the corpus the pool is the
    /// retain authors' questions and the world's, the spread half split between the two, and
    /// none of the `utilitySampleSize` items each that the gate measures utility on: a gate
    /// measuring on trained items saw utility rise while held-out authors' answers fell
    /// (docs/dipo.md, "Sustainable forgetting").
    func retainTexts(excluding forgetPrompts: Set<String>, near: [ItemText], count: Int, utilitySampleSize: Int, base: BaseReference,
                     texts: ModelTexts, registry: Registry) throws -> [ItemText] {
        switch self {
        case .corpus(let corpus):
            let pools = [CorpusSplit.retain90, .general].map { split in
                let measured = Set(Self.utilitySample(corpus, split, size: utilitySampleSize, excluding: forgetPrompts).map(\.id))
                return corpus.items(in: split).filter { !measured.contains($0.id) && !forgetPrompts.contains($0.question) }.map(ItemText.init)
            }
            let neighbours = RetainNeighbours.nearest(to: near, in: pools[0] + pools[1], count: count / 2)
            let spread = count - neighbours.count
            return neighbours + pools[0].evenlySpaced(spread - spread / 2) + pools[1].evenlySpaced(spread / 2)
        case .sets(let retain, _):
            // The references are computed at start for a sample of `count`: the whole sample trains.
            return try retain.references(excluding: forgetPrompts, sampleSize: count, base: base, texts: texts, registry: registry).map(\.text)
        }
    }

    /// Model utility of `model` and of the base version on the same items: `sampleSize` items of
    /// the utility data less those the forget set asks.
    func utility(of model: LlamaModel, base: BaseReference, forgetPrompts: Set<String>, sampleSize: Int, texts: ModelTexts,
                 registry: Registry, between: () throws -> Void = {}) throws -> (version: MeasuredUtility, base: Double) {
        switch self {
        case .corpus(let corpus):
            let pick = { (split: CorpusSplit) in Self.utilitySample(corpus, split, size: sampleSize, excluding: forgetPrompts) }
            let (retain, general) = (pick(.retain90), pick(.general))
            let measure = { (model: LlamaModel) in try Self.corpusUtility(of: model, retain: retain, general: general, texts: texts) }
            let baseUtility = try base.utility(of: (retain + general).map(\.id)) { try measure(base.model).value }
            return (model === base.model ? MeasuredUtility(value: baseUtility, figures: [:]) : try measure(model), baseUtility)
        case .sets(_, let utility):
            let references = try utility.references(excluding: forgetPrompts, sampleSize: sampleSize, base: base, texts: texts,
                                                    registry: registry)
            let baseUtility = ReferencedSet.baseUtility(references)
            return (model === base.model ? MeasuredUtility(value: baseUtility, figures: [:])
                        : try utility.utility(of: model, references: references, texts: texts, between: between),
                    baseUtility)
        }
    }

    /// The items of `split` the gate measures utility on: `size` evenly spaced ones less those the
    /// forget set asks, so that the sample stays the same as the forget set grows and the base
    /// version is measured on it once; once fewer than half are left, topped up with others of the
    /// split, evenly spaced, that it does not ask (the base version is measured on the new sample):
    /// a forget set that covers the sample, as a burst of small requests over the retain authors
    /// can, would leave utility measured on nothing, 0 for every version.
    static func utilitySample(_ corpus: Corpus, _ split: CorpusSplit, size: Int, excluding forgetPrompts: Set<String>) -> [CorpusItem] {
        let all = corpus.items(in: split)
        let kept = all.evenlySpaced(size).filter { !forgetPrompts.contains($0.question) }
        guard kept.count < (size + 1) / 2 else { return kept }
        let keptIDs = Set(kept.map(\.id))
        return kept + all.filter { !keptIDs.contains($0.id) && !forgetPrompts.contains($0.question) }.evenlySpaced(size - kept.count)
    }

    /// Both splits in one evaluation, so that their likelihoods and their greedy answers share
    /// batched passes.
    private static func corpusUtility(of model: LlamaModel, retain: [CorpusItem], general: [CorpusItem], texts: ModelTexts) throws
        -> MeasuredUtility {
        let both = try SplitEvaluation.measure(retain + general, model: model, format: texts.format).items
        let figures = { (items: ArraySlice<ItemEvaluation>) in SplitEvaluation(items: Array(items)).utilityFigures }
        let utility = try ModelUtility(retain: figures(both[..<retain.count]), general: figures(both[retain.count...]))
        var named: [String: Double] = [:]
        for (split, f) in [("retain", utility.retain), ("general", utility.general)] {
            named["\(split)_probability"] = f.probability
            named["\(split)_rouge_l_recall"] = f.rougeLRecall
            named["\(split)_truth_ratio"] = f.truthRatioScore
        }
        return MeasuredUtility(value: utility.value, figures: named)
    }
}

/// A version's model utility and the figures it is the harmonic mean of, by name.
struct MeasuredUtility {
    let value: Double
    let figures: [String: Double]
}
