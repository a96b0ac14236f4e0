import Foundation
import Model
import XCTest

/// The one conversation format: a chat template's user turn is what the model answers after,
/// the assistant's turn up to the token that closes it is what it learns; a prompt template
/// keeps the embedded default's layout.
final class ConversationFormatTests: XCTestCase {
    /// ChatML, as SmolLM2 and Qwen2 ship it: `<|im_end|>` closes a turn, a newline follows.
    private static let chatML = """
        {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}\
        {% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """

    private func tokenizer() throws -> Tokenizer {
        try Tokenizer(file: Fixtures.root.appendingPathComponent("tokenizer/qwen2_style/tokenizer.json"))
    }

    private func chatFormat(_ source: String = chatML) throws -> ConversationFormat {
        let tokenizer = try tokenizer()
        return try ConversationFormat(tokenizer: tokenizer, style: .chat(try ChatTemplate(source: source), specialTokens: [:]),
                                      endOfSequence: tokenizer.id(for: "<|endoftext|>"))
    }

    func testAChatPromptIsTheUserTurnWithTheGenerationPromptEncodedWithoutAddedSpecialTokens() throws {
        let format = try chatFormat(), tokenizer = try tokenizer()
        XCTAssertEqual(try format.promptText("Where is it?"), "<|im_start|>user\nWhere is it?<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(try format.prompt("Where is it?"), tokenizer.encode("<|im_start|>user\nWhere is it?<|im_end|>\n<|im_start|>assistant\n"))
    }

    func testAChatExampleLearnsTheAnswerAndTheTokenThatClosesTheTurnButNotWhatFollows() throws {
        let format = try chatFormat(), tokenizer = try tokenizer()
        let endOfTurn = try XCTUnwrap(tokenizer.id(for: "<|im_end|>"))
        let example = try format.example(prompt: "Where is it?", completion: "In the hills.")
        XCTAssertEqual(example.prompt, try format.prompt("Where is it?"))
        XCTAssertEqual(example.completion, tokenizer.encode("In the hills.") + [endOfTurn])
        XCTAssertEqual(format.endOfTurn, endOfTurn)
        // The whole conversation, as the model reads it in a later turn, is the example and the newline after it.
        XCTAssertEqual(example.prompt + example.completion + tokenizer.encode("\n"),
                       tokenizer.encode("<|im_start|>user\nWhere is it?<|im_end|>\n<|im_start|>assistant\nIn the hills.<|im_end|>\n"))

        let scored = try format.scoredAnswer(prompt: "Where is it?", completion: "In the hills.")
        XCTAssertEqual(scored.completion, tokenizer.encode("In the hills."), "the closing token is trained, not scored")
        XCTAssertTrue(format.stopTokenIDs.contains(endOfTurn))
    }

    func testATemplateThatClosesNoTurnWithASpecialTokenEndsTheAnswerAtTheEndOfSequence() throws {
        let plain = "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}"
        let format = try chatFormat(plain), tokenizer = try tokenizer()
        let example = try format.example(prompt: "Hi", completion: "Hello")
        XCTAssertEqual(example.completion.last, tokenizer.id(for: "<|endoftext|>"))
        XCTAssertEqual(format.endOfTurn, tokenizer.id(for: "<|endoftext|>"))
    }

    func testATemplateWhoseAnswerDoesNotFollowItsGenerationPromptIsRefused() throws {
        let odd = "{% for message in messages %}{{ message['content'] }}{% endfor %}{% if add_generation_prompt %}{{ '>>' }}{% endif %}"
        XCTAssertThrowsError(try chatFormat(odd)) {
            XCTAssertEqual($0 as? ConversationFormatError, .answerDoesNotFollowGenerationPrompt)
        }
    }

    func testATemplateErrorReachesTheCaller() throws {
        let strict = "{% if messages[0]['role'] != 'system' %}{{ raise_exception('a system turn comes first') }}{% endif %}"
        XCTAssertThrowsError(try chatFormat(strict)) { XCTAssertTrue("\($0)".contains("a system turn comes first"), "\($0)") }
    }

    func testAPromptTemplateIsReadAsTheTokenizerReadsItsConfig() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-prompt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("tokenizer_config.json")
        func template(_ json: String) throws -> PromptTemplate {
            try json.write(to: config, atomically: true, encoding: .utf8)
            return try PromptTemplate(modelFolder: folder)
        }
        XCTAssertEqual(try PromptTemplate(modelFolder: folder), .verbatim, "no tokenizer_config.json")
        XCTAssertEqual(try template(#"{"lethe_prompt_template": "A {prompt}", "lethe_prompt_template": "B {prompt}"}"#).template, "B {prompt}",
                       "a repeated key: the later value, as serde_json and Python read it")
        XCTAssertEqual(try template(#"{"lethe_prompt_template": null}"#), .verbatim)
        XCTAssertThrowsError(try template(#"{"lethe_prompt_template": 3}"#)) { XCTAssertTrue("\($0)".contains("lethe_prompt_template"), "\($0)") }
        XCTAssertThrowsError(try template(#"{"lethe_prompt_template": "no placeholder"}"#))
        XCTAssertThrowsError(try template("{not json")) { XCTAssertTrue("\($0)".contains(config.path), "\($0)") }
    }

    func testAPromptTemplateKeepsTheEmbeddedDefaultsLayout() throws {
        let tokenizer = try tokenizer(), end = try XCTUnwrap(tokenizer.id(for: "<|endoftext|>"))
        let format = ConversationFormat(tokenizer: tokenizer, promptTemplate: .questionAnswer, endOfSequence: end)
        let example = try format.example(prompt: "Who?", completion: "Nobody.")
        XCTAssertEqual(example.prompt, tokenizer.encode("Question: Who?\nAnswer:", addSpecialTokens: true))
        XCTAssertEqual(example.completion, tokenizer.encode(" Nobody.") + [end])
        XCTAssertEqual(try format.scoredAnswer(prompt: "Who?", completion: "Nobody.").completion, tokenizer.encode(" Nobody."))
        XCTAssertEqual(format.padToken, end)
        // A passage starts after the token that separates documents when the tokenizer adds no BOS.
        XCTAssertEqual(try format.verbatim.prompt(""), [tokenizer.bosTokenID ?? end])
    }
}

/// The conversation format on real tokenizers with their models' chat templates: what is
/// learned is exactly the tokens the whole conversation encodes to, up to the closing token.
final class ConversationFormatRealModelTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-format-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    /// Mistral-7B-Instruct-v0.1's template: the answer follows "[/INST]" with no space.
    private static let mistral = """
        {{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}\
        {% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}
        """

    private func template(_ name: String) throws -> ChatTemplate {
        let source = try XCTUnwrap(try ChatTemplateFixtures.document().templates.first { $0.name == name }?.source, name)
        return try ChatTemplate(source: source)
    }

    func testEachModelLearnsItsAnswerAndClosingTokenAsTheConversationEncodesThem() throws {
        let cases: [(tokenizer: String, template: ChatTemplate, special: [String: String], closing: String)] = [
            ("smollm2", try template("Qwen-Qwen2.5-7B-Instruct"), ["eos_token": "<|im_end|>"], "<|im_end|>"),
            ("qwen2", try template("Qwen-Qwen2.5-7B-Instruct"), ["eos_token": "<|im_end|>"], "<|im_end|>"),
            ("llama3_2", try template("meta-llama-Llama-3.2-3B-Instruct"), ["bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"], "<|eot_id|>"),
            ("mistral", try ChatTemplate(source: Self.mistral), ["bos_token": "<s>", "eos_token": "</s>"], "</s>"),
            ("llama2", try ChatTemplate(source: Self.mistral), ["bos_token": "<s>", "eos_token": "</s>"], "</s>"),
        ]
        let prompt = "What is the capital of France?", completion = "Paris, since 508."
        for (name, template, special, closing) in cases {
            let tokenizer = try RealTokenizerFixtures.tokenizer(name, in: directory)
            let format = try ConversationFormat(tokenizer: tokenizer, style: .chat(template, specialTokens: special),
                                                endOfSequence: tokenizer.id(for: special["eos_token"]!))
            let example = try format.example(prompt: prompt, completion: completion)
            let conversation = try template.render(
                messages: [ChatMessage(role: "user", content: prompt), ChatMessage(role: "assistant", content: completion)],
                addGenerationPrompt: false, specialTokens: special)
            XCTAssertEqual(example.prompt, try format.prompt(prompt), name)
            XCTAssertTrue(tokenizer.encode(conversation).starts(with: example.prompt + example.completion), name)
            XCTAssertEqual(example.completion.last, tokenizer.id(for: closing), name)
            XCTAssertEqual(try tokenizer.decode(Array(example.completion.dropLast())).trimmingCharacters(in: .whitespaces), completion, name)
            XCTAssertThrowsError(try format.example(prompt: prompt, completion: "Paris\(closing) and more"), name) {
                XCTAssertEqual($0 as? ConversationFormatError, .specialTokenInText(closing), name)
            }
        }
    }

    func testASentencePieceAnswerIsEncodedInItsPromptsContext() throws {
        let tokenizer = try RealTokenizerFixtures.tokenizer("llama2", in: directory)
        let format = ConversationFormat(tokenizer: tokenizer, promptTemplate: .questionAnswer, endOfSequence: tokenizer.id(for: "</s>"))
        let example = try format.example(prompt: "Who?", completion: "Nobody.")
        // Alone, " Nobody." is "▁", "▁Nob", …; after the prompt the space belongs to "▁Nob".
        XCTAssertEqual(example.prompt + example.completion.dropLast(), tokenizer.encode("Question: Who?\nAnswer: Nobody.", addSpecialTokens: true))
        XCTAssertNotEqual(example.completion.first, tokenizer.id(for: "▁"))
    }
}
