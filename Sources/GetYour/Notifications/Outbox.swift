import Fluent
import Foundation
import Vapor

/// One email or text message in the outbox (P8). It is written in the same transaction as the
/// change it tells about, so a rolled-back change sends nothing and a committed one always
/// sends; `getyour jobs` delivers it. Once sent (or failed for good) the recipient and data
/// are cleared: what stays (kind, channel, times, status, attempts) holds no personal data.
final class OutboxMessage: Model, @unchecked Sendable {
    static let schema = "outbox_messages"

    enum Channel: String, Codable, Sendable { case email, sms }

    enum Status: String, Codable, Sendable {
        /// Waiting for its next attempt.
        case pending
        /// Claimed by a worker until `locked_until`; a worker that died leaves it to be claimed again.
        case sending
        case sent
        /// Given up: a permanent refusal, an invalid address, or too many attempts.
        case failed
    }

    /// Who a message is for. Batching joins only messages for the same address and audience,
    /// and account messages (links to set a password, …) always go to the account's owner.
    enum Audience: String, Codable, Sendable { case account, household }

    @ID(key: .id) var id: UUID?
    @Field(key: "channel") var channel: Channel
    @Field(key: "kind") var kind: NotificationKind
    @Field(key: "audience") var audience: Audience
    /// The message-file key the texts come from (`notify.<kind>`).
    @Field(key: "template") var template: String
    @OptionalField(key: "recipient") var recipient: String?
    @Field(key: "language") var language: String
    /// `MessageData` as JSON.
    @OptionalField(key: "data") var data: String?
    @Field(key: "status") var status: Status
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @OptionalField(key: "sent_at") var sentAt: Date?
    /// A short code (`http_503`, `timeout`, `invalid_address`), never a provider's message text.
    @OptionalField(key: "last_error") var lastError: String?
    @OptionalField(key: "household_id") var householdID: UUID?
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(
        channel: Channel, kind: NotificationKind, recipient: String, language: Language, data: MessageData, householdID: UUID?,
        userID: UUID?, now: Date
    ) throws {
        self.channel = channel
        self.kind = kind
        self.audience = kind.audience
        self.template = kind.template
        self.recipient = recipient
        self.language = language.rawValue
        self.data = String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
        self.status = .pending
        self.attempts = 0
        self.nextAttemptAt = now
        self.householdID = householdID
        self.userID = userID
        self.createdAt = now
    }

    var messageData: MessageData {
        guard let data else { return MessageData() }
        return (try? JSONDecoder().decode(MessageData.self, from: Data(data.utf8))) ?? MessageData()
    }
}

/// What a message is about. Each has texts under `notify.<kind>` in the message files.
enum NotificationKind: String, Codable, Sendable, CaseIterable {
    // About the household's application (P8).
    case welcome
    case informationRequested = "information_requested"
    case verified
    case denied
    case enrolled
    case declined
    case renewalReminder = "renewal_reminder"
    case renewalVerified = "renewal_verified"
    case enrollmentExpired = "enrollment_expired"
    // About the account itself.
    case signupConfirm = "signup_confirm"
    case signupExisting = "signup_existing"
    case passwordReset = "password_reset"
    case passwordChanged = "password_changed"
    case emailChange = "email_change"
    case emailChangeNotice = "email_change_notice"
    case emailChanged = "email_changed"
    case staffInvitation = "staff_invitation"

    var audience: OutboxMessage.Audience {
        switch self {
        case .welcome, .informationRequested, .verified, .denied, .enrolled, .declined, .renewalReminder, .renewalVerified,
            .enrollmentExpired:
            .household
        default: .account
        }
    }

    /// Household news also goes by text message; account messages carry links and go by email only.
    var sendsText: Bool { audience == .household }

    var template: String { "notify.\(rawValue)" }
}

/// The values a message's texts are filled with, already in the recipient's language. Texts
/// use them as `{1}` name, `{2}` link, `{3}` reason or staff message, `{4}` program, `{5}` date,
/// `{6}` a list of items, `{7}` a second link, `{8}` the application's reference.
struct MessageData: Codable, Sendable, Equatable {
    var name: String = ""
    var link: String = ""
    var reason: String = ""
    var program: String = ""
    var date: String = ""
    var items: [String] = []
    var otherLink: String = ""
    var reference: String = ""

    var arguments: [String] {
        [name, link, reason, program, date, items.map { "- " + $0 }.joined(separator: "\n"), otherLink, reference]
    }
}

/// Writes messages into the outbox on the database (or transaction) it is given.
struct Outbox {
    let db: any Database
    let now: Date
    /// False when the deployment sends no text messages (`notifications.sms_backend = off`).
    let textsEnabled: Bool

    /// A message to a person's account address (and, for household news, their phone unless
    /// they turned text messages off), in their preferred language.
    func enqueue(_ kind: NotificationKind, to user: User, household: UUID? = nil, data: MessageData) async throws {
        try await enqueueEmail(kind, to: user.email, language: user.preferredLanguage, user: user.id, household: household, data: data)
        if kind.sendsText, textsEnabled, !user.smsOptOut, !user.phone.isEmpty {
            try await OutboxMessage(
                channel: .sms, kind: kind, recipient: user.phone, language: user.preferredLanguage, data: data, householdID: household,
                userID: user.id, now: now
            ).create(on: db)
        }
    }

    /// An email to an address that is not (yet, or any longer) the account's: a new address
    /// to confirm, or the old one told it was replaced.
    func enqueueEmail(
        _ kind: NotificationKind, to address: String, language: Language, user: UUID?, household: UUID? = nil, data: MessageData
    )
        async throws
    {
        try await OutboxMessage(
            channel: .email, kind: kind, recipient: address, language: language, data: data, householdID: household, userID: user, now: now
        ).create(on: db)
    }

    /// News about a household's application: for the person who applied and, as the
    /// household chose, for its named contact too (`copy`), for the contact alone
    /// (`instead`), or not (`none`). The contact's messages are in the resident's language.
    func enqueue(_ kind: NotificationKind, household householdID: UUID, data: (User) -> MessageData) async throws {
        guard let household = try await Household.query(on: db).filter(\.$id == householdID).with(\.$user).first() else { return }
        let resident = household.user, message = data(household.user)
        let contact = try await HouseholdContact.of(household: householdID, on: db)
        if contact?.receives != .instead {
            try await enqueue(kind, to: resident, household: householdID, data: message)
        }
        guard let contact, contact.receives != .none else { return }
        if !contact.email.isEmpty {
            try await enqueueEmail(
                kind, to: contact.email, language: resident.preferredLanguage, user: nil, household: householdID, data: message)
        }
        if kind.sendsText, textsEnabled, !contact.phone.isEmpty {
            try await OutboxMessage(
                channel: .sms, kind: kind, recipient: contact.phone, language: resident.preferredLanguage, data: message,
                householdID: householdID, userID: nil, now: now
            ).create(on: db)
        }
    }
}

extension Application {
    /// The outbox on `db` (pass the transaction the change is written in).
    func outbox(on db: any Database) -> Outbox {
        Outbox(db: db, now: clock.now(), textsEnabled: settings.notifications.smsBackend != .off)
    }
}
