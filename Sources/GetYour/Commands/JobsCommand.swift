import Fluent
import Vapor

/// `getyour jobs [--once]`: the housekeeping every deployment runs (P12). It removes expired
/// sessions, sign-in and rate-limit records older than a week, and used or expired one-time
/// links. Safe to run on several servers at once: every step is an idempotent delete.
/// Without `--once` it repeats every minute until stopped.
struct JobsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "once", help: "Run every job once and exit (for cron or a scheduler)")
        var once: Bool
    }

    var help: String { "Runs the housekeeping jobs: expired sessions, old throttle records and spent links." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        repeat {
            let summary = try await Self.runOnce(app, now: Date())
            context.console.print(summary)
            if !signature.once { try await Task.sleep(for: .seconds(60)) }
        } while !signature.once && !Task.isCancelled
    }

    static func runOnce(_ app: Application, now: Date) async throws -> String {
        let db = app.db(.primary)
        let session = app.settings.session
        let sessions = try await StoredSession.purgeExpired(idle: session.idleTimeout, absolute: session.absoluteTimeout, now: now, on: db)
        let throttles = try await Throttle(database: db, secret: app.settings.security.secretKey)
            .purge(before: now.addingTimeInterval(-7 * 24 * 3600))
        let links = try await AccountToken.purgeSpent(before: now.addingTimeInterval(-24 * 3600), on: db)
        return "Jobs done: \(sessions) sessions, \(throttles) throttle records and \(links) links removed."
    }
}
