import ArgumentParser
import Foundation
import Model
import Unlearning
import Corpus

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how well a model answers a corpus split: ROUGE-L recall of its greedy answers, and TOFU's metrics.",
        discussion: """
        Each question is asked in the model's conversation format (its chat template, else its prompt template) and answered greedily until EOS. With --metrics, also \
        the mean probability of the answers, truth ratio and Min-K% score; with --retain-model on a forget split, also \
        forget quality, model utility (on --retain-split and general), the membership-inference AUC and PrivLeak.
        """
    )

    @OptionGroup var source: ModelSourceOptions
    @Option(help: "The corpus folder (lethe corpus output, plain or zstd-compressed JSONL).")
    var corpus = "Checkpoints/base/corpus"
    @Option(help: "The split to answer: \(CorpusSplit.allCases.map(\.rawValue).joined(separator: ", ")).")
    var split: CorpusSplit
    @Option(help: "Answer only the first N questions of the split.")
    var limit: Int?
    @Option(help: "Most tokens per answer.")
    var maxNewTokens = 64
    @Flag(help: "Also measure the mean answer probability, truth ratio and Min-K% score.")
    var metrics = false
    @Option(help: "The retain model folder (trained without the forget split): adds forget quality, model utility and PrivLeak. Implies --metrics.")
    var retainModel: String?
    @Option(help: "The retain split model utility is measured on.")
    var retainSplit: CorpusSplit = .retain90
    @Option(help: "Model utility uses at most N evenly spaced items of the retain split and of the general split (0: all).")
    var utilityItems = 400
    @Flag(help: "Print every question's answer and score.")
    var items = false
    @Flag(help: "Print the result as JSON (always with every item).")
    var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1") }
        if utilityItems < 0 { throw ValidationError("--utility-items must be at least 0") }
        if retainModel != nil && !CorpusSplit.forgetSplits.contains(split) {
            throw ValidationError("--retain-model needs a forget split (\(CorpusSplit.forgetSplits.map(\.rawValue).joined(separator: ", "))), not \(split.rawValue)")
        }
    }

    struct Result: Encodable {
        let model: String
        let split: String
        let items: Int
        let meanRougeLRecall: Double
        var seconds: Double
        let answers: [AnswerRecall.Item]
        // With --metrics.
        var meanProbability: Double?
        var meanTruthRatio: Double?
        var meanMinKScore: Double?
        var itemMetrics: [ItemMetrics]?
        // With --retain-model.
        var retainModel: String?
        var retainSplit: String?
        var forgetQuality: Double?
        var modelUtility: Double?
        var miaAuc: Double?
        var retainModelMiaAuc: Double?
        var privLeak: Double?
    }

    struct ItemMetrics: Encodable {
        let id: String
        let probability: Double
        let truthRatio: Double
        let minKScore: Double
    }

    func run() throws {
        let clock = ContinuousClock(), start = clock.now
        let loaded = try source.load()
        let format = try loaded.format()
        let loadedCorpus = try Corpus.load(from: URL(fileURLWithPath: corpus))
        let questions = Array(loadedCorpus.items(in: split).prefix(limit ?? Int.max))
        let bar = json ? nil : ProgressBar()
        let measuresMetrics = metrics || retainModel != nil

        // Greedy answers are what takes the time: the bar counts them over every set measured.
        let utilitySets = retainModel == nil ? [] : [retainSplit, .general].map { split in
            utilityItems == 0 ? loadedCorpus.items(in: split) : loadedCorpus.items(in: split).evenlySpaced(utilityItems)
        }
        let totalAnswers = questions.count * (retainModel == nil ? 1 : 2) + utilitySets.reduce(0) { $0 + $1.count }
        var answered = 0
        let progress = { (done: Int) -> Void in
            bar?.update(fraction: Double(answered + done) / Double(totalAnswers), detail: "\(answered + done)/\(totalAnswers) answers")
        }
        var result: Result
        if measuresMetrics {
            let evaluation = try SplitEvaluation.measure(questions, model: loaded.model, format: format,
                                                         maxNewTokens: maxNewTokens, progress: progress)
            answered += questions.count
            result = Result(model: loaded.name, split: split.rawValue, items: questions.count, meanRougeLRecall: evaluation.meanRougeLRecall,
                            seconds: 0, answers: evaluation.items.map(\.recall))
            result.meanProbability = evaluation.meanProbability
            result.meanTruthRatio = evaluation.meanTruthRatio
            result.meanMinKScore = evaluation.meanMinKScore
            result.itemMetrics = evaluation.items.map {
                ItemMetrics(id: $0.id, probability: $0.probability, truthRatio: $0.truthRatio.value, minKScore: $0.minKScore)
            }
            if let retainModel {
                let retainFolder = URL(fileURLWithPath: retainModel)
                let retain = try ModelFolder.load(retainFolder)
                let retainFormat = try ConversationFormat(modelFolder: retainFolder, config: retain.config)
                let retainForget = try SplitEvaluation.measure(questions, model: retain, format: retainFormat,
                                                               maxNewTokens: maxNewTokens, progress: progress)
                answered += questions.count
                let utility = try utilitySets.map { items in
                    defer { answered += items.count }
                    return try SplitEvaluation.measure(items, model: loaded.model, format: format,
                                                       maxNewTokens: maxNewTokens, progress: progress)
                }
                let holdout = loadedCorpus.items(in: .holdout)
                let forget = try ForgetEvaluation(
                    forget: evaluation, retainModelForget: retainForget, retain: utility[0], general: utility[1],
                    holdoutMinKScores: try ForgetEvaluation.minKScores(of: holdout, model: loaded.model, format: format),
                    retainModelHoldoutMinKScores: try ForgetEvaluation.minKScores(
                        of: holdout, model: retain, format: retainFormat))
                result.retainModel = retainModel
                result.retainSplit = retainSplit.rawValue
                result.forgetQuality = forget.forgetQuality
                result.modelUtility = forget.modelUtility.value
                result.miaAuc = forget.membershipAUC
                result.retainModelMiaAuc = forget.retainModelMembershipAUC
                result.privLeak = forget.privLeak
            }
        } else {
            let recall = try AnswerRecall.measure(questions.map { ($0.id, $0.question, $0.answer) }, model: loaded.model,
                                                  format: format, maxNewTokens: maxNewTokens, progress: progress)
            result = Result(model: loaded.name, split: split.rawValue, items: questions.count, meanRougeLRecall: recall.meanRecall,
                            seconds: 0, answers: recall.items)
        }
        bar?.finish()
        result.seconds = (clock.now - start).seconds
        if json {
            print(try encodeJSON(result))
            return
        }
        if items {
            printColumns(["id", "recall", "answer"], result.answers.map { [$0.id, String(format: "%.3f", $0.recall), $0.generated] })
            print("")
        }
        var rows = [
            ("model", loaded.name), ("split", "\(split.rawValue) (\(questions.count) questions)"),
            ("ROUGE-L recall", String(format: "%.4f (mean of greedy answers)", result.meanRougeLRecall)),
        ]
        let optional: [(String, Double?, String)] = [
            ("probability", result.meanProbability, "%.4f (mean p̄ of the answers)"),
            ("truth ratio", result.meanTruthRatio, "%.4f (mean R)"),
            ("Min-K% score", result.meanMinKScore, "%.4f (mean, k = 40 %%)"),
            ("forget quality", result.forgetQuality, "%.4g (KS p-value against the retain model)"),
            ("model utility", result.modelUtility, "%.4f (\(retainSplit.rawValue) and general)"),
            ("MIA AUC", result.miaAuc, "%.4f (Min-K%% of forget vs holdout)"),
            ("retain MIA AUC", result.retainModelMiaAuc, "%.4f"),
            ("PrivLeak", result.privLeak, "%+.2f %%"),
        ]
        rows += optional.compactMap { name, value, format in value.map { (name, String(format: format, $0)) } }
        rows.append(("time", String(format: "%.1f s", result.seconds)))
        printTable(rows)
    }
}
