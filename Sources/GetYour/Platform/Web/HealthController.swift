import Fluent
import SQLKit
import Synchronization
import Vapor

/// `/healthz` (P13): the version, the environment and whether each database answers.
/// It answers 503 only when the primary database is down: without analytics the app still
/// serves residents, so a load balancer must not take the server out of rotation for it.
struct HealthController {
    struct Report: Content {
        let status: String
        let version: String
        let environment: String
        let databases: [String: String]
        let analyticsRowsDropped: Int

        enum CodingKeys: String, CodingKey {
            case status, version, environment, databases
            case analyticsRowsDropped = "analytics_rows_dropped"
        }
    }

    let recorder: AnalyticsRecorder

    func show(_ request: Request) async throws -> Response {
        async let primary = Self.answers(request.db(.primary))
        async let analytics = Self.answers(request.db(.analytics))
        let (primaryUp, analyticsUp) = await (primary, analytics)
        let report = Report(
            status: primaryUp ? (analyticsUp ? "ok" : "degraded") : "down",
            version: request.application.settings.version,
            environment: request.application.settings.environment.rawValue,
            databases: ["primary": primaryUp ? "up" : "down", "analytics": analyticsUp ? "up" : "down"],
            analyticsRowsDropped: recorder.droppedCount)
        return try await report.encodeResponse(status: primaryUp ? .ok : .serviceUnavailable, for: request)
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
