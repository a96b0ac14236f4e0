import XCTest
@testable import Daemon
import Model

/// Which answer an item keeps for later updates to hold: the fluent one of the version that
/// forgot it, kept through later gates that only sample it.
final class HeldAnswerTests: XCTestCase {
    private let earlier: [String: JSONValue] = [HeldAnswer.key: .string("the answer when forgotten"), "generated": .string("drifted")]

    func testAVersionThatForgetsTheItemWithAFluentAnswerReplacesTheHeldOne() {
        XCTAssertEqual(HeldAnswer.updated(earlier: earlier, forgottenNow: true, generated: "new", fluency: 0.02, minFluency: 0.001),
                       .string("new"))
        XCTAssertEqual(HeldAnswer.updated(earlier: nil, forgottenNow: true, generated: "new", fluency: 0.001, minFluency: 0.001),
                       .string("new"), "at the floor is fluent")
    }

    func testADegenerateAnswerIsNeverHeldAndDropsTheOneBefore() {
        XCTAssertNil(HeldAnswer.updated(earlier: earlier, forgottenNow: true, generated: "evaevaeva", fluency: 1e-6, minFluency: 0.001))
        XCTAssertNil(HeldAnswer.updated(earlier: earlier, forgottenNow: true, generated: "new", fluency: nil, minFluency: 0.001),
                     "an answer whose fluency was not measured is not held")
    }

    func testAGateThatOnlySamplesTheItemOrPublishesNothingKeepsTheAnswerHeldBefore() {
        XCTAssertEqual(HeldAnswer.updated(earlier: earlier, forgottenNow: false, generated: "drifted", fluency: nil, minFluency: 0.001),
                       .string("the answer when forgotten"))
        XCTAssertNil(HeldAnswer.updated(earlier: nil, forgottenNow: false, generated: "drifted", fluency: 0.5, minFluency: 0.001))
    }
}
