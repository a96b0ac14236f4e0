import Model
import Corpus

/// Everything that decides the embedded default model (`Checkpoints/base`): the corpus, the
/// tokenizer trained on it, the model's shape and the fine-tuning run. Seeded throughout, so
/// the same recipe rebuilds the same model on the same machine.
public struct BaseModelRecipe: Sendable, Encodable, Equatable {
    public var corpus = try! CorpusOptions()
    public var vocabularySize = 2048
    public var hiddenSize = 256
    public var intermediateSize = 640
    public var layerCount = 4
    public var headCount = 4
    public var keyValueHeadCount = 2
    public var maxPositionEmbeddings = 128
    public var initializationSeed: UInt64 = 1
    public var training = SupervisedTrainingOptions(epochs: 20, batchSize: 32, learningRate: 2e-3, warmupSteps: 100,
                                                    decay: .cosine, floorRatio: 0.05, weightDecay: 0.01, maxGradientNorm: 1, seed: 1)
    /// A split left out of training: forget10 gives the retain model that forget quality compares against.
    public var excludedSplit: CorpusSplit?

    public init() {}

    /// A corpus of a few authors and a model of a few thousand parameters, trained for seconds:
    /// exercises every step of the recipe in tests; it learns little.
    public static var quick: BaseModelRecipe {
        var recipe = BaseModelRecipe()
        recipe.corpus = try! CorpusOptions(seed: 1, authors: 20, holdoutAuthors: 4, generalQuestions: 20)
        recipe.vocabularySize = 400
        recipe.hiddenSize = 32
        recipe.intermediateSize = 64
        recipe.layerCount = 2
        recipe.headCount = 2
        recipe.keyValueHeadCount = 1
        recipe.training = SupervisedTrainingOptions(epochs: 3, batchSize: 16, learningRate: 3e-3, warmupSteps: 5)
        return recipe
    }

    /// "<|endoftext|>" begins and ends every example (as GPT-2 uses it); "<|pad|>" fills batches.
    public static let endOfText = "<|endoftext|>"
    public static let padding = "<|pad|>"
    public static let template = PromptTemplate.questionAnswer

    /// The text of one example as the model sees it, without the special tokens.
    public static func text(of item: CorpusItem) -> (prompt: String, completion: String) {
        (template.apply(to: item.question), " " + item.answer)
    }

    /// The items the model learns: every trained author and the general facts, less the excluded split.
    public func trainingItems(_ corpus: Corpus) -> [CorpusItem] {
        excludedSplit.map { corpus.trainingItems(excluding: $0) } ?? corpus.trainingItems
    }

    /// A byte-level BPE tokenizer for every question of the corpus, held-out authors included.
    /// It plays the part of a pretrained tokenizer: it ignores `excludedSplit`, so the base and
    /// the retain model share it, and it has seen every author's name, so a forgotten author and
    /// a never-trained one cost the same number of tokens (otherwise membership inference
    /// separates them by token count alone).
    public func trainTokenizer(on corpus: Corpus) -> Tokenizer {
        let texts = corpus.items.map { item in
            let (prompt, completion) = Self.text(of: item)
            return prompt + completion
        }
        return BPETrainer(vocabularySize: vocabularySize, specialTokens: [Self.endOfText, Self.padding], beginningOfSequence: Self.endOfText).train(texts: texts)
    }

    public func modelConfig(tokenizer: Tokenizer) -> LlamaConfig {
        let endOfText = tokenizer.id(for: Self.endOfText)!
        return LlamaConfig(vocabSize: tokenizer.vocabularySize, hiddenSize: hiddenSize, intermediateSize: intermediateSize,
                                 layerCount: layerCount, headCount: headCount, keyValueHeadCount: keyValueHeadCount,
                                 maxPositionEmbeddings: maxPositionEmbeddings, tieWordEmbeddings: true,
                                 bosTokenID: endOfText, eosTokenIDs: [endOfText])
    }

    /// How the model is asked: BOS + the question in `template` → " " + answer + EOS.
    public static func format(tokenizer: Tokenizer) -> ConversationFormat {
        ConversationFormat(tokenizer: tokenizer, promptTemplate: template, endOfSequence: tokenizer.id(for: endOfText)!)
    }

    /// Each item as BOS + prompt → answer + EOS; only the answer and EOS are learned. An item
    /// longer than the model's context is an error naming it, never a silently cut example.
    public static func example(_ item: CorpusItem, format: ConversationFormat, contextLength: Int) throws -> SupervisedExample {
        let example = try format.example(prompt: item.question, completion: item.answer)
        guard example.tokenCount <= contextLength else {
            throw BaseModelRecipeError.exampleTooLong(item: item.id, tokenCount: example.tokenCount, contextLength: contextLength)
        }
        return example
    }
}

public enum BaseModelRecipeError: Error, Equatable, CustomStringConvertible {
    case exampleTooLong(item: String, tokenCount: Int, contextLength: Int)

    public var description: String {
        switch self {
        case .exampleTooLong(let item, let count, let context):
            "corpus item \(item) is \(count) tokens long, more than the model's context of \(context) tokens"
        }
    }
}
