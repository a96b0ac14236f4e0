import ArgumentParser
import Foundation
import Model

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each token's log-probability under a model, and the mean NLL.",
        discussion: "Position t is scored given tokens 0..<t, as LlamaForCausalLM's loss counts it."
    )

    @Option(help: "A Hugging Face model folder (config.json + model.safetensors).")
    var model: String
    @Option(help: "Token ids separated by spaces or commas, e.g. \"1 42 7\".")
    var ids: String
    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Result: Encodable {
        struct Position: Encodable {
            let position: Int
            let token: Int
            let logprob: Float
        }
        let model: String
        let ids: [Int]
        let positions: [Position]
        let meanNll: Float
    }

    func run() throws {
        let tokenIDs = try parseTokenIDs(ids)
        guard tokenIDs.count >= 2 else { throw ValidationError("--ids needs at least two tokens: the first is only context") }
        let loaded = try ModelFolder.load(URL(fileURLWithPath: model))
        try loaded.forward(try TokenBatch(sequences: [tokenIDs]))
        let meanNLL = loaded.crossEntropyLoss()
        let losses = loaded.tokenLosses
        // tokenLosses[t] is the NLL of token t + 1 given tokens 0...t.
        let positions = (1..<tokenIDs.count).map { Result.Position(position: $0, token: tokenIDs[$0], logprob: -losses[$0 - 1]) }
        let result = Result(model: model, ids: tokenIDs, positions: positions, meanNll: meanNLL)
        if json {
            print(try encodeJSON(result))
            return
        }
        printTable([("position", "token  logprob")] + positions.map {
            (String($0.position), String(format: "%5d  %.4f", $0.token, $0.logprob))
        })
        print(String(format: "mean NLL %.4f over %d tokens (perplexity %.2f)", meanNLL, positions.count, exp(Double(meanNLL))))
    }
}

/// "1 42 7" or "1,42,7" → [1, 42, 7]; anything else is a usage error naming the bad item.
func parseTokenIDs(_ text: String) throws -> [Int] {
    try text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" }).map { item in
        guard let id = Int(item), id >= 0 else { throw ValidationError("--ids: '\(item)' is not a token id (a non-negative integer)") }
        return id
    }
}
