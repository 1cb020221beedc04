import Foundation
import Synchronization
import Vapor

/// The current browser's session as a handler sees it. Handlers change it; the middleware
/// writes the change (and only a change) back after the response.
public final class BrowserSession: Sendable {
    struct State {
        var tokenHash: String?
        var userID: UUID?
        var data: [String: String] = [:]
        var createdAt: Date
        var dirty = false
        var rotate = false
        var destroyed = false
    }

    let state: Mutex<State>

    init(tokenHash: String?, userID: UUID?, data: [String: String], createdAt: Date) {
        state = Mutex(State(tokenHash: tokenHash, userID: userID, data: data, createdAt: createdAt))
    }

    public var userID: UUID? { state.withLock { $0.userID } }
    var tokenHash: String? { state.withLock { $0.tokenHash } }
    public var isEmpty: Bool { state.withLock { $0.userID == nil && $0.data.isEmpty } }

    public subscript(key: String) -> String? {
        get { state.withLock { $0.data[key] } }
        set {
            state.withLock {
                guard $0.data[key] != newValue else { return }
                $0.data[key] = newValue
                $0.dirty = true
            }
        }
    }

    /// Binds the session to a person under a fresh token (no session fixation: P10).
    public func signIn(userID: UUID, now: Date) {
        state.withLock {
            $0.userID = userID
            $0.createdAt = now
            $0.rotate = true
            $0.dirty = true
        }
    }

    /// Ends the session: the row is deleted and the cookie cleared.
    public func destroy() {
        state.withLock {
            $0.destroyed = true
            $0.userID = nil
            $0.data = [:]
        }
    }
}

enum SessionKey: StorageKey { typealias Value = BrowserSession }
enum SessionExpiredKey: StorageKey { typealias Value = Bool }

extension Request {
    /// The session; an empty one (not yet stored) when the browser has none.
    public var browserSession: BrowserSession {
        if let existing = storage[SessionKey.self] { return existing }
        let fresh = BrowserSession(tokenHash: nil, userID: nil, data: [:], createdAt: Date())
        storage[SessionKey.self] = fresh
        return fresh
    }

    /// True when this request came with a session that had timed out (idle or absolute).
    public var sessionExpired: Bool { storage[SessionExpiredKey.self] ?? false }
}
