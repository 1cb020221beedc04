import Fluent
import Foundation
import SQLKit

/// The `job_runs` table: each background job's run and failure counts and when it last
/// succeeded (read by `/metrics`). One atomic upsert per run, so several workers can share it.
enum JobRuns {
    /// The jobs `getyour jobs` runs each round, in order.
    static let names = ["renewal", "outbox", "retention", "housekeeping"]

    static func record(_ job: String, started: Date, finished: Date, succeeded: Bool, on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw(
            """
            INSERT INTO job_runs (job, runs, failures, last_started_at, last_finished_at, last_success_at)
            VALUES (\(bind: job), 1, \(bind: succeeded ? 0 : 1), \(bind: started), \(bind: finished), \(bind: succeeded ? finished : nil))
            ON CONFLICT (job) DO UPDATE SET
                runs = job_runs.runs + 1,
                failures = job_runs.failures + excluded.failures,
                last_started_at = excluded.last_started_at,
                last_finished_at = excluded.last_finished_at,
                last_success_at = COALESCE(excluded.last_success_at, job_runs.last_success_at)
            """
        ).run()
    }

    struct Row: Decodable, Sendable {
        let job: String
        let runs: Int
        let failures: Int
        let lastSuccessAt: Date?

        enum CodingKeys: String, CodingKey {
            case job, runs, failures
            case lastSuccessAt = "last_success_at"
        }
    }

    static func all(on database: any Database) async throws -> [Row] {
        try await (database as! any SQLDatabase).raw("SELECT job, runs, failures, last_success_at FROM job_runs ORDER BY job")
            .all(decoding: Row.self)
    }
}
