import Fluent
import SQLKit
import Synchronization
import Vapor

/// `/healthz` (P13): the version, the environment and whether each database answers.
/// It answers 503 only when the primary database is down: without analytics the app still
/// serves residents, so a load balancer must not take the server out of rotation for it.
///
/// `/healthz?ready=1` is the readiness check for a load balancer or orchestrator: it also
/// answers 503 while migrations of either database are pending (a new release started
/// before `getyour migrate` ran), and names how many.
struct HealthController {
    struct Report: Content {
        let status: String
        let version: String
        let environment: String
        let databases: [String: String]
        let analyticsRowsDropped: Int
        /// Readiness mode only: "current", "pending: N" or "unknown" per database.
        let migrations: [String: String]?

        enum CodingKeys: String, CodingKey {
            case status, version, environment, databases, migrations
            case analyticsRowsDropped = "analytics_rows_dropped"
        }
    }

    let recorder: AnalyticsRecorder

    func show(_ request: Request) async throws -> Response {
        async let primary = Self.answers(request.db(.primary))
        async let analytics = Self.answers(request.db(.analytics))
        let (primaryUp, analyticsUp) = await (primary, analytics)
        var ready = primaryUp
        var migrations: [String: String]?
        if (try? request.query.get(String.self, at: "ready")).map({ ["1", "true", "yes"].contains($0) }) == true {
            var states: [String: String] = [:]
            for (id, up) in [(DatabaseID.primary, primaryUp), (.analytics, analyticsUp)] where up {
                let pending = try? await request.application.pendingMigrations(id)
                states[id.string] = pending.map { $0.isEmpty ? "current" : "pending: \($0.count)" } ?? "unknown"
                // Analytics may be down without taking the server out of rotation, but a
                // schema behind the code is never served.
                if pending?.isEmpty != true { ready = false }
            }
            migrations = states
        }
        let report = Report(
            status: primaryUp ? (ready ? (analyticsUp ? "ok" : "degraded") : "not ready") : "down",
            version: request.application.settings.version,
            environment: request.application.settings.environment.rawValue,
            databases: ["primary": primaryUp ? "up" : "down", "analytics": analyticsUp ? "up" : "down"],
            analyticsRowsDropped: recorder.droppedCount,
            migrations: migrations)
        return try await report.encodeResponse(status: ready ? .ok : .serviceUnavailable, for: request)
    }

    /// `SELECT 1`, given at most two seconds. The probe is not awaited past the deadline
    /// (a connection attempt to a dead host cannot be cancelled), so the page stays fast.
    static func answers(_ database: any Database) async -> Bool {
        guard let sql = database as? any SQLDatabase else { return false }
        let answer = FirstAnswer()
        return await withCheckedContinuation { continuation in
            answer.set(continuation)
            Task { answer.resume((try? await sql.raw("SELECT 1").run()) != nil) }
            Task {
                try? await Task.sleep(for: .seconds(2))
                answer.resume(false)
            }
        }
    }
}

/// Resumes a continuation with whichever result comes first.
private final class FirstAnswer: Sendable {
    private let state = Mutex<(CheckedContinuation<Bool, Never>?, Bool)>((nil, false))

    func set(_ continuation: CheckedContinuation<Bool, Never>) {
        state.withLock { $0.0 = continuation }
    }

    func resume(_ value: Bool) {
        let continuation = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.1 else { return nil }
            state.1 = true
            return state.0
        }
        continuation?.resume(returning: value)
    }
}
