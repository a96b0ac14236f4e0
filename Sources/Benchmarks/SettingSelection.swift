import Unlearning
/// How the grid's winner is picked, the same rule for every method: the highest forget
/// quality among the settings whose model utility stays at or above `floor` × the base
/// model's; ties go to the higher utility. When no setting keeps that much utility, the one
/// with the highest utility wins, and the choice says so.
public struct SettingSelection: Sendable, Codable, Equatable {
    public var method: UnlearningMethod
    public var setting: MethodSetting
    /// False when no setting reached the utility floor.
    public var keptUtility: Bool

    public static func choose(from runs: [BenchmarkRun], baseUtility: Double, floor: Double) -> SettingSelection? {
        guard let method = runs.first?.method else { return nil }
        let kept = runs.filter { $0.modelUtility >= floor * baseUtility }
        let byUtility = { (a: BenchmarkRun, b: BenchmarkRun) in a.modelUtility < b.modelUtility }
        if let best = kept.max(by: { a, b in
            a.forgetQuality != b.forgetQuality ? a.forgetQuality < b.forgetQuality : byUtility(a, b)
        }) {
            return SettingSelection(method: method, setting: best.setting, keptUtility: true)
        }
        return runs.max(by: byUtility).map { SettingSelection(method: method, setting: $0.setting, keptUtility: false) }
    }
}
