import Fluent
import Foundation
import Vapor

/// One row of the audit trail (P2, P10): who (an id and a role), did what (an action code),
/// to which records (ids), in which request, when. Never names, emails, addresses, file names
/// or free text. The table refuses UPDATE and DELETE (see `CreateAuditEvents`).
final class AuditEvent: Model, @unchecked Sendable {
    static let schema = "audit_events"

    /// What was done; stable codes, so the audit viewer and outside tools can rely on them.
    enum Action: String, Codable, Sendable, CaseIterable {
        case householdViewed = "household.viewed"
        case documentViewed = "document.viewed"
        case queueSearched = "queue.searched"
        case documentAccepted = "document.accepted"
        case documentRejected = "document.rejected"
        case applicationVerified = "application.verified"
        case informationRequested = "application.information_requested"
        case applicationDenied = "application.denied"
        case residentResponded = "application.resident_responded"
        case noteAdded = "household.note_added"
        case twoFactorEnabled = "two_factor.enabled"
        case twoFactorReset = "two_factor.reset"
        case recoveryCodeUsed = "two_factor.recovery_code_used"
        case enrolled = "enrollment.enrolled"
        case declined = "enrollment.declined"
        case programListViewed = "program.list_viewed"
        case programExported = "program.exported"
        case staffInvited = "staff.invited"
        case coverageException = "household.coverage_exception"
        case accountArchived = "account.archived"
        case coverageRefreshed = "household.coverage_refreshed"
        case coverageExceptionRemoved = "household.coverage_exception_removed"
        case accountRestored = "account.restored"
        case staffChanged = "staff.changed"
        case staffDeactivated = "staff.deactivated"
        case programCreated = "program.created"
        case programChanged = "program.changed"
        case programDeactivated = "program.deactivated"
        case eligibilityProgramCreated = "eligibility_program.created"
        case eligibilityProgramChanged = "eligibility_program.changed"
        case eligibilityProgramDeactivated = "eligibility_program.deactivated"
        case referenceDataReset = "reference_data.reset"
        case documentReplaced = "document.replaced"
        case renewalStarted = "application.renewal_started"
        case enrollmentExpired = "enrollment.expired"
        case accountExported = "account.exported"
        case accountErased = "account.erased"
        case documentsPurged = "documents.purged"
        case contactChanged = "contact.changed"
        case contactRemoved = "contact.removed"
        case contactViewed = "contact.viewed"
    }

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "occurred_at") var occurredAt: Date
    /// A user id, or `system` / `operator` for jobs and the command line.
    @Field(key: "actor_id") var actorID: String
    @Field(key: "actor_role") var actorRole: String
    @Field(key: "action") var action: String
    @OptionalField(key: "household_id") var householdID: UUID?
    @OptionalField(key: "application_id") var applicationID: UUID?
    @OptionalField(key: "document_id") var documentID: UUID?
    @OptionalField(key: "subject_user_id") var subjectUserID: UUID?
    @OptionalField(key: "program_slug") var programSlug: String?
    @Field(key: "request_id") var requestID: String

    init() {}

    /// The records an event is about; every field optional.
    struct Subject: Sendable {
        var household: UUID? = nil
        var application: UUID? = nil
        var document: UUID? = nil
        var user: UUID? = nil
        var program: String? = nil
    }

    init(actorID: String, actorRole: String, action: Action, subject: Subject, requestID: String, at time: Date) {
        self.occurredAt = time
        self.actorID = actorID
        self.actorRole = actorRole
        self.action = action.rawValue
        self.householdID = subject.household
        self.applicationID = subject.application
        self.documentID = subject.document
        self.subjectUserID = subject.user
        self.programSlug = subject.program
        self.requestID = requestID
    }
}

extension Request {
    /// Writes an audit event for the signed-in person on `db` — pass the transaction's
    /// database so the event commits (or rolls back) with the change it records.
    func audit(_ action: AuditEvent.Action, _ subject: AuditEvent.Subject, on db: (any Database)? = nil) async throws {
        let user = try currentUser
        try await AuditEvent(
            actorID: try user.requireID().uuidString.lowercased(), actorRole: user.role.rawValue, action: action, subject: subject,
            requestID: requestID, at: application.clock.now()
        ).create(on: db ?? self.db(.primary))
    }
}
