import Foundation
import Model

/// The committed reference data written by Tests/Fixtures/make_llama_fixtures.py.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Plain Llama (the generation fixtures run these three too).
    static let llamaNames = ["mha_tied", "gqa_untied", "gqa_headdim"]
    /// Rope scaling, biases and a sliding window: Llama 3.x, Qwen2 and Mistral in miniature.
    static let familyNames = ["llama3_rope", "linear_rope", "dynamic_rope", "qwen2_bias", "mistral_window", "llama_attention_bias"]
    static var modelNames: [String] { llamaNames + familyNames }

    static func llamaFolder(_ name: String) -> URL { root.appendingPathComponent("llama/\(name)") }

    struct Inputs: Decodable {
        let input_ids: [[Int]]
        let attention_mask: [[Int]]
        let labels: [[Int]]
    }

    static func batch(_ name: String) throws -> TokenBatch {
        let data = try Data(contentsOf: llamaFolder(name).appendingPathComponent("inputs.json"))
        let inputs = try JSONDecoder().decode(Inputs.self, from: data)
        return try TokenBatch(inputIDs: inputs.input_ids, attentionMask: inputs.attention_mask, labels: inputs.labels)
    }

    static func reference(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: llamaFolder(name).appendingPathComponent("reference.safetensors"))
    }
}

/// ‖a − b‖ / max(‖b‖, tiny).
func relativeL2Error(_ a: UnsafeBufferPointer<Float>, _ b: [Float]) -> Double {
    var difference: Double = 0, norm: Double = 0
    for i in 0..<b.count {
        difference += Double(a[i] - b[i]) * Double(a[i] - b[i])
        norm += Double(b[i]) * Double(b[i])
    }
    return (difference / max(norm, 1e-30)).squareRoot()
}
