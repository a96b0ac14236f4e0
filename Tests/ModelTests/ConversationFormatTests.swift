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
