import Foundation
import XCTest
@testable import Daemon

/// Issue 13, findings 3 to 6 as far as the parser goes: a request is read as RFC 8259 writes
/// JSON and no more (so a validator in front of Lethe cannot read it differently), blank means
/// nothing visible, and an error names a field and a fault without repeating the file.
final class StrictRequestJSONTests: XCTestCase {
    private let parser = RequestParser()

    private func refusal(_ text: String, fileName: String = "r.json", file: StaticString = #filePath, line: UInt = #line) -> RequestError? {
        do {
            let request = try parser.parse(Array(text.utf8), fileName: fileName)
            XCTFail("accepted: \(request)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Finding 4, parser differentials

    func testTrailingCommasAreRefusedNamingWhere() {
        let error = refusal(#"{"forget":[{"text":"a"},],}"#)
        XCTAssertEqual(error?.field, "forget")
        XCTAssertEqual(error?.reason, "is not valid JSON: a comma before the closing bracket at byte offset 23 (JSON has no trailing commas)")
        XCTAssertEqual(refusal(#"{"forget":[{"text":"a"}],}"#)?.field, nil)
        XCTAssertEqual(refusal(#"{"forget":[{"text":"a",}]}"#)?.field, "forget[0]")
    }

    func testARepeatedKeyIsRefusedNamingIt() {
        // Python's json keeps the last "forget", Foundation's reader kept the first.
        let error = refusal(#"{"forget":[{"text":"kept"}],"forget":[{"text":"other"}]}"#)
        XCTAssertEqual(error?.field, "forget")
        XCTAssertTrue(error?.reason.contains("given twice") ?? false, "\(String(describing: error))")
        XCTAssertEqual(refusal(#"{"forget":[{"text":"a"},{"prompt":"p","completion":"c","completion":"d"}]}"#)?.field, "forget[1].completion")
        XCTAssertEqual(refusal(#"{"forget":[{"text":"a"}],"options":{"epochs":1,"epochs":2}}"#)?.field, "options.epochs")
        // Keys are compared after their escapes are read, as RFC 8259 says.
        XCTAssertEqual(refusal(#"{"forget":[{"te\u0078t":"a","text":"b"}]}"#)?.field, "forget[0].text")
    }

    func testWhatLenientReadersAcceptIsRefused() {
        let item = #"{"forget":[{"text":"a"}]"#
        for (text, field, phrase) in [
            (item + #","options":{"epochs":01}}"#, "options.epochs", "leading zero"),
            (item + #","options":{"learning_rate":NaN}}"#, "options.learning_rate", "expected a value"),
            (item + #","options":{"learning_rate":Infinity}}"#, "options.learning_rate", "expected a value"),
            (item + #","options":{"learning_rate":-Infinity}}"#, "options.learning_rate", "expected a digit"),
            (item + #","options":{"learning_rate":.5}}"#, "options.learning_rate", "expected a value"),
            (item + #","options":{"learning_rate":1.}}"#, "options.learning_rate", "a digit after the decimal point"),
            (item + " // note\n}", nil, "no comments"),
            (item + "}}", nil, "more follows the end of the value at byte offset 25"),
            (#"{"forget":[{"text":"a\ud800"}]}"#, "forget[0].text", "half of a surrogate pair"),
            (#"{"forget":[{"text":"\udc00a"}]}"#, "forget[0].text", "half of a surrogate pair"),
            (#"{"forget":[{"text":"\ud800\u0041"}]}"#, "forget[0].text", "half of a surrogate pair"),
            ("{\"forget\":[{\"text\":\"a\nb\"}]}", "forget[0].text", "control character inside a string"),
            (#"{"forget":[{"text":"\a"}]}"#, "forget[0].text", "invalid escape"),
            (#"{"forget":[{"text":"\u12"}]}"#, "forget[0].text", "invalid escape"),
            (#"{"forget":[{text:"a"}]}"#, "forget[0]", "expected a key in double quotes"),
            (#"{"forget":[{"text" "a"}]}"#, "forget[0].text", "expected ':' after the key"),
            (#"{"forget":[{"text":"a"} {"text":"b"}]}"#, "forget", "expected ',' or ']'"),
            (#"{"forget":[{"text":tru}]}"#, "forget[0].text", "expected a value"),
            ("{\"forget\":[{\"text\":\"a\"}]}\u{A0}", nil, "more follows"),
        ] {
            let error = refusal(text)
            XCTAssertEqual(error?.field, field, text)
            XCTAssertTrue(error?.reason.contains(phrase) ?? false, "\(text): \(String(describing: error))")
        }
    }

    func testTheReaderReadsEveryFormOfValidJSON() throws {
        let text = #" { "a" : [ 0, -0, 12, -3.25, 1e2, 1E+2, 2.5e-3, 5e-324, 1.7976931348623157e308, true, false, null ], "#
            + #""s": "\"\\\/\b\f\n\r\t\u00e9\ud83d\udd8b", "o": {}, "e": [], "u": "née 诗人" }"# + "\r\n"
        let value = try StrictJSONReader.read(Array(text.utf8)[...], maxDepth: 3)
        guard case .object(let object) = value, case .array(let numbers)? = object["a"] else { return XCTFail("\(value)") }
        XCTAssertEqual(numbers, [.number(JSONNumber(value: 0, isInteger: true)), .number(JSONNumber(value: -0.0, isInteger: true)),
                                 .number(JSONNumber(value: 12, isInteger: true)), .number(JSONNumber(value: -3.25, isInteger: false)),
                                 .number(JSONNumber(value: 100, isInteger: false)), .number(JSONNumber(value: 100, isInteger: false)),
                                 .number(JSONNumber(value: 0.0025, isInteger: false)),
                                 .number(JSONNumber(value: .leastNonzeroMagnitude, isInteger: false)),
                                 .number(JSONNumber(value: .greatestFiniteMagnitude, isInteger: false)),
                                 .bool(true), .bool(false), .null])
        XCTAssertEqual(object["s"], .string("\"\\/\u{8}\u{C}\n\r\té🖋"))
        XCTAssertEqual(object["o"], .object(StrictJSONObject(members: [])))
        XCTAssertEqual(object["e"], .array([]))
        XCTAssertEqual(object["u"], .string("née 诗人"))
        XCTAssertEqual(object.members.map(\.key), ["a", "s", "o", "e", "u"], "in the file's order")
    }

    func testNestingIsRefusedAsContainersOpenWithTheirPath() {
        let deep = String(repeating: "[", count: 100_000)
        XCTAssertThrowsError(try StrictJSONReader.read(Array(deep.utf8)[...], maxDepth: 8)) { error in
            XCTAssertEqual((error as? StrictJSONError)?.fault, .tooDeep(limit: 8))
            XCTAssertEqual((error as? StrictJSONError)?.offset, 8)
        }
        XCTAssertNoThrow(try StrictJSONReader.read(Array((String(repeating: "[", count: 8) + String(repeating: "]", count: 8)).utf8)[...],
                                                   maxDepth: 8))
        XCTAssertEqual(refusal(#"{"forget":[{"text":"a","id":[[[[[[[]]]]]]]}]}"#)?.field, "forget[0].id[0][0][0][0][0]")
        XCTAssertNotNil(try? parser.parse(Array(#"{"forget":[{"text":"[[[[[[[[[[[[[[["}]}"#.utf8), fileName: "r.json"),
                        "brackets inside a string are text")
    }

    // MARK: Finding 6, loose fields

    func testNumbersADoubleCannotHoldAreRefusedNamingTheirField() {
        let item = #"{"forget":[{"text":"a"}],"options":"#
        let large = refusal(item + #"{"learning_rate":1e400}}"#)
        XCTAssertEqual(large?.field, "options.learning_rate")
        XCTAssertEqual(large?.reason, "is a number too large for a 64-bit float (at byte offset 52)")
        let small = refusal(item + #"{"learning_rate":1e-400}}"#)
        XCTAssertEqual(small?.field, "options.learning_rate")
        XCTAssertTrue(small?.reason.contains("would read as 0") ?? false)
        XCTAssertEqual(refusal(item + #"{"learning_rate":-0.00000e-400,"epochs":1e999}}"#)?.field, "options.epochs",
                       "a zero written with an exponent is 0, not an underflow")
        XCTAssertEqual(refusal(#"{"forget":[{"text":"a"}],"retain":[{"text":"b","id":[1,2,-1e400]}]}"#)?.field, "retain[0].id[2]")
    }

    func testEpochsAcceptOnlyIntegerLiterals() throws {
        for literal in ["1.0", "2.0000000000000001", "1e0", "1E1", "0.3e1", "10e-1"] {
            let error = refusal(#"{"forget":[{"text":"a"}],"options":{"epochs":\#(literal)}}"#)
            XCTAssertEqual(error?.field, "options.epochs", literal)
            XCTAssertEqual(error?.reason, "must be a whole number from 1 to 10, written without a fraction or exponent", literal)
        }
        for literal in ["0", "-1", "11", "99999999999999999999999"] {
            XCTAssertEqual(refusal(#"{"forget":[{"text":"a"}],"options":{"epochs":\#(literal)}}"#)?.reason,
                           "must be a whole number from 1 to 10", literal)
        }
        guard case .forget(let request) = try parser.parse(Array(#"{"forget":[{"text":"a"}],"options":{"epochs":10}}"#.utf8),
                                                           fileName: "r.json") else { return XCTFail() }
        XCTAssertEqual(request.options.epochs, 10)
    }

    func testBlankMeansNothingVisible() {
        let zeroWidth = refusal(#"{"forget":[{"prompt":"Where?","completion":"\u200b\u200b\u200b"}]}"#)
        XCTAssertEqual(zeroWidth?.field, "forget[0].completion")
        XCTAssertTrue(zeroWidth?.reason.contains("blank") ?? false)
        for blank in ["", " \n\t", "\u{200B}", "\u{200C}\u{200D}", "\u{2060}", "\u{FEFF}", "\u{200E}\u{200F}", "\u{202E}", "\u{00A0}\u{3000}",
                      "\u{2028}", "\u{034F}", "\u{180E}", "\u{FE0F}", "\u{3164}", "\u{7}\u{1B}", "\u{E0041}"] {
            XCTAssertTrue(RequestParser.isBlank(blank), blank.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
        for visible in ["a", " a ", "\u{200B}x\u{200B}", "诗", "🖋", "·", "\u{0301}e", "-"] {
            XCTAssertFalse(RequestParser.isBlank(visible), visible)
        }
    }

    // MARK: Findings 3 and 5, nothing of the file in an error

    func testKeysThatForgeLogLinesOrColoursAreNotRepeated() {
        for text in [#"{"forget":[{"text":"a"}],"x\nFAKE-LOG-LINE injected":1}"#,
                     #"{"forget":[{"text":"a","\u001b[31mred":1}]}"#,
                     #"{"forget":[{"text":"a","x\nFAKE-LOG-LINE injected":1e400}]}"#,
                     #"{"\u001b[31m":1,"\u001b[31m":2}"#,
                     "{\"forget\":[{\"text\":\"a\",\"\u{1B}[31m\u{202E}\":1}]}"] {
            guard let error = refusal(text) else { continue }
            for part in [error.field ?? "", error.reason, error.description] {
                XCTAssertFalse(part.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(text): \(error)")
                XCTAssertFalse(part.contains("FAKE") || part.contains("[31m") || part.contains("red"), "\(text): \(error)")
            }
        }
        let injected = refusal(#"{"forget":[{"text":"a"}],"x\nFAKE-LOG-LINE injected":1}"#)
        XCTAssertNil(injected?.field)
        XCTAssertEqual(injected?.reason, "has a key that is not a request field, at byte offset 25 (known: forget, id, options, reason, retain, submitted_by, withdraw)")
        XCTAssertEqual(refusal(#"{"forget":[{"text":"a","\u001b[31mred":1}]}"#)?.field, "forget[0]")
        // One of the format's own names in the wrong place is named: it is not the file's content.
        XCTAssertEqual(refusal(#"{"forget":[{"text":"a"}],"prompt":"b"}"#)?.field, "prompt")
        XCTAssertEqual(refusal(#"{"forget":[{"text":"a","epochs":1}]}"#)?.field, "forget[0].epochs")
    }

    func testASecretInTheFileIsNeverRepeated() {
        let cases: [(String, String, String?)] = [
            ("SECRET_TOKEN_hunter2=abc\n", "not JSON at all", nil),
            ("SECRET_TOKEN_hunter2", "a bare word", nil),
            (#"{"SECRET_TOKEN_hunter2": "abc"}"#, "a key", nil),
            (#"{"forget": [{"text": "a"}], "options": {"token": "SECRET_TOKEN_hunter2"}}"#, "the value of an unknown key", "options"),
            (#"{"forget": [{"text": "a"}], "SECRET_TOKEN_hunter2": {"x": [1,]}}"#, "a key above a syntax error", nil),
            (#"{"id": "SECRET_TOKEN_hunter2=abc", "forget": [{"text": "a"}]}"#, "an id that breaks the id rule", "id"),
            (#"{"id": "SECRET_TOKEN_hunter2", "withdraw": ["SECRET_TOKEN_hunter2/x/y"]}"#, "a withdraw target", "withdraw[0]"),
            (#"{"forget": [{"id": "SECRET_TOKEN_hunter2", "text": "a"}, {"id": "SECRET_TOKEN_hunter2", "text": "b"}]}"#, "a repeated item id", "forget"),
            (#"{"forget": [{"text": "a"}], "options": {"method": "SECRET_TOKEN_hunter2"}}"#, "a method", "options.method"),
            (#"{"forget": [{"text": "a"}], "submitted_by": ["SECRET_TOKEN_hunter2"]}"#, "a label of the wrong type", "submitted_by"),
        ]
        for (text, place, field) in cases {
            guard let error = refusal(text) else { continue }
            XCTAssertEqual(error.field, field, place)
            XCTAssertFalse((error.field ?? "").contains("hunter2") || error.reason.contains("hunter2"), "\(place): \(error)")
        }
        XCTAssertEqual(refusal("SECRET_TOKEN_hunter2=abc\n")?.reason, "is not valid JSON: expected a value at byte offset 0")
        let bulk = refusal("{\"text\": \"a\"}\nSECRET_TOKEN_hunter2\n", fileName: "r.jsonl")
        XCTAssertEqual(bulk?.field, "line 2")
        XCTAssertEqual(bulk?.reason, "is not valid JSON: expected a value at byte offset 14")
    }

    /// Every file of the hostile corpus: no string value longer than 5 characters appears in
    /// the field or the reason, and neither holds a control character.
    func testNoErrorOfTheCorpusRepeatsAStringOfItsFile() throws {
        let folder = RequestParserTests.requests.appendingPathComponent("bad")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "expected.json" }
        XCTAssertGreaterThanOrEqual(names.count, 80)
        for name in names {
            let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
            guard let error = refusalOf(bytes, name: name) else { continue }
            let shown = (error.field ?? "") + "\n" + error.reason
            for value in Self.stringValues(in: bytes) where value.count > 5 {
                XCTAssertFalse(shown.contains(value), "\(name): \(error) repeats \(value.debugDescription)")
            }
            XCTAssertFalse(shown.unicodeScalars.contains { $0 != "\n" && $0.properties.generalCategory == .control }, "\(name): \(error)")
        }
    }

    func testTheCorpusCheckFindsTheValuesOfAFile() {
        XCTAssertEqual(Set(Self.stringValues(in: Array(#"{"a": "b\u0063", "d": ["e", 1], "f":"g"}"#.utf8)).dropFirst()),
                       ["b\\u0063", "bc", "e", "g"], "values as written and as read, not keys")
    }

    private func refusalOf(_ bytes: [UInt8], name: String) -> RequestError? {
        do {
            _ = try parser.parse(bytes, fileName: name)
            XCTFail("\(name) accepted")
            return nil
        } catch {
            return error
        }
    }

    /// The string literals of a (possibly broken) JSON text that are not keys, both as written
    /// between the quotes and as their escapes read; a file that is not JSON counts as one.
    static func stringValues(in bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let literal = try? NSRegularExpression(pattern: #""((?:[^"\\]|\\.)*)""#) else { return [] }
        var values = [text.trimmingCharacters(in: .whitespacesAndNewlines)]
        for match in literal.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let range = Range(match.range(at: 1), in: text), let whole = Range(match.range, in: text) else { continue }
            let isKey = text[whole.upperBound...].drop { $0.isWhitespace }.first == ":"
            if isKey { continue }
            let raw = String(text[range])
            values.append(raw)
            if let read = try? JSONSerialization.jsonObject(with: Data(("\"" + raw + "\"").utf8), options: .fragmentsAllowed) as? String {
                values.append(read)
            }
        }
        return values.filter { !$0.isEmpty }
    }
}
