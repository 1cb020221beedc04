import Eligibility
import Fluent
import Foundation

/// A household's place in one benefit program (P2): unique per household and program.
final class Enrollment: Model, @unchecked Sendable {
    static let schema = "enrollments"

    typealias Status = EnrollmentStatus

    @ID(key: .id) var id: UUID?
    @Parent(key: "household_id") var household: Household
    @Parent(key: "program_id") var program: BenefitProgram
    @Field(key: "status") var status: Status
    @OptionalField(key: "application_id") var applicationID: UUID?
    @Field(key: "applied_at") var appliedAt: Date
    @OptionalField(key: "enrolled_at") var enrolledAt: Date?
    @OptionalField(key: "expires_at") var expiresAt: Date?
    @OptionalField(key: "enrolled_by") var enrolledBy: UUID?
    /// Why the department declined, as the resident reads it.
    @OptionalField(key: "decline_reason") var declineReason: String?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    /// Why an enrollment ended (`expired`): `lapsed` after the grace period with no renewal,
    /// or the eligibility rule's reason when a verified renewal no longer qualified (issue 12).
    @OptionalField(key: "end_reason") var endReason: String?
    @OptionalField(key: "ended_at") var endedAt: Date?

    init() {}

    init(householdID: UUID, programID: UUID, applicationID: UUID?, now: Date) {
        self.$household.id = householdID
        self.$program.id = programID
        self.status = .applied
        self.applicationID = applicationID
        self.appliedAt = now
    }

    /// Creates an `applied` enrollment unless one exists; safe against double clicks and
    /// concurrent requests (the database's unique pair decides).
    @discardableResult
    static func apply(householdID: UUID, programID: UUID, applicationID: UUID?, on db: any Database) async throws -> Bool {
        if try await Enrollment.query(on: db).filter(\.$household.$id == householdID).filter(\.$program.$id == programID).first() != nil {
            return false
        }
        do {
            try await Enrollment(householdID: householdID, programID: programID, applicationID: applicationID, now: Date()).create(on: db)
            return true
        } catch {
            if (error as? any DatabaseError)?.isConstraintFailure == true { return false }
            throw error
        }
    }
}

/// Anonymous feedback (P2): a rating and a comment, linked to nobody.
final class Feedback: Model, @unchecked Sendable {
    static let schema = "feedback"

    @ID(key: .id) var id: UUID?
    @OptionalField(key: "rating") var rating: Int?
    @OptionalField(key: "comment") var comment: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}
