import Eligibility
import Fluent
import Foundation

/// One household per resident account (P2). Points at the application staff last saw.
final class Household: Model, @unchecked Sendable {
    static let schema = "households"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @OptionalField(key: "current_application_id") var currentApplicationID: UUID?
    @OptionalField(key: "dashboard_seen_at") var dashboardSeenAt: Date?
    /// When the resident last changed something staff look at (submitted, uploaded,
    /// answered): drives the queue's "changed since your last visit" marker (P14).
    @OptionalField(key: "changed_at") var changedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(userID: UUID) {
        self.$user.id = userID
    }

    /// The signed-in resident's household, created on first use.
    static func forUser(_ userID: UUID, on db: any Database) async throws -> Household {
        if let existing = try await Household.query(on: db).filter(\.$user.$id == userID).first() { return existing }
        let household = Household(userID: userID)
        do {
            try await household.create(on: db)
        } catch  where (error as? any DatabaseError)?.isConstraintFailure == true {
            // A second tab created it a moment ago.
            guard let existing = try await Household.query(on: db).filter(\.$user.$id == userID).first() else { throw error }
            return existing
        }
        return household
    }
}

/// One application cycle (P2): the first one or a renewal. Everything a resident enters
/// hangs off it, so a renewal never overwrites what staff verified before.
final class ApplicationRecord: Model, @unchecked Sendable {
    static let schema = "applications"

    enum Kind: String, Codable, Sendable { case initial, renewal }
    /// The lifecycle's statuses (rules in `Eligibility.ApplicationLifecycle`).
    typealias Status = ApplicationStatus
    enum Tenure: String, Codable, Sendable, CaseIterable { case rent, own }
    enum Duration: String, Codable, Sendable, CaseIterable {
        case under1 = "under_1", oneToThree = "1_to_3", over3 = "over_3"
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "household_id") var household: Household
    @Field(key: "kind") var kind: Kind
    @Field(key: "status") var status: Status
    /// The furthest step reached, stored explicitly (not inferred from rows: original §10.30).
    @Field(key: "furthest_step") var furthestStep: Step
    @OptionalField(key: "reference") var reference: String?
    @OptionalParent(key: "eligibility_address_id") var eligibilityAddress: Address?
    @OptionalParent(key: "mailing_address_id") var mailingAddress: Address?
    @OptionalField(key: "rent_own") var rentOwn: Tenure?
    @OptionalField(key: "duration") var duration: Duration?
    /// "None of these" on the eligibility-programs step.
    @Field(key: "no_programs") var noPrograms: Bool
    @Field(key: "programs_answered") var programsAnswered: Bool
    @Timestamp(key: "started_at", on: .create) var startedAt: Date?
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @OptionalField(key: "verified_at") var verifiedAt: Date?
    @OptionalField(key: "verified_by") var verifiedBy: UUID?
    /// What staff last told the resident (the request for information, or why it was denied).
    @OptionalField(key: "status_message") var statusMessage: String?
    /// Goes up by one with every change by the resident or staff once submitted, so a
    /// decision made on a page rendered before the change is refused (issue 9).
    @Field(key: "revision") var revision: Int
    /// The checklist items staff asked for (`member-…`, `program-…`, `other`).
    @Field(key: "requested_items") var requestedItems: [String]
    /// When the resident last answered a request for information.
    @OptionalField(key: "answered_at") var answeredAt: Date?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    /// A renewal: the verified application it renews (issue 12).
    @OptionalField(key: "renews_id") var renewsID: UUID?
    /// A renewal: the sections the resident said changed (`RenewalSection`); nil until asked.
    @OptionalField(key: "changed_sections") var changedSections: [String]?
    @Children(for: \.$application) var members: [HouseholdMember]

    init() {}

    var graph: StepGraph { StepGraph(furthest: furthestStep) }

    /// The application a household's eligibility rests on (the lifecycle's rule): the most
    /// recently verified of `applications`, which are oldest first.
    static func eligibilityBasis(of applications: [ApplicationRecord]) -> ApplicationRecord? {
        let id = ApplicationLifecycle.eligibilityBasis(applications.map { (id: $0.id!, status: $0.status) })
        return applications.first { $0.id == id }
    }
}

