import ArgumentParser
import Daemon
import Foundation
import Logging

struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Serve forget requests from the spool: one DiPO update per job, each a new checkpoint version.",
        discussion: """
            Without --config the defaults serve ./spool with the store in ./Checkpoints, initialised from \
            Checkpoints/base on first start (docs/configuration.md lists every key). SIGTERM and SIGINT stop \
            within seconds, even mid-training (the running requests go back to the queue); SIGHUP reloads the \
            configuration. Under systemd (Type=notify) it reports READY, STATUS and WATCHDOG. Logs go to \
            standard error, one line per event.
            """
    )

    @Option(help: "The configuration file (JSON).")
    var config: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() throws {
        let file = config.map { URL(fileURLWithPath: $0) }
        let configuration = try daemonConfiguration(config)
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = EscapingLogHandler(wrapping: StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        let daemon = LetheDaemon(configuration: configuration, configurationFile: file, logger: Logger(label: "lethe.daemon"),
                                 notifier: ServiceNotifier())
        daemon.configureStore = installStallHook
        let signals = DispatchQueue(label: "lethe.signals")
        var sources: [DispatchSourceSignal] = []
        for (number, action) in [(SIGTERM, daemon.stop), (SIGINT, daemon.stop), (SIGHUP, daemon.reload)] as [(Int32, () -> Void)] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: signals)
            source.setEventHandler {
                action()
                guard number != SIGHUP else { return }
                // The job ends at its next step; should one step take longer, the process ends
                // anyway and start-up recovery puts the running requests back in the queue.
                signals.asyncAfter(deadline: .now() + 4.5) {
                    FileHandle.standardError.write(Data("lethe daemon: the job did not stop within 4.5 s; exiting, recovery re-queues it\n".utf8))
                    _exit(0)
                }
            }
            source.resume()
            sources.append(source)
        }
        defer { sources.forEach { $0.cancel() } }
        try daemon.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// The configuration file at `path`, or the defaults without one (`daemon`, `status`, `submit`).
func daemonConfiguration(_ path: String?) throws -> DaemonConfiguration {
    try path.map { try DaemonConfiguration.load(URL(fileURLWithPath: $0)) } ?? DaemonConfiguration()
}
