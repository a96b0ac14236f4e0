import ArgumentParser

@main
struct Lethe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lethe",
        abstract: "Make a deployed language model forget on request.",
        subcommands: [Score.self, Convert.self, Bench.self]
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
