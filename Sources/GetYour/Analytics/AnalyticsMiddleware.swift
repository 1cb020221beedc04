import Foundation
import Vapor

/// Writes one analytics row per request: method, route pattern, status, duration, role.
struct AnalyticsMiddleware: AsyncMiddleware {
    let recorder: AnalyticsRecorder

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next.respond(to: request)
        let elapsed = ContinuousClock.now - started
        recorder.record(
            RequestLogRow(
                requestID: request.requestID,
                method: request.method.rawValue,
                route: request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "(unmatched)",
                status: Int(response.status.code),
                durationMicroseconds: Int(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000),
                role: request.analyticsRole,
                occurredAt: Date()))
        return response
    }
}

enum AnalyticsRoleKey: StorageKey { typealias Value = String }

extension Request {
    /// The role of whoever made the request ("anonymous", "resident", a staff role): set by
    /// the accounts layer, never a name or id.
    public var analyticsRole: String {
        get { storage[AnalyticsRoleKey.self] ?? (browserSession.userID == nil ? "anonymous" : "resident") }
        set { storage[AnalyticsRoleKey.self] = newValue }
    }
}
