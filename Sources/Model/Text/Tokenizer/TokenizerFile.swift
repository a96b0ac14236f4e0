import Foundation

extension TokenizerDefinition {
    /// Reads a tokenizer.json as tokenizers reads it. Anything that would make Lethe's ids or
    /// text differ from tokenizers' is refused with an error naming the file, the field and
    /// the value. Each stage's component reads its own part.
    init(contentsOf url: URL) throws {
        let root = try JSONField.document(contentsOf: url)
        if let version = root.member("version"), try version.string() != "1.0" {
            throw version.unsupported("tokenizers reads only version \"1.0\"")
        }
        for key in ["truncation", "padding"] {
            if let field = root.member(key) { throw field.unsupported("Lethe encodes whole texts; set it to null") }
        }
        model = try BPE(json: try root.required("model"))
        normalizer = try root.member("normalizer").map(Normalizer.init(json:))
        preTokenizer = try PreTokenizer(json: root.member("pre_tokenizer"))
        decoder = try root.member("decoder").map(TokenDecoder.init(json:))
        addedTokens = try Self.addedTokens(root.member("added_tokens"), modelIDs: model.idsByToken, modelCount: model.tokens.count)
        let vocabularySize = max(model.tokens.count, (addedTokens.map(\.id).max() ?? -1) + 1)
        postProcessor = try PostProcessor(json: root.member("post_processor"), vocabularySize: vocabularySize)
    }

    /// The added tokens, each id checked against the one tokenizers assigns on loading (it
    /// ignores the file's): the model's id for a token in model.vocab, else the next id after
    /// the vocabulary, in file order.
    private static func addedTokens(_ list: JSONField?, modelIDs: [[UInt8]: Int], modelCount: Int) throws -> [AddedToken] {
        var tokens: [AddedToken] = []
        var seen = Set<[UInt8]>()
        var nextID = modelCount
        for field in try list?.array() ?? [] {
            let contentField = try field.required("content")
            let content = try contentField.string()
            let utf8 = Array(content.utf8)
            guard !content.isEmpty else { throw contentField.invalid("is empty") }
            guard seen.insert(utf8).inserted else { throw contentField.invalid("repeats \"\(content)\", an earlier added token") }
            let expectedID: Int
            if let modelID = modelIDs[utf8] {
                expectedID = modelID
            } else {
                expectedID = nextID
                nextID += 1
            }
            let idField = try field.required("id")
            let id = try idField.integer()
            guard id == expectedID else {
                throw idField.invalid("is \(id), but tokenizers gives \"\(content)\" id \(expectedID) (its id in model.vocab, else the next free one after it)")
            }
            let isSpecial = try field.flag("special", default: false)
            tokens.append(AddedToken(
                id: id, content: content, isSpecial: isSpecial,
                isSingleWord: try field.flag("single_word", default: false),
                stripsLeft: try field.flag("lstrip", default: false),
                stripsRight: try field.flag("rstrip", default: false),
                isNormalized: try field.flag("normalized", default: !isSpecial)))
        }
        return tokens
    }
}
