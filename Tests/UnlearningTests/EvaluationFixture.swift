import Foundation

/// The reference values that Tests/Fixtures/make_evaluation_fixtures.py writes with scipy and
/// scikit-learn (Tests/Fixtures/README.md), one JSON file per metric.
enum EvaluationFixture {
    static func cases<Case: Decodable>(_ file: String, as _: Case.Type) throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/evaluation/\(file)")
        return try JSONDecoder().decode(Document<Case>.self, from: Data(contentsOf: url)).cases
    }

    private struct Document<Case: Decodable>: Decodable {
        let cases: [Case]
    }

    /// A sample written out, or drawn by the script's 64-bit LCG when too large to write:
    /// value = (state >> 33) % modulus + offset, the state advanced before each draw.
    struct Sample: Decodable {
        let values: [Double]

        private struct Generator: Decodable {
            let seed: UInt64, count: Int, modulus: UInt64, offset: Int
        }

        private enum CodingKeys: String, CodingKey { case lcg }

        init(from decoder: Decoder) throws {
            if let values = try? decoder.singleValueContainer().decode([Double].self) {
                self.values = values
                return
            }
            let generator = try decoder.container(keyedBy: CodingKeys.self).decode(Generator.self, forKey: .lcg)
            var state = generator.seed
            values = (0..<generator.count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Double(Int((state >> 33) % generator.modulus) + generator.offset)
            }
        }
    }
}
