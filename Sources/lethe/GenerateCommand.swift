import ArgumentParser
import Foundation
import Model

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a prompt with a model: greedy or sampled, streamed as it is generated.",
        discussion: """
            The prompt is asked in the model's conversation format unless --raw is given: as one user turn of \
            its chat template with the generation prompt, else in its prompt template (tokenizer_config.json's \
            lethe_prompt_template, e.g. "Question: {prompt}\\nAnswer:"). Generation stops at the tokenizer's EOS, \
            at a --stop string, after --max-new-tokens, or when the context is full.
            """
    )

    @OptionGroup var source: ModelSourceOptions
    @Option(help: "The text to continue.")
    var prompt: String
    @Option(help: "Most tokens to generate.")
    var maxNewTokens = 64
    @Option(help: "0 for greedy decoding; above 0, sample from softmax(logits / temperature).")
    var temperature: Float = 0
    @Option(help: "Sample only among the k most likely tokens.")
    var topK: Int?
    @Option(help: "Sample only among the most likely tokens whose probabilities add up to p.")
    var topP: Float?
    @Option(help: "Seed of the sampler: the same seed gives the same text.")
    var seed: UInt64 = 0
    @Option(help: "Stop when the generated text contains this string (may be repeated); it is not printed.")
    var stop: [String] = []
    @Flag(help: "Give the prompt to the model as it is, without the chat or prompt template.")
    var raw = false
    @Flag(help: "Print the result as JSON instead of streaming the text.")
    var json = false

    func validate() throws {
        if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1") }
        if temperature < 0 || !temperature.isFinite { throw ValidationError("--temperature must be 0 or more") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if stop.contains("") { throw ValidationError("--stop strings must not be empty") }
    }

    struct Result: Encodable {
        let model: String
        let prompt: String
        let promptTokens: Int
        let text: String
        let tokens: [Int]
        let stop: String
        let seconds: Double
    }

    func run() throws {
        let clock = ContinuousClock(), start = clock.now
        let loaded = try source.load()
        let format = raw ? try loaded.format().verbatim : try loaded.format()
        let tokenizer = format.tokenizer
        let text = try format.promptText(prompt)
        let promptIDs = try format.prompt(prompt)
        let options = GenerationOptions(
            maxNewTokens: maxNewTokens,
            sampling: SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed),
            stopTokenIDs: format.stopTokenIDs)
        var streamed = StreamedText(stops: stop)
        let session = try InferenceSession(model: loaded.model)
        var generated: [Int] = []
        var stoppedByString = false
        var decodeError: Error?
        // An id the tokenizer does not know (a model whose vocabulary outgrows it) ends generation with its error.
        func decoded(_ ids: [Int]) -> String {
            do { return try tokenizer.decode(ids, skipSpecialTokens: true) } catch {
                decodeError = error
                return ""
            }
        }
        let generation = try session.generate(prompt: promptIDs, options: options) { token in
            generated.append(token)
            let (printable, hitStop) = streamed.advance(to: decoded(generated))
            if !json && !printable.isEmpty { FileHandle.standardOutput.write(Data(printable.utf8)) }
            stoppedByString = hitStop
            return !hitStop && decodeError == nil
        }
        if let decodeError { throw decodeError }
        let answer = streamed.text
        if json {
            let reason = stoppedByString ? "stop_string" : generation.stop.name
            print(try encodeJSON(Result(model: loaded.name, prompt: text, promptTokens: promptIDs.count, text: answer,
                                        tokens: generation.tokens, stop: reason, seconds: (clock.now - start).seconds)))
        } else {
            FileHandle.standardOutput.write(Data((streamed.flush() + "\n").utf8))
        }
    }
}

/// Streams decoded text without ever printing a stop string or half a character: text that
/// could still be the start of a stop string, or ends in an incomplete UTF-8 sequence
/// (decoded as U+FFFD), is held back until the next token settles it. Counted in Unicode
/// scalars, which only ever grow at the end as tokens arrive (characters can merge across
/// tokens: "\r" + "\n", a letter and a combining accent).
struct StreamedText {
    let stops: [String]
    private(set) var text = ""
    private var printed = 0

    init(stops: [String]) { self.stops = stops }

    /// Takes the whole decoded text so far; returns what may be printed now and whether a stop string appeared.
    mutating func advance(to decoded: String) -> (printable: String, stopped: Bool) {
        if let cut = stops.compactMap({ decoded.range(of: $0, options: .literal) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            text = String(decoded[..<cut.lowerBound])
            return (flush(), true)
        }
        text = decoded
        let scalars = Array(decoded.unicodeScalars)
        var safe = scalars.count
        while safe > printed, scalars[safe - 1] == "\u{FFFD}" { safe -= 1 }
        for stop in stops.map({ Array($0.unicodeScalars) }) {
            for length in stride(from: min(stop.count - 1, safe - printed), through: 1, by: -1)
            where scalars[(safe - length)..<safe].elementsEqual(stop.prefix(length)) {
                safe -= length
                break
            }
        }
        guard safe > printed else { return ("", false) }
        defer { printed = safe }
        return (Self.string(scalars[printed..<safe]), false)
    }

    /// Everything not printed yet.
    mutating func flush() -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > printed else { return "" }
        defer { printed = scalars.count }
        return Self.string(scalars[printed...])
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var string = ""
        string.unicodeScalars.append(contentsOf: scalars)
        return string
    }
}

extension GenerationStop {
    /// The reason as scripts read it in `--json` output.
    var name: String {
        switch self {
        case .endOfSequence: "eos"
        case .stoppedByCaller: "stopped"
        case .maxNewTokens: "max_new_tokens"
        case .contextFull: "context_full"
        }
    }
}
