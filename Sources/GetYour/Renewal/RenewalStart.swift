import Eligibility
import Fluent
import Foundation
import Vapor

/// Starting a renewal (P11, issue 12): a new `renewal` application, prefilled from the
/// household's last verified one — its addresses, household facts, members and eligibility
/// programs. Documents are not copied: the accepted ones of the renewed application still
/// count for the same people and programs (`DocumentChecklist` links them). Nothing of the
/// verified application changes; it stays the household's eligibility basis until staff
/// verify the renewal.
enum RenewalStart {
    enum Refusal: Error, Equatable {
        /// No verified application to renew.
        case nothingVerified
        /// A draft or an application with staff already exists.
        case alreadyOpen
    }

    /// Creates the renewal draft in one transaction and returns it; `also` runs in that same
    /// transaction (staff's audit event).
    static func start(
        householdID: UUID, on db: any Database,
        also: @escaping @Sendable (ApplicationRecord, any Database) async throws -> Void = { _, _ in }
    ) async throws -> ApplicationRecord {
        try await db.writeTransaction { db in
            let applications = try await ApplicationRecord.query(on: db).filter(\.$household.$id == householdID)
                .sort(\.$startedAt).all()
            guard ApplicationLifecycle.mayStartApplication(existing: applications.map(\.status)) else { throw Refusal.alreadyOpen }
            guard let basis = ApplicationRecord.eligibilityBasis(of: applications), let basisID = basis.id else {
                throw Refusal.nothingVerified
            }

            let renewal = ApplicationRecord()
            renewal.$household.id = householdID
            renewal.kind = .renewal
            renewal.status = .draft
            // Every step is answered already; the resident goes where they say things changed.
            renewal.furthestStep = .review
            renewal.$eligibilityAddress.id = basis.$eligibilityAddress.id
            renewal.$mailingAddress.id = basis.$mailingAddress.id
            renewal.rentOwn = basis.rentOwn
            renewal.duration = basis.duration
            renewal.noPrograms = basis.noPrograms
            renewal.programsAnswered = true
            renewal.revision = 0
            renewal.requestedItems = []
            renewal.renewsID = basisID
            try await renewal.create(on: db)
            let renewalID = try renewal.requireID()

            for member in try await HouseholdMember.query(on: db).filter(\.$application.$id == basisID).sort(\.$createdAt).all() {
                let copy = HouseholdMember()
                copy.$application.id = renewalID
                copy.firstName = member.firstName
                copy.lastName = member.lastName
                copy.birthdate = member.birthdate
                copy.isApplicant = member.isApplicant
                copy.carriedFromID = member.id
                try await copy.create(on: db)
            }
            for selection in try await ApplicationEligibilityProgram.query(on: db).filter(\.$application.$id == basisID).all() {
                try await ApplicationEligibilityProgram(applicationID: renewalID, programID: selection.$program.id).create(on: db)
            }
            try await also(renewal, db)
            return renewal
        }
    }
}
