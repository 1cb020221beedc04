import Crypto
import Fluent
import Foundation
import Vapor

/// Loads the session named by the cookie, enforces idle and absolute timeouts (P10) and
/// saves changes after the handler ran. An unchanged session is written at most once a
/// minute (to move its idle deadline), not on every request.
struct SessionMiddleware: AsyncMiddleware {
    let settings: SessionSettings
    let cookie: CookieSettings
    let clock: @Sendable () -> Date

    static let touchInterval: TimeInterval = 60

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let now = clock()
        var loaded: StoredSession?
        if let token = request.cookies[cookie.sessionName]?.string, !token.isEmpty {
            let hash = Self.hash(token)
            if let record = try await StoredSession.find(hash, on: request.db(.primary)) {
                if isExpired(record, now: now) {
                    try await record.delete(on: request.db(.primary))
                    request.storage[SessionExpiredKey.self] = true
                } else {
                    loaded = record
                    request.storage[SessionKey.self] = BrowserSession(
                        tokenHash: hash, userID: record.userID, data: record.data, createdAt: record.createdAt)
                }
            } else {
                request.storage[SessionExpiredKey.self] = true
            }
        }
        let response = try await next.respond(to: request)
        try await save(request: request, response: response, loaded: loaded, now: now)
        return response
    }

    private func isExpired(_ record: StoredSession, now: Date) -> Bool {
        now.timeIntervalSince(record.lastSeenAt) > settings.idleTimeout(role: record.data["role"])
            || now.timeIntervalSince(record.createdAt) > settings.absoluteTimeout
    }

    private func save(request: Request, response: Response, loaded: StoredSession?, now: Date) async throws {
        let db = request.db(.primary)
        guard let session = request.storage[SessionKey.self] else {
            if request.sessionExpired { response.cookies[cookie.sessionName] = cookie.expired() }
            return
        }
        let state = session.state.withLock { $0 }
        if state.destroyed {
            try await loaded?.delete(on: db)
            response.cookies[cookie.sessionName] = cookie.expired()
            return
        }
        if let loaded, !state.rotate {
            guard state.dirty || now.timeIntervalSince(loaded.lastSeenAt) > Self.touchInterval else { return }
            loaded.data = state.data
            loaded.userID = state.userID
            loaded.lastSeenAt = now
            try await loaded.update(on: db)
            return
        }
        guard state.userID != nil || !state.data.isEmpty else { return }
        // A new session, or a rotation: the old token stops working at once.
        try await loaded?.delete(on: db)
        let token = Self.newToken()
        try await StoredSession(
            tokenHash: Self.hash(token), userID: state.userID, data: state.data, now: state.rotate ? now : state.createdAt
        )
        .create(on: db)
        response.cookies[cookie.sessionName] = cookie.value(token)
    }

    static func newToken() -> String {
        Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64URLEncodedString()
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension Data {
    func base64URLEncodedString() -> String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
