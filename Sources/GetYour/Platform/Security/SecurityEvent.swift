import Crypto
import Foundation
import Vapor

/// Something an attack would leave a trace of (ASVS 7): logged as a structured event with the
/// request id and a reason code, so an attack is visible in the logs. Never personal data: no
/// email, no name, and the client address only as an HMAC under the secret key.
public struct SecurityEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case signInFailed = "sign_in_failed"
        case throttled
        case csrfRejected = "csrf_rejected"
        case crossSiteRejected = "cross_site_rejected"
        case forbidden
        case twoFactorFailed = "two_factor_failed"
        case twoFactorReset = "two_factor_reset"
        case recoveryCodeUsed = "recovery_code_used"
        case passwordCheckFailed = "password_check_failed"
    }

    public let kind: Kind
    /// A short code (`wrong_password`, `login_account`, …), never free text.
    public let reason: String
    public let requestID: String
    /// HMAC-SHA256 of the client address (first 16 hex digits): the same address always maps
    /// to the same value, so repeated attempts can be correlated without storing the address.
    public let client: String
    /// The account concerned, when one is known (an opaque id, not an email).
    public let userID: UUID?
}

/// Where security events go: the log by default; tests swap in a collector (style 13).
public protocol SecurityEventSink: Sendable {
    func record(_ event: SecurityEvent, logger: Logger)
}

/// Writes each event as one `warning` log line whose metadata carries every field.
public struct LogSecurityEventSink: SecurityEventSink {
    public init() {}

    public func record(_ event: SecurityEvent, logger: Logger) {
        var metadata: Logger.Metadata = [
            "security_event": .string(event.kind.rawValue), "reason": .string(event.reason),
            "request-id": .string(event.requestID), "client": .string(event.client),
        ]
        if let user = event.userID { metadata["user_id"] = .string(user.uuidString.lowercased()) }
        logger.warning("security event", metadata: metadata)
    }
}

private enum SecurityEventSinkKey: StorageKey { typealias Value = any SecurityEventSink }

extension Application {
    public var securityEvents: any SecurityEventSink {
        get { storage[SecurityEventSinkKey.self] ?? LogSecurityEventSink() }
        set { storage[SecurityEventSinkKey.self] = newValue }
    }
}

extension Request {
    /// Records a security event for this request (see `SecurityEvent`).
    func securityEvent(_ kind: SecurityEvent.Kind, reason: String, userID: UUID? = nil) {
        let key = SymmetricKey(data: Data(application.settings.security.secretKey.utf8))
        let code = HMAC<SHA256>.authenticationCode(for: Data(("client:" + clientAddress).utf8), using: key)
        let client = Data(code).prefix(8).hexString
        application.securityEvents.record(
            SecurityEvent(kind: kind, reason: reason, requestID: requestID, client: client, userID: userID), logger: logger)
    }
}