/// A standardised address; shared by households at the same place (`normalised_key`).
/// Coverage flags come from the verifier; admin exceptions live beside them and are never
/// wiped by re-verification (P5; original §10.17).
final class Address: Model, @unchecked Sendable {
    static let schema = "addresses"

    @ID(key: .id) var id: UUID?
    @Field(key: "street") var street: String
    @Field(key: "unit") var unit: String
    @Field(key: "city") var city: String
    @Field(key: "state") var state: String
    /// Text, so leading zeros and ZIP+4 survive (original §10.27).
    @Field(key: "zip") var zip: String
    @Field(key: "verified") var verified: Bool
    @Field(key: "coverage") var coverage: [String]
    @Field(key: "coverage_exceptions") var coverageExceptions: [String]
    @Field(key: "normalised_key") var normalisedKey: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    /// The coverage the eligibility rule sees: verified flags plus admin exceptions.
    var effectiveCoverage: Coverage { Coverage(Set(coverage)).including(exceptions: Set(coverageExceptions)) }

    var lines: [String] {
        [unit.isEmpty ? street : "\(street) \(unit)", "\(city), \(state) \(zip)"]
    }
}

/// A person in the household, one row each (P2; original §10.31 kept them in JSON).
final class HouseholdMember: Model, @unchecked Sendable {
    static let schema = "household_members"

    @ID(key: .id) var id: UUID?
    @Parent(key: "application_id") var application: ApplicationRecord
    @Field(key: "first_name") var firstName: String
    @Field(key: "last_name") var lastName: String
    /// YYYY-MM-DD; empty for the applicant until they give it.
    @Field(key: "birthdate") var birthdate: String
    @Field(key: "is_applicant") var isApplicant: Bool
    /// In a renewal: the member row of the renewed application this person was copied from.
    @OptionalField(key: "carried_from_id") var carriedFromID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    var fullName: String { "\(firstName) \(lastName)" }
    var isComplete: Bool { CalendarDate(birthdate) != nil && !firstName.isEmpty && !lastName.isEmpty }
}

/// Which eligibility programs an application selected.
final class ApplicationEligibilityProgram: Model, @unchecked Sendable {
    static let schema = "application_eligibility_programs"

    @ID(key: .id) var id: UUID?
    @Parent(key: "application_id") var application: ApplicationRecord
    @Parent(key: "program_id") var program: EligibilityProgram

    init() {}

    init(applicationID: UUID, programID: UUID) {
        self.$application.id = applicationID
        self.$program.id = programID
    }
}

/// One uploaded file (P2, P6). The original file name is kept for staff and never logged.
final class Document: Model, @unchecked Sendable {
    static let schema = "documents"

    enum Purpose: String, Codable, Sendable { case memberID = "member_id", programProof = "program_proof", other }
    enum Review: String, Codable, Sendable { case pending, accepted, rejected }

    @ID(key: .id) var id: UUID?
    @Parent(key: "application_id") var application: ApplicationRecord
    @Field(key: "purpose") var purpose: Purpose
    @OptionalParent(key: "member_id") var member: HouseholdMember?
    @OptionalParent(key: "program_id") var program: EligibilityProgram?
    @Field(key: "storage_key") var storageKey: String
    @Field(key: "mime_type") var mimeType: String
    @Field(key: "byte_size") var byteSize: Int
    @Field(key: "sha256") var sha256: String
    @Field(key: "original_name") var originalName: String
    @Field(key: "uploaded_at") var uploadedAt: Date
    /// Set when the retention policy removed the file from the store (`DocumentRetention`).
    @OptionalField(key: "purged_at") var purgedAt: Date?
    @Field(key: "review_state") var reviewState: Review
    /// Why staff rejected the file: a reason code (`DocumentReview.reasons`)…
    @OptionalField(key: "review_reason") var reviewReason: String?
    /// …and what staff added in their own words, shown to the resident.
    @OptionalField(key: "review_detail") var reviewDetail: String?

    init() {}
}
