import Fluent
import Vapor

/// `getyour jobs [--once]`: the background work every deployment runs (P8, P10, P11, P12). Each round
/// queues due renewal reminders and ends enrollments past their grace period
/// (`RenewalJobs`), delivers the outbox's due email and text messages, removes documents the
/// retention policy no longer keeps (`DocumentRetention`), then does the housekeeping: expired
/// sessions, sign-in and rate-limit records older than a week, used or expired one-time
/// links. Safe to run on several servers at once: a message is claimed by one worker only,
/// and every housekeeping step is an idempotent delete. Without `--once` it repeats every
/// `jobs.interval_seconds` until stopped.
struct JobsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "once", help: "Run every job once and exit (for cron or a scheduler)")
        var once: Bool
    }

    var help: String {
        "Queues renewal reminders, ends enrollments past their grace period, sends due email and text messages from the outbox, removes documents past the retention period, then removes expired sessions, old throttle records and spent links."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        repeat {
            do {
                let summary = try await Self.runOnce(app)
                // One JSON record for a log shipper outside local; a sentence on a terminal.
                if app.settings.logFormat == .json {
                    app.logger.info("jobs round", metadata: summary.metadata)
                } else {
                    context.console.print(summary.description)
                }
            } catch  where !signature.once {
                // A database restart must not stop the loop; the next round tries again.
                app.logger.error("jobs: round failed: \(String(reflecting: type(of: error)))")
            }
            if !signature.once { try await Task.sleep(for: .seconds(app.settings.jobsInterval)) }
        } while !signature.once && !Task.isCancelled
    }

    struct Summary: Sendable {
        var renewal = RenewalJobs.Summary()
        var outbox = OutboxWorker.Summary()
        var sessions = 0
        var throttles = 0
        var links = 0
        var purged = DocumentRetention.Summary()

        var metadata: Logger.Metadata {
            [
                "reminders": "\(renewal.reminders)", "expired": "\(renewal.expired)", "emails": "\(outbox.emails)",
                "texts": "\(outbox.texts)", "retried": "\(outbox.retried)", "failed": "\(outbox.failed)",
                "deferred": "\(outbox.deferred)", "purged": "\(purged.documents)", "sessions": "\(sessions)",
                "throttles": "\(throttles)", "links": "\(links)",
            ]
        }

        var description: String {
            "Jobs done: \(renewal.reminders) renewal reminders queued, \(renewal.expired) enrollments expired; \(outbox.description); \(purged.documents) documents purged (retention); \(sessions) sessions, \(throttles) throttle records and \(links) links removed."
        }
    }

    static func runOnce(_ app: Application) async throws -> Summary {
        var summary = Summary()
        summary.renewal = try await recorded("renewal", app) { try await RenewalJobs.run(app) }
        summary.outbox = try await recorded("outbox", app) { try await OutboxWorker(app: app).run() }
        summary.purged = try await recorded("retention", app) { try await DocumentRetention.run(app) }
        try await recorded("housekeeping", app) {
            let db = app.db(.primary), now = app.clock.now()
            let session = app.settings.session
            summary.sessions = try await StoredSession.purgeExpired(
                idle: session.idleTimeout, absolute: session.absoluteTimeout, now: now, on: db)
            summary.throttles = try await Throttle(database: db, secret: app.settings.security.secretKey)
                .purge(before: now.addingTimeInterval(-7 * 24 * 3600))
            summary.links = try await AccountToken.purgeSpent(before: now.addingTimeInterval(-24 * 3600), on: db)
            // A partner may repeat a decision with its Idempotency-Key for a day.
            try await APIIdempotency.query(on: db).filter(\.$createdAt < now.addingTimeInterval(-24 * 3600)).delete()
        }
        return summary
    }

    /// Runs one job and writes its outcome to `job_runs` (`/metrics` reads it). Recording is
    /// best effort: a job that worked is not reported as failed because the record could not
    /// be written (the database went away in between); the next round records again.
    @discardableResult
    private static func recorded<T>(_ job: String, _ app: Application, _ body: () async throws -> T) async throws -> T {
        let started = app.clock.now()
        do {
            let result = try await body()
            try? await JobRuns.record(job, started: started, finished: app.clock.now(), succeeded: true, on: app.db(.primary))
            return result
        } catch {
            try? await JobRuns.record(job, started: started, finished: app.clock.now(), succeeded: false, on: app.db(.primary))
            throw error
        }
    }
}
