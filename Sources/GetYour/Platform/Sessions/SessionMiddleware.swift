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
        var loaded: SessionRecord?
        if let token = request.cookies[cookie.sessionName]?.string, !token.isEmpty {
            let hash = Self.hash(token)
            if let record = try await SessionRecord.find(hash, on: request.db(.primary)) {
                if isExpired(record, now: now) {
                    try await record.delete(on: request.db(.primary))
                    request.storage[SessionExpiredKey.self] = true
                } else {
                    loaded = record
                    request.storage[SessionKey.self] = BrowserSession(
                        tokenHash: hash, userID: record.user_id, data: record.data, createdAt: record.created_at)
                }
            } else {
                request.storage[SessionExpiredKey.self] = true
            }
        }
        let response = try await next.respond(to: request)
        try await save(request: request, response: response, loaded: loaded, now: now)
        return response
    }

    private func isExpired(_ record: SessionRecord, now: Date) -> Bool {
        now.timeIntervalSince(record.last_seen_at) > settings.idleTimeout(role: record.data["role"])
            || now.timeIntervalSince(record.created_at) > settings.absoluteTimeout
    }

    private func save(request: Request, response: Response, loaded: SessionRecord?, now: Date) async throws {
        guard let session = request.storage[SessionKey.self] else {
            if request.sessionExpired { response.cookies[cookie.sessionName] = cookie.expired() }
            return
        }
        let state = session.state.withLock { $0 }
        if state.destroyed {
            try await loaded?.delete(on: request.db(.primary))
            response.cookies[cookie.sessionName] = cookie.expired()
            return
        }
        if let loaded, !state.rotate {
            guard state.dirty || now.timeIntervalSince(loaded.last_seen_at) > Self.touchInterval else { return }
            try await loaded.update(data: state.data, userID: state.userID, now: now, on: request.db(.primary))
            return
        }
        guard state.userID != nil || !state.data.isEmpty else { return }
        // A new session, or a rotation: the old token stops working at once.
        try await loaded?.delete(on: request.db(.primary))
        let token = Self.newToken()
        try await StoredSession(
            tokenHash: Self.hash(token), userID: state.userID, data: state.data, now: state.rotate ? now : state.createdAt
        )
        .create(on: request.db(.primary))
        response.cookies[cookie.sessionName] = cookie.value(token)
    }

    /// 32 random bytes from the system's generator, base64url without padding (43 characters).
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = Data(capacity: 32)
        for _ in 0..<4 { withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) } }
        return bytes.base64URLEncodedString()
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hexString
    }
}

extension Data {
    /// Base64 with `-` and `_` for `+` and `/`, without padding (RFC 4648 §5).
    func base64URLEncodedString() -> String {
        let plus = UInt8(ascii: "+"), slash = UInt8(ascii: "/"), equals = UInt8(ascii: "=")
        var text = [UInt8]()
        for byte in base64EncodedString().utf8 where byte != equals {
            text.append(byte == plus ? UInt8(ascii: "-") : byte == slash ? UInt8(ascii: "_") : byte)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
