import XCTest
@testable import Unlearning
import Benchmarks
import Corpus

/// The benchmark's rules that decide its outcome without running a model: how the grid's
/// winner is chosen, which settings each method tries, and how a split is cut into requests.
final class BenchmarkPlanTests: XCTestCase {
    private func run(_ method: UnlearningMethod = .dipo, rate: Double, quality: Double, utility: Double) -> BenchmarkRun {
        let score = UnlearningScore(forgetQuality: quality, modelUtility: utility, forgetRouge: 0, miaAuc: 0.5, retainModelMiaAuc: 0.5,
                                    privLeak: 0)
        return BenchmarkRun(method: method, split: .forget05, seed: 100, setting: MethodSetting(learningRate: rate, constant: 5),
                            step: nil, score: score, seconds: 1, updateSteps: 10)
    }

    func testSelectionTakesTheHighestForgetQualityAmongSettingsThatKeepTheUtilityFloor() {
        let runs = [run(rate: 1, quality: 0.9, utility: 0.5), run(rate: 2, quality: 0.3, utility: 0.6),
                    run(rate: 3, quality: 0.1, utility: 0.7)]
        // Floor 0.9 × 0.62 = 0.558: the first run (0.9, but utility 0.5) is out.
        let chosen = SettingSelection.choose(from: runs, baseUtility: 0.62, floor: 0.9)
        XCTAssertEqual(chosen?.setting.learningRate, 2)
        XCTAssertEqual(chosen?.keptUtility, true)
        XCTAssertEqual(chosen?.method, .dipo)
    }

    func testSelectionBreaksForgetQualityTiesByUtility() {
        let runs = [run(rate: 1, quality: 0.5, utility: 0.6), run(rate: 2, quality: 0.5, utility: 0.65), run(rate: 3, quality: 0.5, utility: 0.61)]
        XCTAssertEqual(SettingSelection.choose(from: runs, baseUtility: 0.6, floor: 0.9)?.setting.learningRate, 2)
    }

    func testSelectionFallsBackToTheHighestUtilityAndSaysSoWhenNoSettingKeepsTheFloor() {
        let runs = [run(rate: 1, quality: 0.9, utility: 0.1), run(rate: 2, quality: 0.2, utility: 0.3)]
        let chosen = SettingSelection.choose(from: runs, baseUtility: 0.6, floor: 0.9)
        XCTAssertEqual(chosen?.setting.learningRate, 2)
        XCTAssertEqual(chosen?.keptUtility, false)
        XCTAssertNil(SettingSelection.choose(from: [], baseUtility: 0.6, floor: 0.9))
    }

    func testEveryMethodGetsTheSameGridOverItsOwnConstant() {
        let grid = MethodGrid(learningRates: [1e-4, 3e-4], constantCount: 2)
        XCTAssertEqual(grid.settings(for: .dipo), [MethodSetting(learningRate: 1e-4, constant: 1), MethodSetting(learningRate: 1e-4, constant: 0.1),
                                                   MethodSetting(learningRate: 3e-4, constant: 1), MethodSetting(learningRate: 3e-4, constant: 0.1)])
        for method in UnlearningMethod.allCases where method != .gradascent {
            XCTAssertEqual(grid.settings(for: method).count, 4, "\(method)")
            XCTAssertNotNil(method.constantName)
        }
        XCTAssertEqual(grid.settings(for: .gradascent), [MethodSetting(learningRate: 1e-4, constant: nil), MethodSetting(learningRate: 3e-4, constant: nil)])
        // The quick grid keeps each paper's default.
        XCTAssertEqual(MethodGrid(learningRates: [1e-3], constantCount: 1).settings(for: .npo), [MethodSetting(learningRate: 1e-3, constant: 0.1)])
    }

    func testTheBudgetMapsEachMethodAndConstantToItsObjective() {
        let budget = UnlearningBudget(epochs: 3, forgetBatchSize: 8, retainBatchSize: 4, retainWeight: 2)
        let options = budget.options(method: .graddiff, setting: MethodSetting(learningRate: 3e-4, constant: 2.5), seed: 9)
        XCTAssertEqual(options.objective, .gradDiff(alpha: 2.5))
        XCTAssertEqual(options.length, .epochs(3))
        XCTAssertEqual([options.forgetBatchSize, options.retainBatchSize], [8, 4])
        XCTAssertEqual(options.learningRate, 3e-4)
        XCTAssertEqual(options.seed, 9)
        XCTAssertEqual(options.retainWeight, 2)
        let setting = MethodSetting(learningRate: 1e-4, constant: 0.5)
        XCTAssertEqual(budget.options(method: .dipo, setting: setting, seed: 1).objective, .dipo(DiPO(beta: 0.5)))
        XCTAssertEqual(budget.options(method: .dipoPolicy, setting: setting, seed: 1).objective, .dipo(DiPO(beta: 0.5, source: .policy)))
        XCTAssertEqual(budget.options(method: .npo, setting: MethodSetting(learningRate: 1e-4, constant: 0.5), seed: 1).objective, .npo(NPO(beta: 0.5)))
        XCTAssertEqual(budget.options(method: .simnpo, setting: MethodSetting(learningRate: 1e-4, constant: 2.5), seed: 1).objective,
                       .simnpo(SimNPO(beta: 2.5)))
        XCTAssertEqual(budget.options(method: .gradascent, setting: MethodSetting(learningRate: 1e-4, constant: nil), seed: 1).objective, .gradAscent)
        XCTAssertEqual(UnlearningMethod(rawValue: "dipo-policy"), .dipoPolicy)
    }

    func testSequentialRequestsCutTheSplitByAuthorIntoDisjointParts() throws {
        let corpus = Corpus.generate(try CorpusOptions(seed: 1, authors: 40, holdoutAuthors: 4, generalQuestions: 20))
        var plan = SequentialBenchmark.Plan.quick
        plan.split = .forget10
        plan.requests = 4
        let requests = try SequentialBenchmark.requests(of: plan, in: corpus)
        XCTAssertEqual(requests.count, 4)
        let authors = requests.map { Set($0.compactMap(\.author)) }
        XCTAssertEqual(authors.map(\.count), [1, 1, 1, 1])
        XCTAssertEqual(authors.reduce(Set<String>()) { $0.union($1) }, Set(corpus.authorIDs(in: .forget10)))
        XCTAssertEqual(requests.flatMap { $0 }.map(\.id).sorted(), corpus.items(in: .forget10).map(\.id).sorted())
        plan.requests = 5
        XCTAssertThrowsError(try SequentialBenchmark.requests(of: plan, in: corpus)) { error in
            XCTAssertEqual(error as? UnlearningBenchmarkError, .emptyForgetSplit(.forget10))
        }
    }

    func testTheTofuPlanNamesEveryForgetItemTheRetainModelMustBeMeasuredOn() throws {
        let corpus = Corpus.generate(try CorpusOptions(seed: 1, authors: 40, holdoutAuthors: 4, generalQuestions: 20))
        var plan = TofuBenchmark.Plan.quick
        plan.splits = [.forget01]
        plan.tuningSplit = .forget10
        XCTAssertEqual(Set(TofuBenchmark.forgetItems(of: plan, in: corpus).map(\.id)), Set(corpus.items(in: .forget10).map(\.id)))
        XCTAssertEqual(TofuBenchmark.Plan.standard.runCount, 5 * 6 + 3 + 6 * 3 * 3)
    }
}
