import ArgumentParser

@main
struct Lethe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lethe",
        abstract: "Make a deployed language model forget on request.",
        subcommands: [Init.self, Import.self, History.self, Show.self, Diff.self, Rollback.self, Export.self, Verify.self, GC.self, Score.self, Generate.self, Tokenize.self, ChatTemplateCommand.self, Eval.self, Forget.self, Submit.self, ForgetSet.self, DaemonCommand.self, Status.self, CorpusCommand.self, TrainBase.self, Convert.self, Bench.self]
    )

    static func main() {
        relaunchWithTunedBLASIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
