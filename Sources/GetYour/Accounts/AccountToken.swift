import Crypto
import Fluent
import Foundation

/// A single-use link sent by email (P3 step 13, P10).
final class AccountToken: Model, @unchecked Sendable {
    static let schema = "account_tokens"

    enum Purpose: String, Codable, Sendable {
        /// "Forgot your password": valid one hour.
        case passwordReset = "password_reset"
        /// A new staff member's first password (from `getyour create-staff`).
        case setPassword = "set_password"
        /// Confirms a new email address from Settings.
        case emailChange = "email_change"
        /// Confirms the email address given at sign-up.
        case signupConfirm = "signup_confirm"

        var lifetime: TimeInterval {
            switch self {
            case .passwordReset: 3600
            case .setPassword, .emailChange, .signupConfirm: 24 * 3600
            }
        }

        /// Whether a new link makes the earlier unused ones stop working. Not for reset and
        /// sign-up links: a second request must not void the link that arrives minutes later
        /// (the number sent is limited instead). A new email choice supersedes the last one.
        var replacesEarlier: Bool { self == .emailChange || self == .setPassword }
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "purpose") var purpose: Purpose
    @Field(key: "token_hash") var tokenHash: String
    @OptionalField(key: "new_email") var newEmail: String?
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

extension AccountToken {
    /// Creates a token and returns the secret to put in the link (see `replacesEarlier`).
    static func issue(_ purpose: Purpose, for userID: UUID, newEmail: String? = nil, now: Date, on db: any Database) async throws -> String
    {
        if purpose.replacesEarlier {
            try await AccountToken.query(on: db)
                .filter(\.$user.$id == userID).filter(\.$purpose == purpose).filter(\.$usedAt == nil)
                .set(\.$usedAt, to: now).update()
        }
        let secret = SessionMiddleware.newToken()
        let token = AccountToken()
        token.$user.id = userID
        token.purpose = purpose
        token.tokenHash = hash(secret)
        token.newEmail = newEmail
        token.createdAt = now
        token.expiresAt = now.addingTimeInterval(purpose.lifetime)
        try await token.create(on: db)
        return secret
    }

    /// The unused, unexpired token for `secret`, or nil.
    static func find(_ secret: String, purposes: [Purpose], now: Date, on db: any Database) async throws -> AccountToken? {
        guard secret.count >= 32, secret.count <= 64 else { return nil }
        guard let token = try await AccountToken.query(on: db).filter(\.$tokenHash == hash(secret)).with(\.$user).first(),
            purposes.contains(token.purpose), token.usedAt == nil, token.expiresAt > now
        else { return nil }
        return token
    }

    /// Deletes links used or expired before `cutoff` (run by `getyour jobs`); returns how many.
    static func purgeSpent(before cutoff: Date, on db: any Database) async throws -> Int {
        let spent = AccountToken.query(on: db).group(.or) {
            $0.filter(\.$usedAt < cutoff).filter(\.$expiresAt < cutoff)
        }
        let count = try await spent.count()
        try await spent.delete()
        return count
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}
