import Model
import Unlearning

/// What the gate measured on a candidate version as a GGUF file of one served type would hold
/// it (each tensor quantised and dequantised as llama.cpp's `llama-quantize` does): the job's
/// items and the forget sample scored again, and utility. Quantising an unlearned model is
/// known to bring forgotten answers back (Zhang et al., arXiv 2410.16454), so a version is held
/// to forget under every configured served type too; its utility there is reported, not judged
/// (the budget is the Float32 version's).
public struct ServedFormatResult: Sendable {
    /// The served type's name (`q4_k_m`).
    public let format: String
    public let scores: [String: ForgetItemScore]
    public let utility: Double
    /// The job's items, and the items of the sample forgotten before, that the served version does not forget.
    public let unforgotten: [String]
    public let regressed: [String]
    public let jobProbabilityRatio: Double

    public var metrics: [String: JSONValue] {
        ["utility": .number(utility), "job_probability_ratio": .number(jobProbabilityRatio),
         "items_scored": .number(Double(scores.count)), "unforgotten": .array(unforgotten.map(JSONValue.string)),
         "regressed": .array(regressed.map(JSONValue.string))]
    }
}
