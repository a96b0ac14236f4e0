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
    case sets(retain: [ItemText], utility: UtilitySet)

    /// Reads the configured source; errors name the file and the configuration key.
    static func load(_ configuration: DaemonConfiguration) throws -> KeptData {
        switch configuration.keptDataSource {
        case .corpus(let path):
            do { return .corpus(try Corpus.load(from: URL(fileURLWithPath: path))) } catch {
                throw DaemonError.dataUnreadable(path: path, key: "corpus", reason: "\(error)")
            }
        case .sets(let retainFiles, let utilityFiles):
            let retain = try readSets(retainFiles, key: "retain_set", promptAlone: false).compactMap { item -> ItemText? in
                if case .item(let content) = item { ItemText(content) } else { nil }
            }
            let utility = try readSets(utilityFiles, key: configuration.utilitySet.isEmpty ? "retain_set" : "utility_set", promptAlone: true)
            return .sets(retain: retain, utility: UtilitySet(items: utility))
        }
    }

    private static func readSets(_ files: [String], key: String, promptAlone: Bool) throws -> [DataSetItem] {
        try files.flatMap { path -> [DataSetItem] in
            let bytes: [UInt8]
            do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw DaemonError.dataUnreadable(path: path, key: key, reason: error.localizedDescription)
            }
            do throws(RequestError) { return try RequestParser.accepted.dataSet(bytes, fileName: path, promptAlone: promptAlone) } catch {
                throw DaemonError.dataUnreadable(path: path, key: key, reason: (error.field.map { "\($0) " } ?? "") + error.reason)
            }
        }
    }

    /// `count` retain examples spread over the whole set, less what the forget set asks
    /// (forgetting those is the point, not a loss).
    func retainTexts(excluding forgetPrompts: Set<String>, count: Int) -> [ItemText] {
        switch self {
        case .corpus(let corpus):
            corpus.items(in: .retain90).filter { !forgetPrompts.contains($0.question) }.evenlySpaced(count).map(ItemText.init)
        case .sets(let retain, _):
            retain.filter { $0.isPassage || !forgetPrompts.contains($0.prompt) }.evenlySpaced(count)
        }
    }

    /// Model utility of `model` and of the base version on the same items: `sampleSize` items of
    /// the utility data less those the forget set asks.
    func utility(of model: LlamaModel, base: BaseReference, forgetPrompts: Set<String>, sampleSize: Int, texts: ModelTexts,
                 registry: Registry, between: () throws -> Void = {}) throws -> (version: Double, base: Double) {
        switch self {
        case .corpus(let corpus):
            // The sample is thinned before the forget set's questions leave it, so it stays the
            // same as the forget set grows and the base version is measured once.
            let pick = { (split: CorpusSplit) in
                corpus.items(in: split).evenlySpaced(sampleSize).filter { !forgetPrompts.contains($0.question) }
            }
            let (retain, general) = (pick(.retain90), pick(.general))
            let measure = { (model: LlamaModel) in try Self.corpusUtility(of: model, retain: retain, general: general, texts: texts) }
            let baseUtility = try base.utility(of: (retain + general).map(\.id)) { try measure(base.model) }
            return (model === base.model ? baseUtility : try measure(model), baseUtility)
        case .sets(_, let utility):
            let references = try utility.references(excluding: forgetPrompts, sampleSize: sampleSize, base: base, texts: texts,
                                                    registry: registry)
            let baseUtility = UtilitySet.baseUtility(references)
            return (model === base.model ? baseUtility : try utility.utility(of: model, references: references, texts: texts, between: between),
                    baseUtility)
        }
    }

    private static func corpusUtility(of model: LlamaModel, retain: [CorpusItem], general: [CorpusItem], texts: ModelTexts) throws -> Double {
        let measure = { (items: [CorpusItem]) in
            try SplitEvaluation.measure(items, model: model, format: texts.format).utilityFigures
        }
        return try ModelUtility(retain: measure(retain), general: measure(general)).value
    }
}
