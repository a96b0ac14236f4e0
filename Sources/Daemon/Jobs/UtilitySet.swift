import Foundation
import Model
import Store
import Unlearning

/// The user's utility set, and a version's model utility on it, measured as MUSE measures the
/// knowledge a model keeps on retain data: each question's greedy answer against its reference
/// (ROUGE-L recall) and the reference's p̄ against the base version's (capped at 1, so a model
/// surer of some answers does not make up for forgetting others). Model utility is the harmonic
/// mean of the two means, as TOFU's is of its six figures: neither can be traded for the other.
///
/// A reference is the item's completion, the passage of a text item (scored by p̄ alone), or, for
/// a prompt given alone, the base version's greedy answer. References and the base version's
/// figures are computed once per base version and recorded in the registry.
struct UtilitySet {
    struct Entry {
        let text: ItemText
        /// The item's own answer; nil for a prompt alone.
        let completion: String?
        let fingerprint: String
    }

    let entries: [Entry]

    init(items: [DataSetItem]) {
        var seen = Set<String>()
        entries = items.compactMap { item in
            let entry: Entry
            switch item {
            case .item(let content):
                let text = ItemText(content)
                entry = Entry(text: text, completion: text.completion,
                              fingerprint: UtilityReferenceRecord.fingerprint(prompt: text.prompt, completion: text.completion))
            case .prompt(let prompt):
                entry = Entry(text: ItemText(prompt: prompt, completion: "", isPassage: false), completion: nil,
                              fingerprint: UtilityReferenceRecord.fingerprint(prompt: prompt, completion: nil))
            }
            return seen.insert(entry.fingerprint).inserted ? entry : nil
        }
    }

    /// An entry with its reference, ready to measure.
    typealias Measured = (text: ItemText, reference: UtilityReferenceRecord)

    /// `sampleSize` entries spread over the set, less the questions the forget set asks, each
    /// with its reference under the base version: recorded ones read, missing ones computed with
    /// the base model and recorded. Entries without a reference (the base version answered a
    /// prompt with no word) are left out.
    func references(excluding forgetPrompts: Set<String>, sampleSize: Int, base: BaseReference, texts: ModelTexts,
                    registry: Registry) throws -> [Measured] {
        let sample = entries.filter { $0.text.isPassage || !forgetPrompts.contains($0.text.prompt) }.evenlySpaced(sampleSize)
        var recorded = try registry.utilityReferences(baseVersion: base.version)
        let missing = sample.filter { recorded[$0.fingerprint] == nil }
        if !missing.isEmpty {
            let computed = try Self.computeReferences(missing, base: base, texts: texts)
            try registry.insertUtilityReferences(computed)
            for record in computed { recorded[record.fingerprint] = record }
        }
        return sample.compactMap { entry in
            guard let reference = recorded[entry.fingerprint], !RougeL.words(reference.reference).isEmpty else { return nil }
            return (ItemText(prompt: entry.text.prompt, completion: reference.reference, isPassage: entry.text.isPassage), reference)
        }
    }

    private static func computeReferences(_ entries: [Entry], base: BaseReference, texts: ModelTexts) throws -> [UtilityReferenceRecord] {
        let alone = entries.filter { $0.completion == nil }
        let answers = try texts.answers(alone.map(\.text.prompt), model: base.model)
        let answerByFingerprint = Dictionary(uniqueKeysWithValues: zip(alone.map(\.fingerprint), answers))
        let referenced = entries.map { entry in
            (entry, ItemText(prompt: entry.text.prompt, completion: entry.completion ?? answerByFingerprint[entry.fingerprint]!,
                             isPassage: entry.text.isPassage))
        }
        let scorable = referenced.filter { !RougeL.words($0.1.completion).isEmpty }
        let scores = try texts.scores(scorable.map { ($0.0.fingerprint, $0.1) }, baseProbabilities: [:], model: base.model, between: {})
        return referenced.map { entry, text in
            guard let score = scores[entry.fingerprint] else {
                return UtilityReferenceRecord(baseVersion: base.version, fingerprint: entry.fingerprint, reference: text.completion,
                                              baseProbability: 0, baseRecall: nil)
            }
            return UtilityReferenceRecord(baseVersion: base.version, fingerprint: entry.fingerprint, reference: text.completion,
                                          baseProbability: score.probability, baseRecall: text.isPassage ? nil : score.rougeLRecall)
        }
    }

    /// The base version's utility on `measured`: its own recall of the references, and p̄ ratios of 1.
    static func baseUtility(_ measured: [Measured]) -> Double {
        value(recalls: measured.compactMap(\.reference.baseRecall), ratios: measured.map { _ in 1 })
    }

    /// `model`'s utility on `measured`; `between` runs between chunks of items.
    func utility(of model: LlamaModel, references measured: [Measured], texts: ModelTexts, between: () throws -> Void) throws -> Double {
        let scores = try texts.scores(measured.map { ($0.reference.fingerprint, $0.text) },
                                      baseProbabilities: Dictionary(uniqueKeysWithValues: measured.map { ($0.reference.fingerprint, $0.reference.baseProbability) }),
                                      model: model, between: between)
        let recalls = measured.filter { !$0.text.isPassage }.map { scores[$0.reference.fingerprint]!.rougeLRecall }
        let ratios = measured.map { min(1, scores[$0.reference.fingerprint]!.probabilityRatio) }
        return Self.value(recalls: recalls, ratios: ratios)
    }

    /// The harmonic mean of mean recall (when any question is measured) and mean p̄ ratio; 0 for no item.
    private static func value(recalls: [Double], ratios: [Double]) -> Double {
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        let figures = (recalls.isEmpty ? [] : [mean(recalls)]) + (ratios.isEmpty ? [] : [mean(ratios)])
        guard !figures.isEmpty else { return 0 }
        return (try? ModelUtility.harmonicMean(figures)) ?? 0
    }
}
