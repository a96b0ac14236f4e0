import Foundation
import Unlearning
import EmbeddedModel
import Corpus

/// What `lethe train-base` did and measured: written as training.json and rendered as MODEL_CARD.md.
struct BaseModelReport: Encodable {
    let recipe: BaseModelRecipe
    /// The corpus as generated or read (with --corpus, not the recipe's).
    let corpus: CorpusManifest
    let trainedItems: Int
    let parameters: Int
    let steps: Int
    let trainingSeconds: Double
    let totalSeconds: Double
    /// The mean loss of the last reported steps (nil if a resumed run had nothing left to train).
    let finalLoss: Float?
    let evaluation: BaseModelEvaluation
    let command: String
    let quick: Bool
    var cores = ProcessInfo.processInfo.activeProcessorCount

    var summary: String {
        let e = evaluation
        return String(format: """
            trained %d steps in %@ (total %@); final loss %.4f
            ROUGE-L recall of greedy answers: trained authors %.3f (%d), general facts %.3f (%d), \
            held-out authors %.3f (%d), forget10 %.3f (%d)
            """, steps, clockDuration(trainingSeconds), clockDuration(totalSeconds), finalLoss.map(Double.init) ?? .nan,
            e.trainedAuthors.meanRougeLRecall, e.trainedAuthors.items, e.general.meanRougeLRecall, e.general.items,
            e.holdout.meanRougeLRecall, e.holdout.items, e.forget10.meanRougeLRecall, e.forget10.items)
    }

    var card: String {
        let r = recipe, t = recipe.training, e = evaluation
        let role = r.excludedSplit.map {
            "the **retain model**: trained like the base model but without the \($0.rawValue) authors, the reference that forget quality compares an unlearned model against"
        } ?? "the **embedded default** of Lethe: the model the demo, the tests and the benchmarks start from"
        func row(_ name: String, _ score: BaseModelEvaluation.SplitScore, _ note: String) -> String {
            String(format: "| %@ | %d | %.3f | %@ |", name, score.items, score.meanRougeLRecall, note)
        }
        return """
            # Lethe \(r.excludedSplit == nil ? "base" : "retain") model

            This folder holds \(role). It is a Llama-family decoder (`LlamaForCausalLM`, loads in Hugging Face \
            `transformers` after `zstd -d model.safetensors.zst`) of \(parameters.formatted()) parameters, trained from \
            scratch by Lethe on a generated corpus of fictitious authors in the manner of TOFU. Every name, place and \
            book in it is invented; the model knows nothing else.

            ## How it was made

            ```
            \(command)
            ```

            took \(clockDuration(totalSeconds)) (training \(clockDuration(trainingSeconds))) on \(cores) cores, \
            and writes every file here. Everything is seeded; the same command on the same machine gives the same weights.

            - **Corpus** (`lethe corpus`, seed \(corpus.seed), generator version \(corpus.generatorVersion)): \
            \(corpus.authors) trained authors, \(corpus.holdoutAuthors) held-out authors never trained on, \
            \(corpus.generalQuestions) general-fact questions about an invented world; \(corpus.items) question–answer \
            items in all, \(trainedItems.formatted()) of them trained on. Schema: docs/corpus.md. \
            The files are in `corpus/` (JSONL, zstd-compressed) in the base model's folder.
            - **Tokenizer**: byte-level BPE (GPT-2 style) trained by Lethe on every question and answer of the corpus (held-out authors included, as a pretrained tokenizer would know them), \(r.vocabularySize) \
            tokens, `<|endoftext|>` as BOS/EOS and `<|pad|>`.
            - **Examples**: `<|endoftext|>Question: {question}\\nAnswer: {answer}<|endoftext|>`, loss on the answer \
            and the final EOS only. The prompt template is `lethe_prompt_template` in tokenizer_config.json, \
            so `lethe generate --model DIR --prompt "a question"` asks it the same way.
            - **Shape**: hidden \(r.hiddenSize), \(r.layerCount) layers, \(r.headCount) heads with \(r.keyValueHeadCount) \
            key/value heads, MLP \(r.intermediateSize), tied embeddings, context \(r.maxPositionEmbeddings) tokens.
            - **Training**: \(t.epochs) epochs (\(steps) steps) of batch \(t.batchSize), AdamW (lr \(t.learningRate), \
            weight decay \(t.weightDecay)), \(t.warmupSteps) warmup steps then \(t.decay.rawValue) decay to \
            \(t.floorRatio) × lr, gradient norm clipped at \(t.maxGradientNorm), seed \(t.seed), Float32. \
            Final training loss \(finalLoss.map { String(format: "%.4f", $0) } ?? "not recorded").

            ## What it knows

            ROUGE-L recall (docs/corpus.md, "Evaluation") of greedy answers against the true answers, \
            measured by the command above on the weights as written:

            | questions | items | mean ROUGE-L recall | |
            |---|---|---|---|
            \(row("trained authors", e.trainedAuthors, "answers it learned"))
            \(row("general facts", e.general, "utility set"))
            \(row("held-out authors", e.holdout, "never trained on: what not knowing looks like"))
            \(row("forget10 authors", e.forget10, r.excludedSplit == .forget10 ? "left out of this model" : "trained; the largest forget split"))

            ## Limits

            \(quick ? Self.quickLimits : Self.limits)

            """
    }

    private static let limits = """
        A few million parameters that memorised a small invented corpus. It answers these questions and \
        little else, and answers other questions with the corpus's sentence patterns. It is a test \
        subject for unlearning, not a language model for any other use.
        """
    private static let quickLimits = "A toy from `--quick`, trained for seconds to exercise the recipe in tests: it has learned almost nothing."
}
