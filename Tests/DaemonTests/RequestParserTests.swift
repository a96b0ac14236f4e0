import Foundation
import XCTest
@testable import Daemon

/// Request files as the daemon reads them: the committed hostile corpus (each file one fault,
/// refused with the field and reason `expected.json` names) and the valid forms.
final class RequestParserTests: XCTestCase {
    static let requests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/requests")

    private func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.requests.appendingPathComponent(path)))
    }

    func testEveryBadRequestIsRefusedNamingItsFieldAndFault() throws {
        struct Expected: Decodable { let field: String?; let reason: String }
        let expected = try JSONDecoder().decode([String: Expected].self, from: Data(bytes("bad/expected.json")))
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.requests.appendingPathComponent("bad").path)
            .filter { $0 != "expected.json" }
        XCTAssertEqual(Set(files), Set(expected.keys), "every bad file has its expectation")
        XCTAssertGreaterThanOrEqual(files.count, 30)
        let parser = RequestParser()
        for name in files.sorted() {
            let want = expected[name]!
            XCTAssertThrowsError(try parser.parse(try bytes("bad/\(name)"), fileName: name), name) { error in
                guard let error = error as? RequestError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(error.file, name)
                XCTAssertEqual(error.field, want.field, "\(name): \(error)")
                XCTAssertTrue(error.reason.contains(want.reason), "\(name): \(error) should say \(want.reason)")
                XCTAssertLessThan(error.description.utf8.count, 400, "\(name): the message stays short")
            }
        }
    }

    func testAFileOverTheSizeLimitIsRefusedBeforeParsing() {
        let parser = RequestParser(limits: RequestLimits(maxFileBytes: 64))
        let large = Array(#"{"forget": [{"text": "\#(String(repeating: "a", count: 100))"}]}"#.utf8)
        XCTAssertThrowsError(try parser.parse(large, fileName: "big.json")) { error in
            XCTAssertEqual((error as? RequestError)?.reason, "is \(large.count) bytes, more than the limit of 64")
        }
    }

    func testAFullRequestKeepsEveryField() throws {
        let request = try RequestParser().parse(try bytes("good/one-author.json"), fileName: "one-author.json")
        guard case .forget(let forget) = request else { return XCTFail("\(request)") }
        XCTAssertEqual(forget.id, "ticket-4711")
        XCTAssertEqual(forget.submittedBy, "privacy@example.com")
        XCTAssertEqual(forget.reason, "GDPR art. 17 request of the author's estate")
        XCTAssertEqual(forget.forget.count, 3)
        XCTAssertEqual(forget.forget[0].content, .completion(prompt: "Where was Norara Gobrevorn born?",
                                                             completion: "Norara Gobrevorn was born in Greros, Kovandor."))
        XCTAssertEqual(forget.forget[1].id, "parents")
        XCTAssertEqual(forget.forget[2].content, .text("Norara Gobrevorn wrote \"The Salt Ledger\"."))
        XCTAssertEqual(forget.retain.count, 1)
        XCTAssertEqual(forget.options, RequestOptions(method: "dipo", epochs: 3, learningRate: 1e-4, maxUtilityDrop: 0.05))
        XCTAssertEqual(forget.contentHash.count, 64)
    }

    func testDefaultIDsComeFromTheContent() throws {
        let parser = RequestParser()
        let text = Array(#"{"forget": [{"prompt": "Q?", "completion": "A."}]}"#.utf8)
        guard case .forget(let one) = try parser.parse(text, fileName: "a.json"),
              case .forget(let two) = try parser.parse(text, fileName: "b.json") else { return XCTFail() }
        XCTAssertEqual(one.id, two.id, "the same bytes under two names are one request")
        XCTAssertTrue(one.id.hasPrefix("req-") && one.id.count == 20, one.id)
        XCTAssertEqual(one.submittedBy, "unknown")
        // The item id depends on the item alone, so the same fact in two requests is one forget-set entry.
        let other = Array(#"{"reason": "again", "forget": [{"prompt": "Q?", "completion": "A."}]}"#.utf8)
        guard case .forget(let three) = try parser.parse(other, fileName: "c.json") else { return XCTFail() }
        XCTAssertNotEqual(three.id, one.id)
        XCTAssertEqual(three.forget[0].id, one.forget[0].id)
        XCTAssertEqual(one.forget[0].id, "item-" + RequestParser.fingerprint(.completion(prompt: "Q?", completion: "A.")).prefix(12))
        // White space is normalised, case is not.
        XCTAssertEqual(RequestParser.fingerprint(.text("a  b\n")), RequestParser.fingerprint(.text("a b")))
        XCTAssertNotEqual(RequestParser.fingerprint(.text("A b")), RequestParser.fingerprint(.text("a b")))
        XCTAssertNotEqual(RequestParser.fingerprint(.completion(prompt: "ab", completion: "c")),
                          RequestParser.fingerprint(.completion(prompt: "a", completion: "bc")))
        XCTAssertNotEqual(RequestParser.fingerprint(.text("ab")), RequestParser.fingerprint(.completion(prompt: "a", completion: "b")))
    }

    func testWithdrawAndBulkForms() throws {
        let parser = RequestParser()
        guard case .withdraw(let withdraw) = try parser.parse(try bytes("good/withdraw.json"), fileName: "withdraw.json") else {
            return XCTFail()
        }
        XCTAssertEqual(withdraw.withdraw, ["ticket-4711/parents", "req-0123abcd"])
        XCTAssertEqual(withdraw.reason, "request withdrawn")
        guard case .forget(let bulk) = try parser.parse(try bytes("good/bulk.jsonl"), fileName: "bulk.jsonl") else { return XCTFail() }
        XCTAssertEqual(bulk.forget.map(\.content), [.completion(prompt: "Where was Norara Gobrevorn born?", completion: "In Greros."),
                                                    .text("Norara Gobrevorn — née 1931 — 诗人 🖋")])
    }

    func testRequestOptionsMayOnlyChooseWithinThePolicy() throws {
        let parser = RequestParser(policy: RequestPolicy(allowedMethods: ["dipo", "npo"], maxEpochs: 4, maxLearningRate: 2e-4, maxUtilityDrop: 0.1))
        let accepted = Array(#"{"forget": [{"text": "a"}], "options": {"method": "npo", "epochs": 4, "learning_rate": 2e-4, "max_utility_drop": 0}}"#.utf8)
        guard case .forget(let request) = try parser.parse(accepted, fileName: "ok.json") else { return XCTFail() }
        XCTAssertEqual(request.options, RequestOptions(method: "npo", epochs: 4, learningRate: 2e-4, maxUtilityDrop: 0))
        for (options, field) in [(#"{"epochs": 5}"#, "options.epochs"), (#"{"learning_rate": 3e-4}"#, "options.learning_rate"),
                                 (#"{"method": "simnpo"}"#, "options.method"), (#"{"max_utility_drop": 0.11}"#, "options.max_utility_drop")] {
            let text = Array(#"{"forget": [{"text": "a"}], "options": \#(options)}"#.utf8)
            XCTAssertThrowsError(try parser.parse(text, fileName: "x.json")) { error in
                XCTAssertEqual((error as? RequestError)?.field, field, options)
            }
        }
    }

    func testIDRules() {
        for valid in ["a", "ticket-4711", "A.b_c-9", String(repeating: "x", count: 128)] { XCTAssertTrue(RequestParser.isValidID(valid), valid) }
        for invalid in ["", ".", "..", "../x", "a/b", "-a", "_a", ".a", "a b", "é", String(repeating: "x", count: 129), "a\u{0}"] {
            XCTAssertFalse(RequestParser.isValidID(invalid), invalid)
        }
        XCTAssertTrue(RequestParser.isValidReference("req-1/item-2"))
        XCTAssertFalse(RequestParser.isValidReference("req-1/item-2/x"))
        XCTAssertFalse(RequestParser.isValidReference("req-1/"))
    }

    func testTheFirstInvalidUTF8ByteIsLocated() {
        XCTAssertNil(RequestParser.firstInvalidUTF8(Array("née 诗人 🖋".utf8)))
        XCTAssertEqual(RequestParser.firstInvalidUTF8([0x61, 0x62, 0xFF, 0x63]), 2)
        XCTAssertEqual(RequestParser.firstInvalidUTF8([0x61, 0xE2, 0x82]), 1, "a truncated sequence")
    }
}
