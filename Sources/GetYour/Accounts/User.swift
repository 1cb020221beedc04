import Fluent
import Foundation

/// A person who signs in: a resident (one per household) or a staff member (P1, P2).
/// A staff account is never also a resident account.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "email") var email: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "first_name") var firstName: String
    @Field(key: "last_name") var lastName: String
    @Field(key: "phone") var phone: String
    @Field(key: "language") var language: String
    @Field(key: "role") var role: Role
    @Field(key: "archived") var archived: Bool
    @OptionalField(key: "pending_email") var pendingEmail: String?
    /// The person asked for no text messages (email still comes).
    @Field(key: "sms_opt_out") var smsOptOut: Bool
    /// Set when the person opened the link sent at sign-up; nobody signs in before (P10).
    @OptionalField(key: "email_confirmed_at") var emailConfirmedAt: Date?
    /// Staff only: the TOTP secret, sealed with the secret key (see `SealedSecret`).
    @OptionalField(key: "totp_secret") var totpSecret: String?
    /// When the staff member proved their authenticator works; nil while setting it up.
    @OptionalField(key: "totp_enabled_at") var totpEnabledAt: Date?
    /// The last time step whose code was accepted: a code works once (RFC 6238 §5.2).
    @OptionalField(key: "totp_last_step") var totpLastStep: Int64?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    /// Who a person is to the app. Staff roles come only from `getyour create-staff`.
    enum Role: String, Codable, Sendable, CaseIterable {
        case resident, verifier, coordinator, admin

        var isStaff: Bool { self != .resident }
    }

    init() {}

    init(email: String, passwordHash: String, firstName: String, lastName: String, phone: String, language: Language, role: Role) {
        self.email = email
        self.passwordHash = passwordHash
        self.firstName = firstName
        self.lastName = lastName
        self.phone = phone
        self.language = language.rawValue
        self.role = role
        self.archived = false
        self.smsOptOut = false
    }

    var preferredLanguage: Language { Language(rawValue: language) ?? .en }
}

extension User {
    /// Emails are stored trimmed and lower-cased, so uniqueness ignores case (P2).
    static func normalise(email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    static func find(email: String, on db: any Database) async throws -> User? {
        try await User.query(on: db).filter(\.$email == normalise(email: email)).first()
    }
}
