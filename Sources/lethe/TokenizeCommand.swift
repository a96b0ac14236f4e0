import ArgumentParser
import Daemon
import Foundation
import Model

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of a text, or the text of token ids.",
        discussion: """
            Reads a byte-level BPE tokenizer.json (GPT-2, SmolLM, Llama 3, Qwen2; docs/tokenizer.md). \
            Each token is shown as the text it stands for, quoted and escaped; \\xNN is a byte of a \
            character that the next token completes.
            """
    )

    @Option(help: "A tokenizer.json file.")
    var tokenizer: String?
    @Option(help: "A model folder with tokenizer.json (and tokenizer_config.json, config.json).")
    var model: String?
    @Option(help: "The text to encode.")
    var text: String?
    @Option(help: "Token ids to decode, separated by spaces or commas, e.g. \"12 345 6\".")
    var decode: String?
    @Flag(help: "Encode: add the special tokens of the tokenizer's template (e.g. BOS).")
    var addSpecialTokens = false
    @Flag(help: "Decode: leave special tokens out of the text.")
    var skipSpecialTokens = false
    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Encoded: Encodable {
        let ids: [Int]
        /// As tokenizer.json spells them (byte-level: "Ġthe" for " the").
        let tokens: [String]
    }

    struct Decoded: Encodable {
        let ids: [Int]
        let text: String
    }

    func validate() throws {
        guard (tokenizer == nil) != (model == nil) else { throw ValidationError("pass exactly one of --tokenizer FILE and --model DIR") }
        guard (text == nil) != (decode == nil) else { throw ValidationError("pass exactly one of --text TEXT and --decode IDS") }
    }

    func run() throws {
        let loaded = if let model {
            try Tokenizer(modelFolder: URL(fileURLWithPath: model))
        } else {
            try Tokenizer(file: URL(fileURLWithPath: tokenizer!))
        }
        if let decode {
            let ids = try parseTokenIDs(decode)
            let decoded = try loaded.decode(ids, skipSpecialTokens: skipSpecialTokens)
            print(json ? try encodeJSON(Decoded(ids: ids, text: decoded)) : decoded)
            return
        }
        let ids = loaded.encode(text!, addSpecialTokens: addSpecialTokens)
        if json {
            print(try encodeJSON(Encoded(ids: ids, tokens: ids.map { loaded.token(for: $0) ?? "" })))
            return
        }
        printColumns(["index", "id", "token"], ids.enumerated().map { index, id in
            [String(index), String(id), quoted(loaded.bytes(for: id) ?? [])]
        })
        print("\(ids.count) tokens")
    }
}

/// Bytes as a quoted string a person can read: `" the"`, `"\n"`, and `"\xE2\x80"` for bytes
/// that are not (yet) a whole UTF-8 character.
private func quoted(_ bytes: [UInt8]) -> String {
    var text = "\""
    var iterator = bytes.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var position = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let encoded):
            position += encoded.count
            let scalar = Unicode.UTF8.decode(encoded)
            // Quotes delimit the text here; everything else invisible is escaped as in the log.
            text += scalar == "\"" ? "\\\"" : SafeText.escaped(scalar)
        case .error(let length):
            for byte in bytes[position..<(position + length)] { text += String(format: "\\x%02X", byte) }
            position += length
        case .emptyInput:
            return text + "\""
        }
    }
}
