import Foundation
import Model
import Store
import Unlearning

/// The user's retain or utility set, each item with its reference: the item's completion, the
/// passage of a text item, or, for a prompt given alone, the base version's greedy answer (so a
/// retain set of prompts alone holds the model to what it said, in its own words). References and
/// the base version's figures are computed once per base version and recorded in the registry.
///
/// On a utility set, a version's model utility is measured as MUSE measures the knowledge a model
/// keeps on retain data: each question's greedy answer against its given answer (ROUGE-L recall)
/// and each reference's p̄ against the base version's (capped at 1, so a model surer of some
/// answers does not make up for forgetting others). Passages and the base version's own answers
/// are measured by p̄ alone: re-decoding a long free-form answer greedily drifts at the first
/// near-tie token, so its recall falls where the model barely changed (SmolLM2, a 4-item request:
/// mean p̄ ratio 0.9987, recall of its own answers 0.58). Model utility is the harmonic mean of
/// the two means, as TOFU's is of its six figures: neither can be traded for the other.
struct ReferencedSet {
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
    /// prompt with no word) are left out; `text` holds the reference as its completion.
    func references(excluding forgetPrompts: Set<String>, sampleSize: Int, base: BaseReference, texts: ModelTexts,
                    registry: Registry) throws -> [Measured] {
        // Thinned before the forget set's questions leave it, as the corpus's sample is: the
        // sample stays the same as the forget set grows, so its references are all computed at start.
        let sample = entries.evenlySpaced(sampleSize).filter { !forgetPrompts.contains($0.text.isPassage ? $0.text.completion : $0.text.prompt) }
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
        let answers = Dictionary(uniqueKeysWithValues: zip(alone.map(\.fingerprint), try texts.answers(alone.map(\.text.prompt), model: base.model)))
        let referenced = entries.map { entry in
            (entry, ItemText(prompt: entry.text.prompt, completion: entry.completion ?? answers[entry.fingerprint]!, isPassage: entry.text.isPassage))
        }.filter { !RougeL.words($0.1.completion).isEmpty }
        let figures = try measure(referenced.map { (id: $0.0.fingerprint, text: $0.1, recalled: $0.0.completion != nil && !$0.1.isPassage) },
                                  model: base.model, texts: texts, between: {})
        return entries.map { entry in
            guard let scored = figures[entry.fingerprint] else {
                // The base version answered with no word: recorded so it is not asked again, and never measured.
                return UtilityReferenceRecord(baseVersion: base.version, fingerprint: entry.fingerprint, reference: answers[entry.fingerprint] ?? "",
                                              baseProbability: 0, baseRecall: nil)
            }
            return UtilityReferenceRecord(baseVersion: base.version, fingerprint: entry.fingerprint,
                                          reference: entry.completion ?? answers[entry.fingerprint]!, baseProbability: scored.probability,
                                          baseRecall: scored.recall)
        }
    }

    /// Each item's p̄ under `model` and, for the `recalled` ones, its greedy answer's ROUGE-L recall
    /// of the reference (only those are answered).
    private static func measure(_ items: [(id: String, text: ItemText, recalled: Bool)], model: LlamaModel, texts: ModelTexts,
                                between: () throws -> Void) throws
        -> [String: (probability: Double, recall: Double?)] {
        let recalled = items.filter(\.recalled), other = items.filter { !$0.recalled }
        // The p̄ ratio is taken against the recorded reference's, not the score's.
        let scores = try texts.scores(recalled.map { ($0.id, $0.text) }, baseProbabilities: [:], model: model, between: between)
        var result = scores.mapValues { (probability: $0.probability, recall: Optional($0.rougeLRecall)) }
        try between()
        for (id, probability) in try texts.probabilities(other.map { ($0.id, $0.text) }, model: model) {
            result[id] = (probability, nil)
        }
        return result
    }

    /// The base version's utility on `measured`: its own recall of the given answers, and p̄ ratios of 1.
    static func baseUtility(_ measured: [Measured]) -> Double {
        value(recalls: measured.compactMap(\.reference.baseRecall), ratios: measured.map { _ in 1 })
    }

    /// `model`'s utility on `measured`; `between` runs between passes.
    func utility(of model: LlamaModel, references measured: [Measured], texts: ModelTexts, between: () throws -> Void) throws
        -> MeasuredUtility {
        let figures = try Self.measure(measured.map { (id: $0.reference.fingerprint, text: $0.text, recalled: $0.reference.baseRecall != nil) },
                                       model: model, texts: texts, between: between)
        let recalls = measured.compactMap { figures[$0.reference.fingerprint]!.recall }
        let ratios = measured.map { min(1, figures[$0.reference.fingerprint]!.probability / $0.reference.baseProbability) }
        var named = ["probability_ratio": Self.mean(ratios)]
        if !recalls.isEmpty { named["rouge_l_recall"] = Self.mean(recalls) }
        return MeasuredUtility(value: Self.value(recalls: recalls, ratios: ratios), figures: named)
    }

    /// 0 for no value: a sample the forget set has emptied measures nothing, not NaN.
    private static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    /// The harmonic mean of mean recall (when any question is measured) and mean p̄ ratio; 0 for no item.
    private static func value(recalls: [Double], ratios: [Double]) -> Double {
        let figures = (recalls.isEmpty ? [] : [mean(recalls)]) + (ratios.isEmpty ? [] : [mean(ratios)])
        guard !figures.isEmpty else { return 0 }
        return (try? ModelUtility.harmonicMean(figures)) ?? 0
    }
}
