import Foundation
import Model
import XCTest

/// `LetheJSON`: the timestamps of every JSON Lethe writes, and its encoder and decoder.
final class LetheJSONTests: XCTestCase {
    private struct Stamped: Codable, Equatable {
        var createdAt: Date
    }

    /// 2026-12-06T08:15:00.123Z.
    private let date = Date(timeIntervalSince1970: 1_796_544_900.123)

    func testATimeIsISO8601InUTCWithMilliseconds() throws {
        XCTAssertEqual(LetheJSON.timestamp(date), "2026-12-06T08:15:00.123Z")
        XCTAssertEqual(LetheJSON.timestamp(Date(timeIntervalSince1970: 1_796_544_900)), "2026-12-06T08:15:00.000Z")
        XCTAssertEqual(LetheJSON.timestamp(Date(timeIntervalSince1970: 1_796_544_900.9996)), "2026-12-06T08:15:01.000Z", "to the nearest millisecond")
        let json = String(decoding: try LetheJSON.encoder(compact: true).encode(Stamped(createdAt: date)), as: UTF8.self)
        XCTAssertEqual(json, #"{"created_at":"2026-12-06T08:15:00.123Z"}"#)
    }

    func testReadingAcceptsBothISOFormsAndRefusesAnythingElse() throws {
        let decoder = LetheJSON.decoder()
        let read = { (json: String) in try decoder.decode(Stamped.self, from: Data(json.utf8)).createdAt }
        XCTAssertEqual(try read(#"{"created_at": "2026-12-06T08:15:00.123Z"}"#).timeIntervalSince1970, 1_796_544_900.123, accuracy: 1e-6)
        XCTAssertEqual(try read(#"{"created_at": "2026-12-06T08:15:00Z"}"#).timeIntervalSince1970, 1_796_544_900)
        for bad in [#"{"created_at": 786700000}"#, #"{"created_at": "yesterday"}"#, #"{"created_at": "2026-13-06T08:15:00Z"}"#] {
            XCTAssertThrowsError(try read(bad), bad)
        }
        XCTAssertNil(LetheJSON.date(fromTimestamp: ""))
    }

    func testTheEncoderSortsKeysKeepsSlashesAndLeavesDocumentKeysAlone() throws {
        let document = JSONValue.object(["b/c": .string("a/b"), "aKey": .number(1)])
        XCTAssertEqual(String(decoding: try LetheJSON.encoder(compact: true, snakeCaseKeys: false).encode(document), as: UTF8.self),
                       #"{"aKey":1,"b/c":"a/b"}"#)
        let back = try LetheJSON.decoder().decode(Stamped.self, from: LetheJSON.encoder().encode(Stamped(createdAt: date)))
        XCTAssertEqual(back.createdAt.timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 1e-6)
    }
}
