import ArgumentParser
import Foundation
import Model

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each token's log-probability under a model, and the mean NLL.",
        discussion: """
            Either --ids (every token after the first is scored) or --prompt and --completion (the completion's \
            tokens are scored as the model's answer to the prompt, laid out by its conversation format as training \
            and evaluation lay it out; with --raw the prompt is given as it is). \
            Position t is scored given tokens 0..<t, as LlamaForCausalLM's loss counts it.
            """
    )

    @OptionGroup var source: ModelSourceOptions
    @Option(help: "Token ids separated by spaces or commas, e.g. \"1 42 7\".")
    var ids: String?
    @Option(help: "Context text; with --completion.")
    var prompt: String?
    @Option(help: "The text whose tokens are scored, after --prompt.")
    var completion: String?
    @Flag(help: "Give the prompt to the model as it is, without the chat or prompt template.")
    var raw = false
    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        switch (ids, prompt, completion) {
        case (.some, nil, nil), (nil, .some, .some): break
        default: throw ValidationError("pass either --ids, or --prompt and --completion")
        }
    }

    struct Result: Encodable {
        struct Position: Encodable {
            let position: Int
            let token: Int
            let text: String?
            let logprob: Float
        }
        let model: String
        let ids: [Int]
        let positions: [Position]
        let meanNll: Float
    }

    func run() throws {
        let loaded = try source.load()
        let format = ids == nil ? (raw ? try loaded.format().verbatim : try loaded.format()) : nil
        let tokenizer = format?.tokenizer
        let (tokenIDs, firstScored) = try sequence(format: format)
        guard tokenIDs.count >= 2, firstScored < tokenIDs.count else {
            throw ValidationError("nothing to score: --ids needs at least two tokens, --completion at least one token after a prompt")
        }
        let labels = tokenIDs.indices.map { $0 < firstScored ? Int(-100) : tokenIDs[$0] }
        try loaded.model.forward(try TokenBatch(inputIDs: [tokenIDs], labels: [labels]))
        let meanNLL = loaded.model.crossEntropyLoss()
        let losses = loaded.model.tokenLosses
        // tokenLosses[t] is the NLL of token t + 1 given tokens 0...t.
        let positions = (firstScored..<tokenIDs.count).map { position in
            Result.Position(position: position, token: tokenIDs[position],
                            text: try? tokenizer?.decode([tokenIDs[position]]), logprob: -losses[position - 1])
        }
        let result = Result(model: loaded.name, ids: tokenIDs, positions: positions, meanNll: meanNLL)
        if json {
            print(try encodeJSON(result))
            return
        }
        printColumns(["position", "token", "logprob", "text"], positions.map { position in
            let text: String = position.text?.debugDescription ?? ""
            return [String(position.position), String(position.token), String(format: "%.4f", position.logprob), text]
        })
        print(String(format: "mean NLL %.4f over %d tokens (perplexity %.2f)", meanNLL, positions.count, exp(Double(meanNLL))))
    }

    /// The tokens and the first position that is scored.
    private func sequence(format: ConversationFormat?) throws -> ([Int], Int) {
        if let ids { return (try parseTokenIDs(ids), 1) }
        let example = try format!.scoredAnswer(prompt: prompt!, completion: completion!)
        return (example.prompt + example.completion, max(1, example.prompt.count))
    }
}

/// "1 42 7" or "1,42,7" → [1, 42, 7]; anything else is a usage error naming the bad item.
func parseTokenIDs(_ text: String) throws -> [Int] {
    try text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" }).map { item in
        guard let id = Int(item), id >= 0 else { throw ValidationError("'\(item)' is not a token id (a non-negative integer)") }
        return id
    }
}
