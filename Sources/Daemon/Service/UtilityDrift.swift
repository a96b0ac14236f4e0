import Store

/// How much of the utility budget a version has spent: its model utility against the base
/// version's, as its gate measured them, and whether the drift has passed the alarm level.
/// `lethe status` shows it so that an operator sees the budget near its end before requests
/// start to fail for it.
public struct UtilityDrift: Codable, Sendable, Equatable {
    public let version: Int
    public let utility: Double
    public let baseUtility: Double
    /// The most the configuration lets a version lose, as a fraction of the base utility.
    public let maxUtilityDrop: Double
    /// The fraction of `maxUtilityDrop` at which the alarm is raised.
    public let alarmAt: Double

    /// The drift of `version` from its gate's figures; nil when it has none (the base version, an import).
    public init?(_ version: VersionRecord, gate: DaemonConfiguration.GateSettings) {
        guard let utility = version.metrics["utility"]?.doubleValue, let base = version.metrics["base_utility"]?.doubleValue, base > 0 else {
            return nil
        }
        (self.version, self.utility, baseUtility, maxUtilityDrop, alarmAt) = (version.id, utility, base, gate.maxUtilityDrop, gate.utilityAlarm)
    }

    /// The utility lost, as a fraction of the base version's.
    public var drop: Double { (baseUtility - utility) / baseUtility }
    /// The fraction of the budget spent (above 1: beyond it).
    public var budgetSpent: Double { maxUtilityDrop > 0 ? max(0, drop) / maxUtilityDrop : (drop > 0 ? .infinity : 0) }
    public var isAlarming: Bool { budgetSpent >= alarmAt }

    /// One line for `lethe status`.
    public var line: String {
        let text = String(format: "%.4f at version %d (base version %.4f): %.1f %% lost, %.0f %% of the %.0f %% budget",
                          utility, version, baseUtility, drop * 100, budgetSpent * 100, maxUtilityDrop * 100)
        return isAlarming ? text + " — ALARM: requests will soon fail the gate (`lethe rollback`, or gate.max_utility_drop in docs/configuration.md)" : text
    }
}
